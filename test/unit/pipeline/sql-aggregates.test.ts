/**
 * The aggregates of the SQL mode (shared/pipeline/sql/aggregate.ts): COUNT(*), COUNT(value), SUM,
 * MIN, MAX, FIRST_VALUE and LAST_VALUE [IGNORE NULLS], filtered by type and by conditions on values
 * (FILTER (WHERE …), WHERE; FIRST_VALUE and LAST_VALUE take the CASE form, the parser reading
 * FILTER after aggregate functions only) — what they compile to and the state rows they write —
 * and the forms refused, each naming the statement, line, column and identifier and what to write instead.
 */
import { describe, expect, it } from 'vitest';
import { orderKeyColumn, sqlContext, sqlState } from '../../../shared/domains/common.ts';
import { CATALOG, TABLES } from '../../../shared/domains/registry.ts';
import type { BusinessEvent } from '../../../shared/events/business-event.ts';
import type { DimensionView } from '../../../shared/pipeline/processor.ts';
import { compileSql } from '../../../shared/pipeline/sql.ts';
import { combineRows } from '../../../shared/tables/combine.ts';
import { bigint, datetime, decimal, defineTable, varchar } from '../../../shared/tables/table.ts';
import { refusals } from './sql-refusals.ts';

const orderStats = defineTable({
  name: 'order_stats',
  columns: {
    user_id: varchar(64),
    order_count: bigint().defaulted(),
    paid_count: bigint().defaulted(),
    big_orders: bigint().defaulted(),
    reasons: bigint().defaulted(),
    min_amount: decimal(18, 4).null(),
    max_amount: decimal(18, 4).null(),
    first_order_at: datetime().null(),
    first_order_key: orderKeyColumn(),
    last_reason: varchar(255).null(),
    last_reason_key: orderKeyColumn(),
    last_event_time: datetime().null(),
    last_event_key: orderKeyColumn(),
  },
  key: ['user_id'],
  merge: {
    order_count: 'add',
    paid_count: 'add',
    big_orders: 'add',
    reasons: 'add',
    min_amount: 'min',
    max_amount: 'max',
    first_order_at: { firstValue: 'first_order_key' },
    last_reason: { lastValue: 'last_reason_key' },
    last_event_time: 'newest',
  },
});
const scope = { tables: [...TABLES, orderStats], events: CATALOG };
const context = sqlContext(scope);

const STATS = `INSERT INTO order_stats
SELECT e.userId AS user_id,
       COUNT(*) AS order_count,
       COUNT(*) FILTER (WHERE type = 'order_pay') AS paid_count,
       COUNT(*) FILTER (WHERE type = 'order_create' AND e.amount > 100) AS big_orders,
       COUNT(e.reason) FILTER (WHERE type = 'order_cancel') AS reasons,
       MIN(e.amount) FILTER (WHERE type = 'order_create') AS min_amount,
       MAX(e.amount) FILTER (WHERE type IN ('order_create', 'order_pay')) AS max_amount,
       FIRST_VALUE(CASE WHEN type = 'order_create' THEN event_time() END) AS first_order_at,
       LAST_VALUE(CASE WHEN type = 'order_cancel' THEN e.reason END IGNORE NULLS) AS last_reason
FROM events e
WHERE type IN ('order_create', 'order_pay', 'order_cancel') AND e.userId <> 'bot'
GROUP BY e.userId`;

const NO_DIMENSIONS: DimensionView = { get: () => null as never };
let n = 0;
function event(
  type: string,
  timestamp: number,
  payload: Record<string, unknown>,
): BusinessEvent<Record<string, unknown>> {
  n++;
  return { domain: 'order', type, timestamp, eventId: `e${n}`, payload, version: '1.0', source: 't' };
}

const { expectRefused } = refusals(context);

