/**
 * The sink's guarantees against the real database: exactly-once effects under replays and races,
 * newest-wins state whatever the arrival order, and a constant number of statements per batch.
 */
import type { EventEmitter } from 'node:events';
import type { Pool, PoolOptions } from 'mysql2/promise';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { userEventWide } from '../../shared/domains/user.ts';
import { DataRejectedError, errorKind } from '../../shared/pipeline/errors.ts';
import type { KafkaEventRecord } from '../../shared/pipeline/lambda-event.ts';
import { checkedRow, type Table } from '../../shared/tables/table.ts';
import { domainHandler, dump, freshDatabase, realRuntime, type TestDatabase } from '../support/database.ts';
import { businessEvent, type Json, kafkaEvent, kafkaRecord, lambdaContext } from '../support/events.ts';

/**
 * How the next pools' sessions are set up wrongly, as a proxy or a server could: CLIENT_FOUND_ROWS
 * on (sysown/proxysql#2466), or a statement run on every new connection. mysql2 itself is real, and so is the database.
 */
const path = vi.hoisted(() => ({ foundRows: false, sessionSql: undefined as string | undefined }));
vi.mock('mysql2/promise', async (importOriginal) => {
  const mysql = await importOriginal<typeof import('mysql2/promise')>();
  const createPool = (options: PoolOptions): Pool => {
    const pool = mysql.createPool(path.foundRows ? { ...options, flags: ['FOUND_ROWS'] } : options);
    const sql = path.sessionSql;
    if (sql) {
      // Each new connection's session set up wrongly, before anything else runs on it.
      (pool as unknown as EventEmitter).on('connection', (c: { query(s: string, cb: () => void): void }) =>
        c.query(sql, () => {}),
      );
    }
    return pool;
  };
  const original = (mysql as unknown as { default?: object }).default;
  return { ...mysql, createPool, default: { ...original, createPool } };
});
afterEach(() => {
  path.foundRows = false;
  path.sessionSql = undefined;
});

let db: TestDatabase;
beforeAll(async () => {
  db = await freshDatabase();
});
afterAll(async () => {
  await db?.drop();
});
beforeEach(async () => {
  await db.truncate();
  await db.conn.query(
    `INSERT INTO dim_user (user_id, user_name, user_level, region) VALUES ('u1','Ann','gold','north'), ('u2','Bob','silver','south')`,
  );
  await db.conn.query(
    `INSERT INTO dim_product (product_id, product_name, category, brand, price) VALUES ('p1','Lamp','home','Acme',19.99)`,
  );
});

/** A user-domain batch over two users and two partitions, with a duplicate inside the batch. */
function userBatch(): { records: KafkaEventRecord[]; events: Json[] } {
  const events = [
    businessEvent('user_login', {}, { userId: 'u1', device: 'ios', loginTime: 1_790_000_000_000 }),
    businessEvent('user_login', {}, { userId: 'u1', device: 'web', loginTime: 1_790_000_100_000 }),
    businessEvent('user_purchase', {}, { userId: 'u1', productId: 'p1', amount: '19.99' }),
    businessEvent('user_purchase', {}, { userId: 'u2', productId: 'p9', amount: 5.01 }),
    businessEvent('user_view', {}, { userId: 'u2', productId: 'p1' }),
    businessEvent('user_view', {}, { userId: 'u3' }),
  ];
  const records = events.map((value, i) => kafkaRecord({ partition: i % 2, offset: 100 + i, value }));
  records.push(kafkaRecord({ partition: 0, offset: 200, value: events[2]! }));
  return { records, events };
}

async function profiles() {
  return dump(db.conn, 'user_profile_wide', 'user_id');
}

const EXPECTED_PROFILES = [
  {
    user_id: 'u1',
    login_count: '2',
    view_count: '0',
    purchase_count: '1',
    purchase_amount: '19.9900',
    last_device: 'web',
    user_name: 'Ann',
  },
  {
    user_id: 'u2',
    login_count: '0',
    view_count: '1',
    purchase_count: '1',
    purchase_amount: '5.0100',
    user_name: 'Bob',
  },
  {
    user_id: 'u3',
    login_count: '0',
    view_count: '1',
    purchase_count: '0',
    purchase_amount: '0.0000',
    user_name: null,
  },
];

