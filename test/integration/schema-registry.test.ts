/**
 * Events through a schema registry, end to end against the real local registry (Apicurio, the
 * Confluent-compatible API), real Kafka and the real database: Avro, Protobuf and JSON Schema, each with both
 * `EventRecordFormat`s, through the local event source mapping (which resolves schemas by id and
 * converts or passes through, as AWS's does) into the order function. Each case publishes the same
 * kinds of record and asserts each one's outcome:
 *
 * - order events (create, pay, cancel with and without its optional reason): written;
 * - a newer version of order_cancel with a new optional field (1.1, registered as the subject's
 *   second version; the function knows only 1.0): written, the new field ignored;
 * - an event the registry accepts but the catalog refuses (quantity 0): dead-lettered `schema`;
 * - another domain's event: skipped by this function;
 * - a schema id the registry does not have: on-failure destination, `SCHEMA_NOT_FOUND`;
 * - a known schema id with corrupt bytes, and a plain JSON value: on-failure, `DESERIALIZATION_ERROR`.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { eventSources } from '../../infra/config/event-sources.ts';
import { EsmRunner, type FailureDocument } from '../../local-esm/index.ts';
import { createProducer, ensureTopics } from '../../scripts/local/kafka-admin.ts';
import {
  frame,
  RegistrySerializer,
  SchemaRegistryClient,
  type WireFormat,
} from '../../scripts/local/registry-serde.ts';
import { CATALOG } from '../../shared/domains/registry.ts';
import type { CatalogEntry } from '../../shared/events/catalog.ts';
import { domainHandler, freshDatabase, type TestDatabase } from '../support/database.ts';
import { businessEvent, type Json } from '../support/events.ts';
import { services, uniqueName } from '../support/services.ts';

/** order_cancel 1.1: 1.0 plus an optional field, appended (what a minor version may do). */
const ORDER_CANCEL_1_1: CatalogEntry = {
  domain: 'order',
  type: 'order_cancel',
  version: '1.1',
  payload: z.object({
    orderId: z.string(),
    userId: z.string(),
    reason: z.string().max(255).optional(),
    refundTo: z.string().max(64).optional(),
  }),
};

let db: TestDatabase;
let dir: string;
let producer: ReturnType<typeof createProducer>;
let registry: SchemaRegistryClient;

beforeAll(async () => {
  registry = new SchemaRegistryClient(services().schemaRegistryUrl);
  await registry.check();
  db = await freshDatabase('lrt_sr');
  dir = mkdtempSync(join(tmpdir(), 'lrt-sr-'));
  producer = createProducer(services().kafkaBrokers, 'lrt-test-registry');
}, 60_000);

