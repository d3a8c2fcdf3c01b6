/**
 * The reliability suite's accounting (test/reliability/accounting.ts) on rows the real functions
 * wrote: it places every record (written, absorbed, dead-lettered), and it catches what the suite
 * exists to catch — a lost row, a record in two places, a row no record explains, an outcome other
 * than the documented one, a state counter that differs from the event rows.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DomainName } from '../../shared/domains/registry.ts';
import { account } from '../reliability/accounting.ts';
import type { RecordSpec, TopicRecord } from '../reliability/harness.ts';
import { domainHandler, freshDatabase, type TestDatabase } from '../support/database.ts';
import { businessEvent, type Json, kafkaEvent, kafkaRecord, lambdaContext } from '../support/events.ts';

const TOPIC = 'acct-topic';
let db: TestDatabase;
let records: TopicRecord[];
const login = businessEvent('user_login', {}, { userId: 'acct-u1' });
const purchase = businessEvent('user_purchase', {}, { userId: 'acct-u2', amount: '12.5' });
const create = businessEvent('order_create', {}, { orderId: 'acct-o1' });
const pay = businessEvent('order_pay', {}, { orderId: 'acct-o1' });
const view = businessEvent('product_view');

function spec(event: Json | string): RecordSpec {
  return typeof event === 'string'
    ? { key: 'k', value: event, expect: { kind: 'dead-letter', reason: 'not_json' } }
    : {
        key: 'k',
        value: JSON.stringify(event),
        expect: { kind: 'event', eventId: String(event.eventId), domain: event.domain as DomainName },
      };
}

beforeAll(async () => {
  db = await freshDatabase();
  const layout: Array<[number, number, Json | string]> = [
    [0, 0, login],
    [0, 1, login], // a duplicate
    [0, 2, create],
    [0, 3, pay],
    [1, 0, 'not json'],
    [1, 1, purchase],
    [1, 2, view],
  ];
  records = layout.map(([partition, offset, event], seq) => ({ partition, offset, seq, spec: spec(event) }));
  const event = kafkaEvent(
    layout.map(([partition, offset, value]) => kafkaRecord({ topic: TOPIC, partition, offset, value })),
  );
  for (const domain of ['user', 'order', 'product'] as const) {
    const handler = domainHandler(domain, db);
    expect((await handler(structuredClone(event), lambdaContext())).batchItemFailures).toEqual([]);
  }
});
afterAll(async () => {
  await db?.drop();
});

describe('reliability accounting', () => {
  it('places every record, once, where its documented outcome says; counters exact', async () => {
    const result = await account(db.conn, TOPIC, records, []);
    expect(result).toMatchObject({
      recordsIn: 7,
      accounted: 7,
      lost: 0,
      duplicated: 0,
      misplaced: 0,
      countersExact: true,
      places: { written: 5, absorbed: 1, 'dead-letter': 1, 'on-failure': 0 },
    });
    expect(result.placeOf.map((p) => p.place)).toEqual([
      'written',
      'absorbed',
      'written',
      'written',
      'dead-letter',
      'written',
      'written',
    ]);
  });

  it('reports a lost record, records in two places, a stray row, a misplaced record and wrong state', async () => {
    const deadLetterAt = (partition: number, offset: number) =>
      db.conn.query(
        `INSERT INTO event_dead_letter (kafka_topic, kafka_partition, kafka_offset, reason, error_message, function_domain)
         VALUES (?, ?, ?, 'schema', 'planted by the test', 'user')`,
        [TOPIC, partition, offset],
      );
    await db.conn.query('DELETE FROM user_event_wide WHERE event_id = ?', [purchase.eventId]); // lost
    await deadLetterAt(0, 2); // the order_create also dead-lettered
    await deadLetterAt(2, 9); // a row no record explains
    await db.conn.query(`UPDATE order_wide SET status = 'CANCELLED' WHERE order_id = 'acct-o1'`);
    const misread = records.map((r) =>
      r.spec.expect.kind === 'dead-letter'
        ? { ...r, spec: { ...r.spec, expect: { kind: 'dead-letter' as const, reason: 'schema' as const } } }
        : r,
    );
    const failures = [
      { partition: 1, offset: 2, functionArn: 'arn:product', condition: 'RetryAttemptsExhausted' },
    ];

    const result = await account(db.conn, TOPIC, misread, failures);
    expect(result).toMatchObject({
      recordsIn: 7,
      lost: 1,
      duplicated: 3,
      misplaced: 1,
      countersExact: false,
    });
    expect(result.accounted).toBe(4);
    const problems = result.problems.join('\n');
    expect(problems).toContain(`lost: ${TOPIC}-1@1`);
    expect(problems).toContain(`in 2 places: ${TOPIC}-0@2`);
    expect(problems).toContain(`in 2 places: ${TOPIC}-1@2`);
    expect(problems).toContain(`a row at ${TOPIC}-2@9`);
    expect(problems).toContain('is dead-letter (not_json), expected a dead letter (schema)');
    expect(problems).toContain('user_profile_wide "acct-u2"');
    expect(problems).toContain('order_wide "acct-o1"');
  });
});
