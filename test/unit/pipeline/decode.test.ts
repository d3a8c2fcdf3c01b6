/** Decoding one Kafka record: every permanent reason, foreign events, version fallback, headers. */

import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { CATALOG } from '../../../shared/domains/registry.ts';
import { EventCatalog } from '../../../shared/events/catalog.ts';
import {
  DEFAULT_MAX_EVENT_BYTES,
  type DecodedRecord,
  decodeRecord,
  recordValue,
} from '../../../shared/pipeline/decode.ts';
import { PermanentEventError, type PermanentReason } from '../../../shared/pipeline/errors.ts';
import type { KafkaEventRecord } from '../../../shared/pipeline/lambda-event.ts';
import { businessEvent, kafkaRecord, type RecordSpec } from '../../support/events.ts';

const catalog = new EventCatalog(CATALOG);

function decode(value: RecordSpec['value'], domain = 'user', maxEventBytes?: number): DecodedRecord {
  return decodeRecord(kafkaRecord({ offset: 1, value }), {
    catalog,
    domain,
    ...(maxEventBytes ? { maxEventBytes } : {}),
  });
}

function invalid(
  decoded: DecodedRecord,
  reason: PermanentReason,
): PermanentEventError & { eventId?: string } {
  expect(decoded.kind).toBe('invalid');
  if (decoded.kind !== 'invalid') throw new Error('unreachable');
  expect(decoded.error).toBeInstanceOf(PermanentEventError);
  expect(decoded.error.reason).toBe(reason);
  return decoded.error;
}