afterAll(async () => {
  await producer?.close();
  await db?.drop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const CASES: Array<[WireFormat, 'JSON' | 'SOURCE']> = [
  ['avro', 'JSON'],
  ['avro', 'SOURCE'],
  ['protobuf', 'JSON'],
  ['protobuf', 'SOURCE'],
  ['json-schema', 'JSON'],
  ['json-schema', 'SOURCE'],
];

describe.each(CASES)('%s records, EventRecordFormat %s', (format, recordFormat) => {
  it('writes, evolves, dead-letters and fails each record as AWS would', async () => {
    const topic = uniqueName(`lrt-sr-${format}-${recordFormat}`).replaceAll('_', '-');
    await ensureTopics(services().kafkaBrokers, [{ name: topic, partitions: 1 }]);
    const serializer = new RegistrySerializer({
      client: registry,
      format,
      entries: [...CATALOG, ORDER_CANCEL_1_1],
    });
    const encode = async (event: Json) => {
      const bytes = await serializer.serialize(topic, event);
      if (!bytes) throw new Error(`test event ${String(event.eventId)} did not serialise`);
      return bytes;
    };

    const create = businessEvent('order_create');
    const pay = businessEvent('order_pay');
    const cancel = businessEvent('order_cancel');
    const cancelNoReason = businessEvent('order_cancel', {}, { reason: undefined });
    const evolved = businessEvent('order_cancel', { version: '1.1' }, { refundTo: 'wallet' });
    const invalid = businessEvent('order_create', {}, { quantity: 0 });
    const foreign = businessEvent('user_login');
    const createBytes = await encode(create);
    // The id order_create is registered under, followed by bytes that are no order_create.
    const corrupt = Buffer.concat([
      createBytes.subarray(0, format === 'protobuf' ? 6 : 5),
      Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f]),
    ]);
    const records: Array<[string, Buffer]> = [
      ['create', createBytes],
      ['pay', await encode(pay)],
      ['cancel', await encode(cancel)],
      ['cancel-no-reason', await encode(cancelNoReason)],
      ['evolved', await encode(evolved)],
      ['invalid', await encode(invalid)],
      ['foreign', await encode(foreign)],
      ['unknown-id', frame(987_654_321, createBytes.subarray(5), format)],
      ['corrupt', corrupt],
      ['plain-json', Buffer.from(JSON.stringify(create))],
    ];
    await producer.send({ messages: records.map(([key, value]) => ({ topic, key, value })) });

    const failures = join(dir, `${topic}.jsonl`);
    const handler = domainHandler('order', db);
    const base = eventSources('test').order;
    const runner = new EsmRunner({
      handler,
      brokers: services().kafkaBrokers,
      settings: {
        ...base,
        topics: [topic],
        consumerGroupId: `${topic}-order`,
        onFailureTopic: `${topic}-failures`,
        maximumBatchingWindowInSeconds: 0,
        schemaRegistry: {
          kind: 'confluent',
          uri: services().schemaRegistryUrl,
          eventRecordFormat: recordFormat,
          validate: ['VALUE'],
          access: [],
        },
      },
      onFailure: { kind: 'file', path: failures },
    });
    await runner.start();
    try {
      const deadline = Date.now() + 30_000;
      for (;;) {
        const lag = await runner.offsetLag();
        if (lag.total === 0 && runner.inFlight === 0 && runner.stats.recordsConsumed >= records.length) break;
        if (Date.now() > deadline)
          throw new Error(`records not all consumed: ${JSON.stringify(runner.stats)}`);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    } finally {
      await runner.stop();
    }

    // Written: the valid events, the evolved one included, values as sent.
    const ids = [create, pay, cancel, cancelNoReason, evolved].map((e) => e.eventId as string);
    const [rows] = (await db.conn.query(
      'SELECT event_id, event_type, order_id, cancel_reason FROM order_event_wide WHERE event_id IN (?) ORDER BY event_id',
      [ids],
    )) as unknown as [
      Array<{ event_id: string; event_type: string; order_id: string; cancel_reason: string | null }>,
    ];
    expect(rows.map((r) => r.event_id).sort()).toEqual([...ids].sort());
    const byId = new Map(rows.map((r) => [r.event_id, r]));
    expect(byId.get(cancel.eventId as string)?.cancel_reason).toBe('changed mind');
    expect(byId.get(cancelNoReason.eventId as string)?.cancel_reason).toBeNull();
    expect(byId.get(evolved.eventId as string)?.cancel_reason).toBe('changed mind');
    expect(byId.get(create.eventId as string)?.order_id).toBe((create.payload as Json).orderId);

    // Dead-lettered: the registry's schema let it through, the catalog's did not.
    const [dead] = (await db.conn.query(
      'SELECT reason, event_id FROM event_dead_letter WHERE kafka_topic = ?',
      [topic],
    )) as unknown as [Array<{ reason: string; event_id: string | null }>];
    expect(dead).toEqual([{ reason: 'schema', event_id: invalid.eventId }]);

    // Another domain's event: not this function's to write.
    const [foreignRows] = (await db.conn.query('SELECT event_id FROM user_event_wide WHERE event_id = ?', [
      foreign.eventId,
    ])) as unknown as [unknown[]];
    expect(foreignRows).toEqual([]);

    // The on-failure destination: AWS's reasons, the original bytes.
    const documents = readFileSync(failures, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as FailureDocument);
    const outcome = documents.map((d) => {
      const record = Object.values(d.payload.records).flat()[0]!;
      return {
        key: Buffer.from(record.key ?? '', 'base64').toString(),
        condition: d.requestContext.condition,
        value: record.value,
      };
    });
    const original = new Map(records.map(([key, value]) => [key, value.toString('base64')]));
    expect(outcome).toEqual([
      { key: 'unknown-id', condition: 'SCHEMA_NOT_FOUND', value: original.get('unknown-id') },
      { key: 'corrupt', condition: 'DESERIALIZATION_ERROR', value: original.get('corrupt') },
      { key: 'plain-json', condition: 'DESERIALIZATION_ERROR', value: original.get('plain-json') },
    ]);
    expect(runner.metrics.OnFailureDestinationDeliveredEventCount).toBe(3);
    expect(runner.metrics.PolledEventCount).toBe(records.length);
  }, 90_000);
});