describe('SQL aggregates', () => {
  it('compile into the merges of their columns, filtered by type and by values', () => {
    const [mapping] = compileSql(STATS, context);
    expect(mapping).toMatchObject({
      into: 'order_stats',
      types: ['order_create', 'order_pay', 'order_cancel'],
      where: { op: 'call' },
      columns: {
        order_count: { count: true },
        paid_count: { count: true, when: ['order_pay'] },
        big_orders: { count: true, when: ['order_create'], filter: { op: 'call' } },
        reasons: { count: { payload: 'reason' }, when: ['order_cancel'] },
        min_amount: { min: { payload: 'amount' }, when: ['order_create'] },
        max_amount: { max: { payload: 'amount' }, when: ['order_create', 'order_pay'] },
        first_order_at: { first: { event: 'timestamp' }, when: ['order_create'] },
        last_reason: { last: { payload: 'reason' }, when: ['order_cancel'] },
      },
    });
  });

  it('write each event’s contribution; combined, they are the aggregates', () => {
    const states = sqlState(STATS, scope);
    const rowsOf = (e: BusinessEvent<Record<string, unknown>>) =>
      states
        .find((s) => s.type === e.type)!
        .state(e, NO_DIMENSIONS)
        .map((r) => r.row);
    const t = 1_790_000_000_000;
    const events = [
      event('order_create', t + 2, {
        orderId: 'o1',
        userId: 'u1',
        productId: 'p',
        quantity: 1,
        amount: '150',
      }),
      event('order_create', t + 1, {
        orderId: 'o2',
        userId: 'u1',
        productId: 'p',
        quantity: 1,
        amount: '20.5',
      }),
      event('order_pay', t + 3, {
        orderId: 'o1',
        userId: 'u1',
        amount: '151',
        payMethod: 'card',
        payTime: t,
      }),
      event('order_cancel', t + 4, { orderId: 'o2', userId: 'u1', reason: 'too slow' }),
      event('order_cancel', t + 5, { orderId: 'o1', userId: 'u1' }),
      event('order_create', t + 6, {
        orderId: 'o3',
        userId: 'bot',
        productId: 'p',
        quantity: 1,
        amount: '1',
      }),
    ];
    const rows = events.flatMap(rowsOf);
    expect(rows).toHaveLength(5); // the bot's event: WHERE leaves it out
    const [combined] = combineRows(orderStats, rows);
    expect(combined).toMatchObject({
      user_id: 'u1',
      order_count: 5,
      paid_count: 1,
      big_orders: 1,
      reasons: 1,
      min_amount: '20.5',
      max_amount: '151',
      first_order_at: new Date(t + 1),
      last_reason: 'too slow',
    });
  });

  it('refuses AVG, naming SUM and COUNT', () => {
    const text = STATS.replace('MAX(e.amount)', 'AVG(e.amount)');
    expectRefused(text, 'AVG', 'AVG', /unsupported: AVG .*SUM\(x\) AS x_sum and COUNT\(x\) AS x_count/);
  });

  it('refuses COUNT(DISTINCT …), naming a table keyed by the values', () => {
    const text = STATS.replace('COUNT(e.reason)', 'COUNT(DISTINCT e.reason)');
    expectRefused(text, 'DISTINCT', 'DISTINCT', /COUNT\(DISTINCT …\): .*state table keyed by them/);
  });

  it('refuses HAVING, naming a WHERE when reading', () => {
    expectRefused(`${STATS}\nHAVING COUNT(*) > 1`, 'HAVING', 'HAVING', /HAVING .*filter when reading/);
  });

  it('refuses SESSION windows and the legacy group window, naming the window table functions', () => {
    const session = STATS.replace(
      'FROM events e',
      "FROM TABLE(\n  SESSION(TABLE order_pay, DESCRIPTOR(event_time), INTERVAL '1' MINUTE)) e",
    );
    expectRefused(session, 'SESSION', 'SESSION', /the window table function SESSION .*use TUMBLE or HOP/);
    const legacy = STATS.replace(
      'GROUP BY e.userId',
      "GROUP BY e.userId, TUMBLE(event_time(), INTERVAL '1' MINUTE)",
    );
    expectRefused(
      legacy,
      'TUMBLE',
      'TUMBLE',
      /GROUP BY TUMBLE\(…\), Flink's legacy group window; write the window table function FROM TABLE\(TUMBLE/,
    );
  });

  it('refuses a LAST_VALUE that may be NULL into a column without an order key of its own', () => {
    const text = STATS.replace('AS last_reason', 'AS min_amount').replace(
      "MIN(e.amount) FILTER (WHERE type = 'order_create') AS min_amount,\n",
      '',
    );
    expectRefused(text, 'min_amount\nFROM', 'min_amount', /LAST_VALUE skips NULLs .*merge it \{ lastValue/);
  });
});
