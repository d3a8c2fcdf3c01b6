/**
 * The registry schemas generated from the catalog (shared/events/schema-formats.ts): every type maps,
 * optional fields are nullable/optional, the payload comes last, and what a producer writes with
 * them the function's SOURCE decoder (shared/pipeline/source-decoders.ts) reads back as the same
 * event — for every event type, in Avro and in Protobuf, including a newer minor version it does
 * not know.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { frame, RegistrySerializer } from '../../../scripts/local/registry-serde.ts';
import { CATALOG } from '../../../shared/domains/registry.ts';
import { type CatalogEntry, EventCatalog } from '../../../shared/events/catalog.ts';
import {
  avroSchema,
  payloadFields,
  protoSchema,
  recordName,
  SOURCE_SCHEMAS,
  schemaFiles,
} from '../../../shared/events/schema-formats.ts';
import type { PermanentEventError } from '../../../shared/pipeline/errors.ts';
import { createSourceDecoder } from '../../../shared/pipeline/source-decoders.ts';
import { businessEvent, EVENT_TYPES } from '../../support/events.ts';

/** A registry that hands out ids in order, for the serializer (no network). */
const fakeRegistry = () => {
  let id = 0;
  return { register: async () => ++id } as unknown as ConstructorParameters<
    typeof RegistrySerializer
  >[0]['client'];
};

describe('schemas generated from the catalog', () => {
  it('names records after their types and writes three files per type and version', () => {
    expect(recordName('order_create')).toBe('OrderCreate');
    expect(schemaFiles(CATALOG).size).toBe(CATALOG.length * 3);
  });

  it('maps optional fields to ["null", T] with default null, and proto3 optional', () => {
    const cancel = CATALOG.find((e) => e.type === 'order_cancel')!;
    const payload = (avroSchema(cancel).fields as Array<{ name: string; type: { fields: unknown[] } }>).at(
      -1,
    )!;
    expect(payload.name).toBe('payload');
    expect(payload.type.fields).toContainEqual({ name: 'reason', type: ['null', 'string'], default: null });
    expect(protoSchema(cancel)).toContain('optional string reason = 3;');
  });

  it('maps epoch milliseconds to long/int64, 32-bit counts to int, amounts to decimal strings, lists to arrays', () => {
    const kinds = (type: string) =>
      Object.fromEntries(payloadFields(CATALOG.find((e) => e.type === type)!).map((f) => [f.name, f.kind]));
    expect(kinds('order_pay')).toMatchObject({ payTime: 'long', amount: 'string' });
    expect(kinds('order_create')).toMatchObject({ quantity: 'int' });
    expect(payloadFields(CATALOG.find((e) => e.type === 'product_recommend')!)).toContainEqual({
      name: 'productIds',
      kind: 'string',
      array: true,
      optional: false,
    });
  });

  it('refuses a payload field it cannot map, naming it', () => {
    const entry: CatalogEntry = {
      domain: 'x',
      type: 'x_y',
      version: '1.0',
      payload: z.object({ m: z.record(z.string(), z.string()) }),
    };
    expect(() => payloadFields(entry)).toThrow(/x_y 1.0 payload field m/);
  });
});

describe.each(['avro', 'protobuf'] as const)(
  '%s: written by a producer, read by the function (SOURCE)',
  (format) => {
    const decoder = createSourceDecoder(new EventCatalog(CATALOG), SOURCE_SCHEMAS);
    const dataFormat = format === 'avro' ? 'AVRO' : 'PROTOBUF';
    /** SOURCE: the ESM removes the magic byte, schema id and message indexes. */
    const source = (framed: Buffer) => framed.subarray(format === 'avro' ? 5 : 6);

    it.each(EVENT_TYPES)('%s round-trips', async (type) => {
      const serializer = new RegistrySerializer({ client: fakeRegistry(), format, entries: CATALOG });
      const event = businessEvent(type);
      const framed = (await serializer.serialize('t', event))!;
      expect(framed[0]).toBe(0);
      expect(decoder(dataFormat, source(framed))).toEqual(event);
    });

    it('reads a newer minor version with the newest one it knows, its extra field left unread', async () => {
      const base = CATALOG.find((e) => e.type === 'order_cancel')!;
      const newer: CatalogEntry = {
        ...base,
        version: '1.4',
        payload: z.object({
          orderId: z.string(),
          userId: z.string(),
          reason: z.string().optional(),
          refundTo: z.string().optional(),
        }),
      };
      const serializer = new RegistrySerializer({ client: fakeRegistry(), format, entries: [newer] });
      const event = businessEvent('order_cancel', { version: '1.4' }, { refundTo: 'wallet' });
      const decoded = decoder(dataFormat, source((await serializer.serialize('t', event))!));
      const { refundTo: _, ...payload } = event.payload as Record<string, unknown>;
      expect(decoded).toEqual({ ...event, payload });
    });

    it('calls bytes it cannot read not_decodable, and an unknown type unknown_type', async () => {
      const reason = (bytes: Uint8Array) => {
        try {
          decoder(dataFormat, bytes);
          return 'decoded';
        } catch (error) {
          return (error as PermanentEventError).reason;
        }
      };
      expect(reason(Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f, 1, 2]))).toBe('not_decodable');
      const serializer = new RegistrySerializer({
        client: fakeRegistry(),
        format,
        entries: [
          { domain: 'user', type: 'user_teleport', version: '1.0', payload: z.object({ to: z.string() }) },
        ],
      });
      const framed = await serializer.serialize(
        't',
        businessEvent('user_login', { type: 'user_teleport' }, { to: 'mars' }),
      );
      expect(reason(source(framed!))).toBe('unknown_type');
      expect(frame(7, Buffer.from([1]), format).subarray(0, 5)).toEqual(Buffer.from([0, 0, 0, 0, 7]));
    });
  },
);