describe('decodeRecord', () => {
  it('decodes a valid event of its own domain, payload parsed by the catalog', () => {
    const event = businessEvent('user_purchase', {}, { amount: 19.9, extra: 'dropped' });
    const decoded = decode(event);
    expect(decoded).toEqual({
      kind: 'event',
      event: { ...event, payload: { ...(event.payload as object), amount: '19.9', extra: undefined } },
    });
    if (decoded.kind === 'event') expect(decoded.event.payload).not.toHaveProperty('extra');
  });

  it.each(CATALOG.map((e) => [e.type, e.domain]))('decodes %s in the %s function', (type, domain) => {
    expect(decode(businessEvent(type), domain).kind).toBe('event');
  });

  describe('permanent reasons', () => {
    it('no_value: a tombstone or an empty value', () => {
      invalid(decode(null), 'no_value');
      invalid(decode(''), 'no_value');
      const record = { ...kafkaRecord({ offset: 1, value: 'x' }) } as KafkaEventRecord;
      delete (record as { value?: unknown }).value;
      invalid(decodeRecord(record, { catalog, domain: 'user' }), 'no_value');
    });

    it('oversize: a value above maxEventBytes, checked before decoding', () => {
      const event = businessEvent('user_login');
      const size = Buffer.byteLength(JSON.stringify(event));
      expect(decode(event, 'user', size).kind).toBe('event');
      const error = invalid(decode(event, 'user', size - 1), 'oversize');
      expect(error.message).toContain(String(size - 1));
    });

    it('oversize: the default limit is 1 MiB', () => {
      expect(DEFAULT_MAX_EVENT_BYTES).toBe(1024 * 1024);
      invalid(decode(Buffer.alloc(DEFAULT_MAX_EVENT_BYTES + 1, 0x20)), 'oversize');
      // Exactly the limit is not oversize (it is whitespace, so not JSON).
      invalid(decode(Buffer.alloc(DEFAULT_MAX_EVENT_BYTES, 0x20)), 'not_json');
    });

    it('not_utf8: bytes that are not UTF-8', () => {
      invalid(decode(Buffer.from([0xff, 0xfe, 0x00, 0x41])), 'not_utf8');
      invalid(decode(Buffer.from([0x7b, 0xc3, 0x28, 0x7d])), 'not_utf8'); // truncated sequence
    });

    it('not_json: text that is not JSON', () => {
      const error = invalid(decode('{"domain":"user",'), 'not_json');
      expect(error.message).toMatch(/^record value is not JSON/);
      // Never a fragment of the value: the parser's message quotes it, and messages reach logs.
      const secret = invalid(decode('{"card":"4111111111111111" oops}'), 'not_json');
      expect(secret.message).toBe('record value is not JSON (at position 27)');
      expect(invalid(decode('hello'), 'not_json').message).not.toContain('hello');
    });

    it.each([
      ['null', 'null'],
      ['a number', '42'],
      ['a string', '"user_login"'],
      ['an array', '[{"domain":"user"}]'],
    ])('schema: JSON that is %s is no event', (_, text) => {
      const error = invalid(decode(text), 'schema');
      expect(error.message).toContain('(root)');
    });

    it('schema: an envelope violation names the field', () => {
      const error = invalid(decode(businessEvent('user_login', { timestamp: 'now' })), 'schema');
      expect(error.message).toMatch(/^event violates its schema: timestamp: /);
    });

    it('schema: a payload violation names the type, the schema version and the path', () => {
      const error = invalid(decode(businessEvent('user_login', {}, { loginTime: 'yesterday' })), 'schema');
      expect(error.message).toMatch(/^user_login 1\.0 payload violates its schema: loginTime: /);
      const nested = invalid(
        decode(businessEvent('product_recommend', {}, { productIds: ['p1', ''] }), 'product'),
        'schema',
      );
      expect(nested.message).toContain('productIds.1: ');
    });

    it('schema: lists at most five issues', () => {
      const error = invalid(
        decode(
          businessEvent(
            'order_create',
            {},
            { orderId: 1, userId: 2, productId: 3, quantity: 'x', amount: 'y' },
          ),
          'order',
        ),
        'schema',
      );
      expect(error.message.split('; ')).toHaveLength(5);
      // A sixth problem would not be listed.
      const six = invalid(
        decode({ domain: 1, type: 2, timestamp: 'x', eventId: 4, payload: 5, version: 6, source: 7 }),
        'schema',
      );
      expect(six.message.split('; ')).toHaveLength(5);
    });

    it('schema: a type of another domain claimed by this domain', () => {
      const error = invalid(decode(businessEvent('order_create', { domain: 'user' }), 'user'), 'schema');
      expect(error.message).toContain('order_create belongs to domain "order"');
    });

    it('unknown_domain: a domain no function owns, in every function', () => {
      for (const domain of ['user', 'order', 'product']) {
        const error = invalid(
          decode(businessEvent('user_login', { domain: 'payment' }), domain),
          'unknown_domain',
        );
        expect(error.message).toContain('payment');
      }
    });

    it('unknown_type: a type the catalog lacks, in its own domain', () => {
      const error = invalid(decode(businessEvent('user_login', { type: 'user_teleport' })), 'unknown_type');
      expect(error.message).toContain('user_teleport');
    });

    it('unknown_version: another major version', () => {
      const error = invalid(decode(businessEvent('user_login', { version: '2.0' })), 'unknown_version');
      expect(error.message).toContain('2.0');
    });

    it('keeps the eventId of an invalid event when it has one', () => {
      const event = businessEvent('user_login', {}, { loginTime: 'yesterday' });
      const decoded = decode(event);
      expect(decoded).toMatchObject({ kind: 'invalid', eventId: event.eventId });
      expect(decode({ eventId: 7 })).not.toHaveProperty('eventId');
      expect(decode('null')).not.toHaveProperty('eventId');
    });
  });

  it('version fallback: 1.3 is read with the 1.0 schema, keeping the event’s version', () => {
    const event = businessEvent('user_login', { version: '1.3' }, { newField: 'x' });
    const decoded = decode(event);
    expect(decoded.kind).toBe('event');
    if (decoded.kind === 'event') {
      expect(decoded.event.version).toBe('1.3');
      expect(decoded.event.payload).not.toHaveProperty('newField');
    }
  });

  it('version fallback uses a registered minor schema when present', () => {
    const extended = new EventCatalog([
      ...CATALOG,
      {
        domain: 'user',
        type: 'user_login',
        version: '1.1',
        payload: (CATALOG[0]!.payload as z.ZodObject).extend({ mfa: z.boolean() }),
      },
    ]);
    const options = { catalog: extended, domain: 'user' };
    const v11 = kafkaRecord({
      offset: 1,
      value: businessEvent('user_login', { version: '1.2' }, { mfa: true }),
    });
    expect(decodeRecord(v11, options)).toMatchObject({ kind: 'event', event: { payload: { mfa: true } } });
    const missing = kafkaRecord({ offset: 2, value: businessEvent('user_login', { version: '1.1' }) });
    expect(invalid(decodeRecord(missing, options), 'schema').message).toContain('user_login 1.1 payload');
  });

  it('foreign: a valid envelope of another known domain is left to that domain’s function', () => {
    const event = businessEvent('order_pay');
    expect(decode(event, 'user')).toEqual({
      kind: 'foreign',
      domain: 'order',
      type: 'order_pay',
      eventId: event.eventId,
    });
    // The payload is not this function's business: even a bad one is foreign.
    expect(decode(businessEvent('order_pay', {}, { amount: 'lots' }), 'user').kind).toBe('foreign');
  });

  describe('topics (TOPIC_DOMAINS) and the event-domain header', () => {
    const on = (domains: string[], value: RecordSpec['value'], domain: string, header?: string) =>
      decodeRecord(
        kafkaRecord({ offset: 1, value, ...(header ? { headers: { 'event-domain': header } } : {}) }),
        { catalog, domain, topicDomains: new Set(domains) },
      );

    it('per-domain topic: another domain’s event there is misrouted, not skipped', () => {
      const error = invalid(on(['user'], businessEvent('order_pay'), 'user'), 'misrouted');
      expect(error.message).toContain('"order"');
      // With its header too: the owner of the header's domain does not read this topic.
      invalid(on(['user'], businessEvent('order_pay'), 'user', 'order'), 'misrouted');
    });

    it('shared topic: the header alone skips another domain’s record, before decoding its value', () => {
      expect(on(['user', 'order'], Buffer.from([0xc3, 0x28]), 'user', 'order')).toEqual({
        kind: 'foreign',
        domain: 'order',
        type: '',
        eventId: '',
      });
      // …and the header's own function dead-letters that poison.
      invalid(on(['user', 'order'], Buffer.from([0xc3, 0x28]), 'order', 'order'), 'not_utf8');
    });

    it('the header’s function dead-letters a body of another domain, which its function skips', () => {
      const event = businessEvent('order_pay');
      const error = invalid(on(['user', 'order'], event, 'user', 'user'), 'misrouted');
      expect(error.message).toContain('header names domain "user" but the event\'s domain is "order"');
      expect(on(['user', 'order'], event, 'order', 'user').kind).toBe('foreign');
    });

    it('a header naming a domain no function on the topic owns: dead-lettered by each', () => {
      for (const domain of ['user', 'order']) {
        invalid(on(['user', 'order'], businessEvent('user_login'), domain, 'payment'), 'misrouted');
        invalid(on(['user', 'order'], businessEvent('product_view'), domain, 'product'), 'misrouted');
      }
    });

    it('its own header: decoded as usual', () => {
      expect(on(['user'], businessEvent('user_login'), 'user', 'user').kind).toBe('event');
    });
  });

  it('accepts a UTF-8 byte order mark and non-ASCII text', () => {
    const event = businessEvent('product_search', {}, { keyword: 'Lampe für Büro 灯' });
    const bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(JSON.stringify(event))]);
    expect(decode(bytes, 'product')).toMatchObject({
      kind: 'event',
      event: { payload: { keyword: 'Lampe für Büro 灯' } },
    });
  });

  it('survives deeply nested JSON in the payload', () => {
    const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
    const text = JSON.stringify(businessEvent('user_login')).replace(
      '"ip":"10.0.0.1"',
      `"ip":"10.0.0.1","deep":${deep}`,
    );
    expect(decode(text).kind).toBe('event');
  });

  it('a __proto__ key in the payload does not change how the payload validates', () => {
    const text = JSON.stringify(businessEvent('user_login')).replace(
      '"payload":{',
      '"payload":{"__proto__":{"userId":"x"},',
    );
    const decoded = decode(text);
    expect(decoded.kind).toBe('event');
  });
});

describe('recordValue', () => {
  it('returns the decoded bytes', () => {
    expect(recordValue(kafkaRecord({ offset: 1, value: 'abc' }), 10).toString()).toBe('abc');
  });

  it('rejects oversize values by the base64 length, before decoding', () => {
    const record = { ...kafkaRecord({ offset: 1, value: 'x' }), value: 'A'.repeat(4_000) };
    expect(() => recordValue(record, 100)).toThrow(PermanentEventError);
  });
});
