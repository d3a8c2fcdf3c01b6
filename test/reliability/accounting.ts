/**
 * The accounting every scenario ends with. Each record in the topic (read back from Kafka, so a
 * record the producer wrote twice counts twice) is looked for, by its Kafka coordinates, in every
 * place the pipeline can put it:
 *
 *   - its wide table: the event row whose kafka_partition/kafka_offset are the record's;
 *   - absorbed as a duplicate: no row of its own, but its eventId's row in its domain's table was
 *     written from another record of this topic carrying the same eventId;
 *   - event_dead_letter: the row with the record's coordinates;
 *   - the on-failure destination: a failure document naming the record.
 *
 * A record in no place is lost; in more than one, duplicated (as is a row no record explains); in
 * one place that is not its documented outcome (an event dead-lettered, a dead letter with another
 * reason, an event sent to the on-failure destination), misplaced. Then the state tables are
 * recomputed from the event tables: user_profile_wide's counters and sums and its newest-event
 * columns, and order_wide (one row per order, the status and order keys of its newest events).
 */
import type { Connection } from 'mysql2/promise';
import { DOMAINS, eventTables } from '../../shared/domains/registry.ts';
import { eventOrderKey } from '../../shared/tables/table.ts';
import type { FailureDoc, TopicRecord } from './harness.ts';

export type Place = 'written' | 'absorbed' | 'dead-letter' | 'on-failure';

export interface Accounting {
  recordsIn: number;
  accounted: number;
  lost: number;
  duplicated: number;
  misplaced: number;
  places: Record<Place, number>;
  countersExact: boolean;
  /** The first problems found, for people. */
  problems: string[];
  /** Where each record ended (same order as the records given): the place and the table or reason. */
  placeOf: Array<{ place: Place | 'lost' | 'duplicated'; detail: string }>;
}

interface EventRowRef {
  table: string;
  eventId: string;
  partition: number;
  offset: number;
}

interface DeadLetterRef {
  partition: number;
  offset: number;
  reason: string;
}

const MAX_PROBLEMS = 12;

export async function account(
  conn: Connection,
  topic: string,
  records: readonly TopicRecord[],
  failures: readonly FailureDoc[],
): Promise<Accounting> {
  const problems: string[] = [];
  const problem = (text: string) => {
    if (problems.length < MAX_PROBLEMS) problems.push(text);
  };
  const at = (partition: number, offset: number) => `${partition}:${offset}`;

  const rows: EventRowRef[] = [];
  for (const table of DOMAINS.flatMap((d) => eventTables(d).map((t) => t.name))) {
    const [found] = (await conn.query(
      `SELECT event_id, kafka_partition, kafka_offset FROM ${table} WHERE kafka_topic = ?`,
      [topic],
    )) as unknown as [Array<{ event_id: string; kafka_partition: number; kafka_offset: string }>];
    for (const r of found) {
      rows.push({ table, eventId: r.event_id, partition: r.kafka_partition, offset: Number(r.kafka_offset) });
    }
  }
  const [deadLetterRows] = (await conn.query(
    'SELECT kafka_partition, kafka_offset, reason FROM event_dead_letter WHERE kafka_topic = ?',
    [topic],
  )) as unknown as [Array<{ kafka_partition: number; kafka_offset: string; reason: string }>];
  const deadLetters: DeadLetterRef[] = deadLetterRows.map((r) => ({
    partition: r.kafka_partition,
    offset: Number(r.kafka_offset),
    reason: r.reason,
  }));

  const recordAt = new Map(records.map((r) => [at(r.partition, r.offset), r]));
  const rowsAt = groupBy(rows, (r) => at(r.partition, r.offset));
  const rowByEventId = new Map(rows.map((r) => [`${r.table}/${r.eventId}`, r]));
  const deadLetterAt = new Map(deadLetters.map((d) => [at(d.partition, d.offset), d]));
  const failedAt = groupBy(failures, (f) => at(f.partition, f.offset));
  const tablesOf = new Map(DOMAINS.map((d) => [d.name as string, eventTables(d).map((t) => t.name)]));

  // Rows, dead letters and failure documents that no record of the topic explains.
  let strays = 0;
  for (const [where, list] of [...rowsAt, ...groupBy(deadLetters, (d) => at(d.partition, d.offset))]) {
    if (!recordAt.has(where)) {
      strays += list.length;
      problem(`a row at ${topic}-${where.replace(':', '@')} that no record of the topic explains`);
    }
  }
  for (const where of failedAt.keys()) {
    if (!recordAt.has(where)) {
      strays += 1;
      problem(`a failure document for ${topic}-${where.replace(':', '@')}, not a record of the topic`);
    }
  }

  const places: Record<Place, number> = { written: 0, absorbed: 0, 'dead-letter': 0, 'on-failure': 0 };
  const placeOf: Accounting['placeOf'] = [];
  let lost = 0;
  let duplicated = strays;
  let misplaced = 0;
  for (const record of records) {
    const where = at(record.partition, record.offset);
    const name = `${topic}-${record.partition}@${record.offset} (${record.spec.label ?? record.spec.expect.kind}${
      record.spec.expect.kind === 'event' ? ` ${record.spec.expect.eventId}` : ''
    })`;
    const found: Array<{ place: Place; detail: string }> = [];
    for (const row of rowsAt.get(where) ?? []) found.push({ place: 'written', detail: row.table });
    const deadLetter = deadLetterAt.get(where);
    if (deadLetter) found.push({ place: 'dead-letter', detail: deadLetter.reason });
    const failed = failedAt.get(where);
    if (failed) found.push({ place: 'on-failure', detail: failed.map((f) => f.functionArn).join(',') });
    const expect = record.spec.expect;
    if (found.length === 0 && expect.kind === 'event') {
      // Absorbed: its eventId's row, written from another record of this topic.
      for (const table of tablesOf.get(expect.domain) ?? []) {
        const row = rowByEventId.get(`${table}/${expect.eventId}`);
        if (row && recordAt.has(at(row.partition, row.offset)))
          found.push({ place: 'absorbed', detail: table });
      }
    }
    if (found.length === 0) {
      lost += 1;
      placeOf.push({ place: 'lost', detail: '' });
      problem(`lost: ${name}`);
      continue;
    }
    if (found.length > 1) {
      duplicated += 1;
      placeOf.push({ place: 'duplicated', detail: found.map((f) => f.place).join('+') });
      problem(
        `in ${found.length} places: ${name}: ${found.map((f) => `${f.place} (${f.detail})`).join(', ')}`,
      );
      continue;
    }
    const [{ place, detail }] = found as [{ place: Place; detail: string }];
    places[place] += 1;
    placeOf.push({ place, detail });
    const documented =
      expect.kind === 'event'
        ? (place === 'written' || place === 'absorbed') &&
          (tablesOf.get(expect.domain) ?? []).includes(detail)
        : place === 'dead-letter' && (expect.reason === undefined || expect.reason === detail);
    if (!documented) {
      misplaced += 1;
      problem(
        `not its documented outcome: ${name} is ${place} (${detail}), expected ${
          expect.kind === 'event'
            ? `a ${expect.domain} event row`
            : `a dead letter${expect.reason ? ` (${expect.reason})` : ''}`
        }`,
      );
    }
    // A written row carries the record's own eventId.
    if (place === 'written' && expect.kind === 'event') {
      const row = rowsAt.get(where)![0]!;
      if (row.eventId !== expect.eventId) {
        misplaced += 1;
        problem(`${name}: its row has event_id ${row.eventId}`);
      }
    }
  }

  const counters = await recount(conn);
  for (const p of counters.problems) problem(p);
  return {
    recordsIn: records.length,
    accounted: records.length - lost - (duplicated - strays),
    lost,
    duplicated,
    misplaced,
    places,
    countersExact: counters.problems.length === 0,
    problems,
    placeOf,
  };
}

