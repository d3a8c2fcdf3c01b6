/**
 * The reliability suite's accounting (test/reliability/accounting.ts) on rows the real functions
 * wrote: it places every record (written, absorbed, dead-lettered), and it catches what the suite
 * exists to catch — a lost row, a record in two places, a row no record explains, an outcome other
 * than the documented one, a state row that differs from what the produced events say (even when
 * the event rows were falsified to match it).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { endpointsToEnv } from '../../scripts/services/find-services.ts';
import type { DomainName } from '../../shared/domains/registry.ts';
import { account } from '../reliability/accounting.ts';
import { type DimensionEpoch, type ProducedEvent, readDimensions } from '../reliability/expected-state.ts';
import type { RecordSpec, TopicRecord } from '../reliability/harness.ts';
import { domainHandler, freshDatabase, type TestDatabase } from '../support/database.ts';
import { businessEvent, type Json, kafkaEvent, kafkaRecord, lambdaContext } from '../support/events.ts';
import { services } from '../support/services.ts';

const TOPIC = 'acct-topic';
let db: TestDatabase;
let records: TopicRecord[];
let dimensions: DimensionEpoch[];
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
        expect: {
          kind: 'event',
          eventId: String(event.eventId),
          domain: event.domain as DomainName,
          event: event as unknown as ProducedEvent,
        },
      };
}

beforeAll(async () => {
  db = await freshDatabase();
  // Dimension rows for the user who logs in and the product ordered: their columns are checked too.
  await db.conn.query(
    `INSERT INTO dim_user (user_id, user_name, user_level, region) VALUES ('acct-u1', 'Ada', 'gold', 'north')`,
  );
  await db.conn.query(
    `INSERT INTO dim_product (product_id, product_name, category, brand, price) VALUES (?, 'Lamp', 'home', 'Acme', 10)`,
    [(create.payload as Json).productId],
  );
  dimensions = [{ from: 0, rows: await readDimensions(db.conn) }];
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
    const result = await account(db.conn, TOPIC, records, [], dimensions);
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

  // Each corruption in a transaction of the reading connection, rolled back after the check.
  it.each([
    {
      what: 'a counter one too high',
      sql: [`UPDATE user_profile_wide SET login_count = login_count + 1 WHERE user_id = 'acct-u1'`],
      says: 'user_profile_wide "acct-u1": login_count 2, produced input says 1',
    },
    {
      what: 'a sum changed, and the event row falsified to match it',
      sql: [
        `UPDATE user_event_wide SET amount = 99 WHERE user_id = 'acct-u2'`,
        `UPDATE user_profile_wide SET purchase_amount = 99 WHERE user_id = 'acct-u2'`,
      ],
      says: 'user_profile_wide "acct-u2": purchase_amount "99.0000", produced input says "12.5000"',
    },
    {
      what: 'the last device of another login',
      sql: [`UPDATE user_profile_wide SET last_device = 'toaster' WHERE user_id = 'acct-u1'`],
      says: 'last_device "toaster", produced input says',
    },
    {
      what: 'a dimension column not the seeded row',
      sql: [`UPDATE user_profile_wide SET user_name = 'Eve' WHERE user_id = 'acct-u1'`],
      says: 'user_name "Eve", produced input says "Ada"',
    },
    {
      what: "the product columns of the order's creation",
      sql: [`UPDATE order_wide SET product_name = NULL WHERE order_id = 'acct-o1'`],
      says: 'product_name null, produced input says "Lamp"',
    },
    {
      what: 'a payment column',
      sql: [`UPDATE order_wide SET paid_amount = 1 WHERE order_id = 'acct-o1'`],
      says: 'order_wide "acct-o1": paid_amount "1.0000"',
    },
    {
      what: 'the user of an older event',
      sql: [
        `UPDATE order_wide SET user_id = ${JSON.stringify((create.payload as Json).userId)} WHERE order_id = 'acct-o1'`,
      ],
      says: 'order_wide "acct-o1": user_id',
    },
    {
      what: 'a state row missing',
      sql: [`DELETE FROM order_wide WHERE order_id = 'acct-o1'`],
      says: 'order_wide "acct-o1": no row, though events of it were produced',
    },
    {
      what: 'a state row no event explains',
      sql: [`INSERT INTO user_profile_wide (user_id) VALUES ('ghost')`],
      says: 'user_profile_wide "ghost": a row no produced event explains',
    },
  ])('catches $what in the state tables', async ({ sql, says }) => {
    await db.conn.query('BEGIN');
    try {
      for (const statement of sql) await db.conn.query(statement);
      const result = await account(db.conn, TOPIC, records, [], dimensions);
      expect(result).toMatchObject({ lost: 0, duplicated: 0, misplaced: 0, countersExact: false });
      expect(result.problems.join('\n')).toContain(says);
    } finally {
      await db.conn.query('ROLLBACK');
    }
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

    const result = await account(db.conn, TOPIC, misread, failures, dimensions);
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
    // The purchase's lost row changes no expectation: the state still says what was produced.
    expect(problems).not.toContain('user_profile_wide "acct-u2"');
    expect(problems).toContain('order_wide "acct-o1"');
  });
});

describe('the scenarios that restart a native service', () => {
  it("fail, saying so, when the services are not this checkout's native ones (never a proxy-only outage)", async () => {
    const noServices = mkdtempSync(join(tmpdir(), 'lrt-no-services-'));
    try {
      const result = await promisify(execFile)(
        process.execPath,
        ['test/reliability/suite.ts', '--size', 'ci', '--only', 'mysql-outage,kafka-restart'],
        {
          env: { ...process.env, ...endpointsToEnv(services()), LRT_SERVICES_DIR: noServices },
          timeout: 110_000,
        },
      ).then(
        (r) => ({ code: 0, stdout: r.stdout }),
        (e: { code?: number; stdout?: string }) => ({ code: e.code, stdout: e.stdout ?? '' }),
      );
      expect(result.code).toBe(1);
      expect(result.stdout).toMatch(/mysql-outage .*FAILED/);
      expect(result.stdout).toMatch(/kafka-restart .*FAILED/);
      expect(result.stdout).toContain('mysql-outage needs the native MariaDB this checkout started');
      expect(result.stdout).toContain('Without it the scenario would be a proxy-only outage');
      expect(result.stdout).toContain('kafka-restart needs the native broker this checkout started');
      expect(result.stdout).toContain(`${noServices}/mysql/pid does not exist`);
    } finally {
      rmSync(noServices, { recursive: true, force: true });
    }
  }, 120_000);
});