describe('exactly-once effect', () => {
  it('leaves identical tables when the same batch is applied three times', async () => {
    const handler = domainHandler('user', db);
    const { records } = userBatch();
    const snapshots = [];
    for (let i = 0; i < 3; i++) {
      const response = await handler(kafkaEvent(records), lambdaContext());
      expect(response.batchItemFailures).toEqual([]);
      snapshots.push({
        events: await dump(db.conn, 'user_event_wide', 'event_id'),
        profiles: await profiles(),
      });
    }
    expect(snapshots[0]!.events).toHaveLength(6);
    expect(snapshots[1]).toEqual(snapshots[0]);
    expect(snapshots[2]).toEqual(snapshots[0]);
    expect(snapshots[0]!.profiles).toMatchObject(EXPECTED_PROFILES);
  });

  it('keeps counters exact when two workers race with overlapping batches in different orders', async () => {
    const { records } = userBatch();
    const reversed = [...records].reverse().map((r, i) => ({ ...r, offset: 500 + i }));
    for (let round = 0; round < 5; round++) {
      await db.conn.query('DELETE FROM user_event_wide');
      await db.conn.query('DELETE FROM user_profile_wide');
      // Two containers: separate pools, concurrently, each replaying twice.
      const a = domainHandler('user', db);
      const b = domainHandler('user', db);
      const responses = await Promise.all([
        a(kafkaEvent(records), lambdaContext()),
        b(kafkaEvent(reversed), lambdaContext()),
        a(kafkaEvent(reversed), lambdaContext()),
        b(kafkaEvent(records), lambdaContext()),
      ]);
      for (const response of responses) expect(response.batchItemFailures).toEqual([]);
      expect(await profiles()).toMatchObject(EXPECTED_PROFILES);
    }
  });
});

describe('newest wins: order_wide', () => {
  const at = (minute: number) => 1_790_000_000_000 + minute * 60_000;
  const orderEvents = () => ({
    create: businessEvent(
      'order_create',
      { eventId: 'e-create', timestamp: at(0) },
      { orderId: 'o1', userId: 'u1', productId: 'p1', quantity: 3, amount: '59.97' },
    ),
    pay: businessEvent(
      'order_pay',
      { eventId: 'e-pay', timestamp: at(5) },
      { orderId: 'o1', userId: 'u1', amount: '59.97', payMethod: 'card', payTime: at(5) },
    ),
    cancel: businessEvent(
      'order_cancel',
      { eventId: 'e-cancel', timestamp: at(9) },
      { orderId: 'o1', userId: 'u1', reason: 'late' },
    ),
  });

  function permutations<T>(items: T[]): T[][] {
    if (items.length <= 1) return [items];
    return items.flatMap((item, i) =>
      permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]),
    );
  }

  it('reaches the same row for every arrival order, one batch per event and all in one batch', async () => {
    const handler = domainHandler('order', db);
    const results: Array<Record<string, unknown>[]> = [];
    const events = orderEvents();
    for (const order of permutations(['create', 'pay', 'cancel'] as const)) {
      for (const together of [false, true]) {
        await db.conn.query('DELETE FROM order_wide');
        await db.conn.query('DELETE FROM order_event_wide');
        const records = order.map((name, i) => kafkaRecord({ offset: i, value: events[name] }));
        if (together) await handler(kafkaEvent(records), lambdaContext());
        else for (const record of records) await handler(kafkaEvent([record]), lambdaContext());
        results.push(await dump(db.conn, 'order_wide', 'order_id'));
      }
    }
    expect(results).toHaveLength(12);
    for (const result of results) expect(result).toEqual(results[0]);
    expect(results[0]).toMatchObject([
      {
        order_id: 'o1',
        user_id: 'u1',
        product_id: 'p1',
        quantity: 3,
        amount: '59.9700',
        paid_amount: '59.9700',
        pay_method: 'card',
        status: 'CANCELLED',
        cancel_reason: 'late',
        user_name: 'Ann',
        product_name: 'Lamp',
        created_at: new Date(at(0)),
        paid_at: new Date(at(5)),
        cancelled_at: new Date(at(9)),
        last_event_time: new Date(at(9)),
      },
    ]);
  });

  it('never lets an older event overwrite newer state', async () => {
    const handler = domainHandler('order', db);
    const { create, pay } = orderEvents();
    await handler(kafkaEvent([kafkaRecord({ offset: 1, value: pay })]), lambdaContext());
    await handler(kafkaEvent([kafkaRecord({ offset: 2, value: create })]), lambdaContext());
    const [row] = await dump(db.conn, 'order_wide', 'order_id');
    expect(row).toMatchObject({
      status: 'PAID',
      quantity: 3,
      created_at: new Date(at(0)),
      paid_at: new Date(at(5)),
    });
  });
});