/**
 * The state tables recomputed from the event tables (the whole schema: one scenario per schema).
 * Returns what differs; empty when every counter, sum and newest-wins column is exact.
 */
export async function recount(conn: Connection): Promise<{ problems: string[] }> {
  const problems: string[] = [];
  const note = (text: string) => {
    if (problems.length < MAX_PROBLEMS) problems.push(text);
  };

  // user_profile_wide: counters and the purchase sum equal COUNT/SUM over user_event_wide.
  const [profileCounts] = (await conn.query(
    `SELECT COALESCE(e.user_id, p.user_id) AS user_id,
            e.logins, e.views, e.purchases, e.amount,
            p.login_count, p.view_count, p.purchase_count, p.purchase_amount
       FROM (SELECT user_id,
                    SUM(event_type = 'user_login') AS logins,
                    SUM(event_type = 'user_view') AS views,
                    SUM(event_type = 'user_purchase') AS purchases,
                    COALESCE(SUM(CASE WHEN event_type = 'user_purchase' THEN amount END), 0) AS amount
               FROM user_event_wide GROUP BY user_id) e
       LEFT JOIN user_profile_wide p ON p.user_id = e.user_id
      WHERE p.user_id IS NULL OR p.login_count <> e.logins OR p.view_count <> e.views
         OR p.purchase_count <> e.purchases OR p.purchase_amount <> e.amount
     UNION ALL
     SELECT p.user_id, NULL, NULL, NULL, NULL, p.login_count, p.view_count, p.purchase_count, p.purchase_amount
       FROM user_profile_wide p
      WHERE NOT EXISTS (SELECT 1 FROM user_event_wide e WHERE e.user_id = p.user_id)`,
  )) as unknown as [Array<Record<string, unknown>>];
  for (const r of profileCounts) {
    note(
      `user_profile_wide ${JSON.stringify(r.user_id)}: counters ${r.login_count}/${r.view_count}/${r.purchase_count}/${r.purchase_amount}, events say ${r.logins}/${r.views}/${r.purchases}/${r.amount}`,
    );
  }

  // user_profile_wide: the newest event's user columns, the newest login's time and device.
  const [userEvents] = (await conn.query(
    'SELECT user_id, event_id, event_type, event_time, event_version, login_time, device, user_name FROM user_event_wide',
  )) as unknown as [
    Array<{
      user_id: string;
      event_id: string;
      event_type: string;
      event_time: Date;
      event_version: string;
      login_time: Date | null;
      device: string | null;
      user_name: string | null;
    }>,
  ];
  const newest = new Map<string, { key: string; userName: string | null }>();
  const newestLogin = new Map<string, { key: string; device: string | null }>();
  for (const e of userEvents) {
    const key = eventOrderKey(e.event_time.getTime(), e.event_version, e.event_id);
    if ((newest.get(e.user_id)?.key ?? '') < key) newest.set(e.user_id, { key, userName: e.user_name });
    if (e.event_type === 'user_login' && e.login_time) {
      const loginKey = eventOrderKey(e.login_time.getTime(), e.event_version, e.event_id);
      if ((newestLogin.get(e.user_id)?.key ?? '') < loginKey)
        newestLogin.set(e.user_id, { key: loginKey, device: e.device });
    }
  }
  const [profiles] = (await conn.query(
    'SELECT user_id, last_event_key, user_name, last_login_key, last_device FROM user_profile_wide',
  )) as unknown as [
    Array<{
      user_id: string;
      last_event_key: string;
      user_name: string | null;
      last_login_key: string;
      last_device: string | null;
    }>,
  ];
  for (const p of profiles) {
    const want = newest.get(p.user_id);
    if (want && (p.last_event_key !== want.key || p.user_name !== want.userName)) {
      note(
        `user_profile_wide ${JSON.stringify(p.user_id)}: newest event ${p.last_event_key} (${p.user_name}), events say ${want.key} (${want.userName})`,
      );
    }
    const login = newestLogin.get(p.user_id);
    if ((login?.key ?? '') !== p.last_login_key || (login && login.device !== p.last_device)) {
      note(
        `user_profile_wide ${JSON.stringify(p.user_id)}: last login ${p.last_login_key} (${p.last_device}), events say ${login?.key} (${login?.device})`,
      );
    }
  }

  // order_wide: one row per order of order_event_wide; status, amounts and order keys of its newest events.
  const [orderEvents] = (await conn.query(
    'SELECT order_id, event_id, event_type, event_time, event_version, amount, pay_time FROM order_event_wide',
  )) as unknown as [
    Array<{
      order_id: string;
      event_id: string;
      event_type: string;
      event_time: Date;
      event_version: string;
      amount: string | null;
      pay_time: Date | null;
    }>,
  ];
  const STATUS: Record<string, string> = {
    order_create: 'CREATED',
    order_pay: 'PAID',
    order_cancel: 'CANCELLED',
  };
  interface OrderWant {
    key: string;
    status: string;
    createdKey: string;
    amount: string | null;
    paidKey: string;
    paidAmount: string | null;
  }
  const orders = new Map<string, OrderWant>();
  for (const e of orderEvents) {
    const want = orders.get(e.order_id) ?? {
      key: '',
      status: '',
      createdKey: '',
      amount: null,
      paidKey: '',
      paidAmount: null,
    };
    const key = eventOrderKey(e.event_time.getTime(), e.event_version, e.event_id);
    if (want.key < key) {
      want.key = key;
      want.status = STATUS[e.event_type] ?? '?';
    }
    if (e.event_type === 'order_create' && want.createdKey < key) {
      want.createdKey = key;
      want.amount = e.amount;
    }
    if (e.event_type === 'order_pay' && e.pay_time) {
      const paidKey = eventOrderKey(e.pay_time.getTime(), e.event_version, e.event_id);
      if (want.paidKey < paidKey) {
        want.paidKey = paidKey;
        want.paidAmount = e.amount;
      }
    }
    orders.set(e.order_id, want);
  }
  const [orderRows] = (await conn.query(
    'SELECT order_id, status, last_event_key, created_key, amount, paid_key, paid_amount FROM order_wide',
  )) as unknown as [
    Array<{
      order_id: string;
      status: string | null;
      last_event_key: string;
      created_key: string;
      amount: string | null;
      paid_key: string;
      paid_amount: string | null;
    }>,
  ];
  const seen = new Set<string>();
  for (const o of orderRows) {
    seen.add(o.order_id);
    const want = orders.get(o.order_id);
    if (!want) {
      note(`order_wide ${JSON.stringify(o.order_id)}: no event in order_event_wide`);
      continue;
    }
    const got = [o.status, o.last_event_key, o.created_key, o.amount, o.paid_key, o.paid_amount];
    const expected = [want.status, want.key, want.createdKey, want.amount, want.paidKey, want.paidAmount];
    if (got.some((v, i) => v !== expected[i])) {
      note(
        `order_wide ${JSON.stringify(o.order_id)}: ${JSON.stringify(got)}, events say ${JSON.stringify(expected)}`,
      );
    }
  }
  for (const orderId of orders.keys()) {
    if (!seen.has(orderId)) note(`order ${JSON.stringify(orderId)} has events but no order_wide row`);
  }
  return { problems };
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = out.get(k);
    if (list) list.push(item);
    else out.set(k, [item]);
  }
  return out;
}