describe('batched I/O', () => {
  /**
   * A runtime whose pool has passed the sink's session check (three round trips, once per pool:
   * shared/sink/session-check.ts), its statements counted from then on.
   */
  async function checkedRuntime() {
    const runtime = realRuntime(db);
    await runtime.database.run(async () => undefined);
    expect(runtime.statements).toEqual([
      'SELECT VERSION() AS version',
      expect.stringMatching(/^SELECT @@SESSION\.(tx|transaction)_isolation AS isolation/),
      // The affected-rows probe, as one multi-statement query.
      expect.stringMatching(/^START TRANSACTION;\nINSERT INTO `affected_rows_probe`[\s\S]*;\nROLLBACK$/),
    ]);
    runtime.statements.length = 0;
    runtime.roundTrips.count = 0;
    return runtime;
  }

  it('sends a small constant number of statements for a 1,000-event batch', async () => {
    const types = ['user_login', 'user_purchase', 'user_view'];
    const records = Array.from({ length: 1_000 }, (_, i) =>
      kafkaRecord({
        partition: i % 4,
        offset: i,
        value: businessEvent(types[i % 3]!, {}, { userId: `u${i % 50}`, productId: `p${i % 20}` }),
      }),
    );
    records.push(kafkaRecord({ partition: 0, offset: 5_000, value: 'not json' }));
    const runtime = await checkedRuntime();
    const handler = domainHandler('user', db, { runtime });
    const response = await handler(kafkaEvent(records), lambdaContext());
    expect(response.batchItemFailures).toEqual([]);
    const [[{ n }]] = (await db.conn.query('SELECT COUNT(*) AS n FROM user_event_wide')) as unknown as [
      [{ n: number }],
    ];
    expect(Number(n)).toBe(1_000);
    console.log(
      `[sink] 1,001-record batch: ${runtime.statements.length} statements:\n  ${runtime.statements.map((s) => s.slice(0, 60)).join('\n  ')}`,
    );
    // 2 dimension lookups; existing ids; then START, events, profile deltas, dead letters, COMMIT
    // in one round trip.
    expect(runtime.statements.length).toBeLessThanOrEqual(8);
    expect(runtime.roundTrips.count).toBe(4);
    // The profile upsert carries one row per user (combineRows), not one per event.
    const profileUpsert = runtime.statements.find((st) => st.startsWith('INSERT INTO `user_profile_wide`'));
    expect(profileUpsert?.split('), (')).toHaveLength(50);
    await runtime.database.close();
  });

  it('writes a batch without state rows with one insert per table, duplicates counted from affected rows', async () => {
    const views = Array.from({ length: 300 }, (_, i) =>
      businessEvent('product_view', {}, { productId: `p${i % 20}`, userId: `u${i % 50}` }),
    );
    const event = kafkaEvent(views.map((value, i) => kafkaRecord({ partition: i % 3, offset: i, value })));
    const runtime = await checkedRuntime();
    const logs: string[] = [];
    const handler = domainHandler('product', db, { runtime, writeLog: (line) => logs.push(line) });
    expect((await handler(event, lambdaContext())).batchItemFailures).toEqual([]);
    // 2 dimension lookups; START, the events, COMMIT in one round trip — no existence check.
    expect(runtime.statements.filter((s) => !s.startsWith('SELECT'))).toHaveLength(3);
    expect(runtime.statements).toHaveLength(5);
    expect(runtime.roundTrips.count).toBe(3);
    // A replay, with three of the events twice more in the batch: all absorbed, counted.
    const replay = kafkaEvent(
      [...views, ...views.slice(0, 3)].map((value, i) =>
        kafkaRecord({ partition: 0, offset: 1_000 + i, value }),
      ),
    );
    expect((await handler(replay, lambdaContext())).batchItemFailures).toEqual([]);
    const done = logs.map((l) => JSON.parse(l)).filter((l) => l.message === 'batch done');
    expect(done.map((l) => [l.processed, l.duplicates])).toEqual([
      [300, 0],
      [0, 303],
    ]);
    await runtime.database.close();
  });
});

describe('ids compare byte for byte', () => {
  it('keeps events and entities whose ids differ only in case apart, and replays count nothing twice', async () => {
    const handler = domainHandler('user', db);
    const upper = businessEvent('user_login', { eventId: 'evt-A' }, { userId: 'U1' });
    const lower = businessEvent('user_login', { eventId: 'evt-a' }, { userId: 'u1' });
    const batch = kafkaEvent([
      kafkaRecord({ offset: 1, value: upper }),
      kafkaRecord({ offset: 2, value: lower }),
    ]);
    for (let i = 0; i < 3; i++) expect((await handler(batch, lambdaContext())).batchItemFailures).toEqual([]);
    expect((await dump(db.conn, 'user_event_wide', 'event_id')).map((r) => r.event_id)).toEqual([
      'evt-A',
      'evt-a',
    ]);
    expect((await profiles()).map((p) => [p.user_id, p.login_count, p.user_name])).toEqual([
      ['U1', '1', null],
      ['u1', '1', 'Ann'],
    ]);
  });
});

describe('text is stored as it was sent', () => {
  it('dead-letters a string UTF-8 cannot hold (an unpaired surrogate) instead of storing U+FFFD and merging two ids', async () => {
    const handler = domainHandler('user', db);
    // JSON escapes of lone surrogates: valid JSON, distinct ids to the code, both 'lone-\uFFFD' once encoded.
    const loneHigh = businessEvent('user_login', {}, { userId: 'lone-\ud800' });
    const loneLow = businessEvent('user_login', {}, { userId: 'lone-\udbff' });
    const badDevice = businessEvent('user_login', {}, { userId: 'u1', device: 'ios-\udfff' });
    const emoji = businessEvent('user_login', {}, { userId: 'u-😀', device: 'phone 📱' });
    const response = await handler(
      kafkaEvent([loneHigh, loneLow, badDevice, emoji].map((value, i) => kafkaRecord({ offset: i, value }))),
      lambdaContext(),
    );
    expect(response.batchItemFailures).toEqual([]);
    expect((await dump(db.conn, 'user_event_wide', 'event_id')).map((r) => [r.user_id, r.device])).toEqual([
      ['u-😀', 'phone 📱'],
    ]);
    expect((await profiles()).map((p) => [p.user_id, p.login_count])).toEqual([['u-😀', '1']]);
    const [letters] = (await db.conn.query(
      'SELECT kafka_offset, reason, error_message FROM event_dead_letter ORDER BY kafka_offset',
    )) as unknown as [Array<{ kafka_offset: string; reason: string; error_message: string }>];
    expect(letters.map((l) => [l.kafka_offset, l.reason])).toEqual([
      ['0', 'schema'],
      ['1', 'schema'],
      ['2', 'schema'],
    ]);
    expect(letters[2]!.error_message).toContain('device: must be well-formed Unicode');
  });
});

describe('dead letters: one row per Kafka record', () => {
  it('keeps the first row for the same record seen again, and a new row for a new record at a reused coordinate', async () => {
    const at = 1_790_000_000_000;
    const poison = (timestamp: number, text: string) =>
      kafkaRecord({ topic: 'recreated', partition: 0, offset: 7, timestamp, value: text });
    // The same record twice (a retry; every function of a shared topic): one row, the first.
    for (const domain of ['user', 'order'] as const) {
      expect(
        (await domainHandler(domain, db)(kafkaEvent([poison(at, 'not json')]), lambdaContext()))
          .batchItemFailures,
      ).toEqual([]);
    }
    // The topic deleted and created again: offset 7 holds another record.
    await domainHandler('user', db)(kafkaEvent([poison(at + 60_000, 'truncated {')]), lambdaContext());
    const [letters] = (await db.conn.query(
      'SELECT function_domain, CAST(record_value AS CHAR) AS value FROM event_dead_letter ORDER BY id',
    )) as unknown as [Array<{ function_domain: string; value: string }>];
    expect(letters).toEqual([
      { function_domain: 'user', value: 'not json' },
      { function_domain: 'user', value: 'truncated {' },
    ]);
  });
});

describe('dead letters: always writable, written once', () => {
  it('dead-letters a record timestamped after year 9999 and one without a timestamp, once each however often delivered', async () => {
    const far = kafkaRecord({
      topic: 'odd-times',
      partition: 0,
      offset: 1,
      timestamp: 8.64e15,
      value: 'not json',
    });
    const none = kafkaRecord({ topic: 'odd-times', partition: 0, offset: 2, value: 'not json either' });
    delete (none as Partial<KafkaEventRecord>).timestamp;
    const good = kafkaRecord({ topic: 'odd-times', partition: 0, offset: 3, value: userBatch().events[0]! });
    for (let delivery = 0; delivery < 3; delivery++) {
      const response = await domainHandler('user', db)(kafkaEvent([far, none, good]), lambdaContext());
      // Nothing held up: the good record behind them is written, nothing is reported for retry.
      expect(response.batchItemFailures).toEqual([]);
    }
    const [letters] = (await db.conn.query(
      `SELECT kafka_offset, record_timestamp, CAST(record_timestamp_ms AS CHAR) AS ms, reason
         FROM event_dead_letter WHERE kafka_topic = 'odd-times' ORDER BY id`,
    )) as unknown as [Array<Record<string, unknown>>];
    expect(letters).toEqual([
      { kafka_offset: '1', record_timestamp: null, ms: '8640000000000000', reason: 'not_json' },
      { kafka_offset: '2', record_timestamp: null, ms: '-1', reason: 'not_json' },
    ]);
    expect(await dump(db.conn, 'user_event_wide', 'event_id')).toHaveLength(1);
  });
});

describe('newest wins on ties', () => {
  it('breaks equal event times by payload version, then event id, for every column group', async () => {
    const handler = domainHandler('order', db);
    const t = 1_790_000_000_000;
    const create = (eventId: string, version: string, amount: string) =>
      businessEvent(
        'order_create',
        { eventId, version, timestamp: t },
        { orderId: 'o9', userId: 'u1', productId: 'p1', quantity: 1, amount },
      );
    const a = create('e-1', '1.0', '10');
    const b = create('e-2', '1.1', '20');
    const c = create('e-0', '1.1', '30');
    const rows = [];
    for (const order of [
      [a, b, c],
      [c, b, a],
      [b, a, c],
      [a, c, b],
    ]) {
      await db.conn.query('DELETE FROM order_wide');
      await db.conn.query('DELETE FROM order_event_wide');
      for (const [i, e] of order.entries())
        await handler(kafkaEvent([kafkaRecord({ offset: i, value: e })]), lambdaContext());
      rows.push(await dump(db.conn, 'order_wide', 'order_id'));
    }
    for (const row of rows) expect(row).toEqual(rows[0]);
    // Same time: version 1.1 beats 1.0; between the two 1.1 events, event id e-2 beats e-0.
    expect(rows[0]).toMatchObject([{ amount: '20.0000', status: 'CREATED' }]);
  });
});

describe('a value the database refuses', () => {
  it.each([
    [
      'too long for its column',
      { device: 'SECRET-'.repeat(20) },
      /of column device \(ER_DATA_TOO_LONG 1406\)/,
    ],
    ['not a decimal', { amount: 'SECRET-amount' }, /of column amount \(/],
  ])('is rejected without quoting the value: %s', async (_name, columns, message) => {
    const runtime = realRuntime(db);
    const row = {
      event_id: 'refused-1',
      event_type: 'user_login',
      event_time: new Date(1_790_000_000_000),
      event_version: '1.0',
      source: 'test',
      user_id: 'u1',
      kafka_topic: 'business-events',
      kafka_partition: 0,
      kafka_offset: 1,
      ...columns,
    };
    const write = {
      eventId: 'refused-1',
      event: checkedRow(userEventWide as unknown as Table, row),
      state: [],
    };
    const error = await runtime.sink.apply({ events: [write], deadLetters: [] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DataRejectedError);
    expect((error as Error).message).toMatch(message);
    expect(JSON.stringify(error, Object.getOwnPropertyNames(error))).not.toContain('SECRET');
    expect((error as Error).cause).toBeUndefined();
    await runtime.database.close();
  });
});

describe('a connection path set up wrongly', () => {
  const loginWrite = (eventId: string) => ({
    eventId,
    event: checkedRow(userEventWide as unknown as Table, {
      event_id: eventId,
      event_type: 'user_login',
      event_time: new Date(1_790_000_000_000),
      event_version: '1.0',
      source: 'test',
      user_id: 'u1',
      kafka_topic: 'business-events',
      kafka_partition: 0,
      kafka_offset: 1,
    }),
    state: [],
  });
  const eventCount = async () => {
    const [[{ n }]] = (await db.conn.query('SELECT COUNT(*) AS n FROM user_event_wide')) as unknown as [
      [{ n: number }],
    ];
    return Number(n);
  };

  it('refuses to write where a no-op upsert counts 1 affected row (CLIENT_FOUND_ROWS on), and writes once it counts 0', async () => {
    path.foundRows = true;
    const runtime = realRuntime(db);
    const error = await runtime.sink
      .apply({ events: [loginWrite('found-1')], deadLetters: [] })
      .catch((e) => e);
    expect(errorKind(error)).toBe('database_config');
    expect((error as Error).message).toMatch(
      /refusing to write: a no-op upsert reports 1 affected row\(s\), where MySQL reports 0 without CLIENT_FOUND_ROWS/,
    );
    // Nothing was written, nothing was left behind, and no transaction of the sink's ran.
    expect(await eventCount()).toBe(0);
    expect(runtime.statements.some((s) => s.includes('user_event_wide'))).toBe(false);
    const [[probe]] = (await db.conn.query('SELECT COUNT(*) AS n FROM affected_rows_probe')) as unknown as [
      [{ n: number }],
    ];
    expect(Number(probe.n)).toBe(0);
    // The path fixed: the same Database checks a new pool and writes.
    path.foundRows = false;
    expect(await runtime.sink.apply({ events: [loginWrite('found-1')], deadLetters: [] })).toMatchObject({
      applied: 1,
    });
    expect(await eventCount()).toBe(1);
    await runtime.database.close();
  });

  it('reports the whole batch for retry and counts DatabaseConfigErrors', async () => {
    path.foundRows = true;
    const handler = domainHandler('user', db);
    const { records } = userBatch();
    const response = await handler(kafkaEvent(records), lambdaContext());
    expect(response.batchItemFailures).toHaveLength(records.length); // nothing lost: all retried
    expect(await eventCount()).toBe(0);
    const emf = handler.logs.map((l) => JSON.parse(l)).filter((e) => e._aws);
    expect(emf.map((e) => e.DatabaseConfigErrors).filter((n) => n !== undefined)).toEqual([1]);
  });

  it.each([
    [
      'REPEATABLE READ sessions',
      'SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ',
      /sessions run REPEATABLE-READ/,
    ],
    [
      'a session time zone other than UTC',
      "SET time_zone = '+01:00'",
      /the session time zone is \+01:00, not UTC/,
    ],
  ])('refuses %s', async (_name, sql, message) => {
    path.sessionSql = sql;
    const runtime = realRuntime(db);
    const error = await runtime.sink
      .apply({ events: [loginWrite('session-1')], deadLetters: [] })
      .catch((e) => e);
    expect(errorKind(error)).toBe('database_config');
    expect((error as Error).message).toMatch(message);
    expect(await eventCount()).toBe(0);
    await runtime.database.close();
  });
});
