/**
 * Windowed aggregation in the SQL mode: Flink's window table functions TUMBLE, HOP and CUMULATE
 * (shared/pipeline/sql/window.ts) — the windows an event's time falls in
 * (shared/definitions/window.ts), what a statement compiles to, the state rows it writes (one per
 * window), and the forms refused, each naming the statement, line, column and identifier.
 */
import { describe, expect, it } from 'vitest';
import { showWindow, type Window, windowsOf } from '../../../shared/definitions/window.ts';
import { orderKeyColumn, sqlContext, sqlState } from '../../../shared/domains/common.ts';
import { CATALOG, TABLES } from '../../../shared/domains/registry.ts';
import type { BusinessEvent } from '../../../shared/events/business-event.ts';
import type { DimensionView } from '../../../shared/pipeline/processor.ts';
import { compileSql, type StateMapping } from '../../../shared/pipeline/sql.ts';
import { bigint, datetime, decimal, defineTable, varchar } from '../../../shared/tables/table.ts';
import { refusals } from './sql-refusals.ts';

const salesWindow = defineTable({
  name: 'sales_window',
  columns: {
    product_id: varchar(64),
    window_start: datetime(),
    window_end: datetime(),
    order_count: bigint().defaulted(),
    gmv: decimal(30, 4).defaulted(),
    min_amount: decimal(18, 4).null(),
    max_amount: decimal(18, 4).null(),
    last_event_time: datetime().null(),
    last_event_key: orderKeyColumn(),
  },
  key: ['product_id', 'window_start', 'window_end'],
  merge: { order_count: 'add', gmv: 'add', min_amount: 'min', max_amount: 'max', last_event_time: 'newest' },
});
const scope = { tables: [...TABLES, salesWindow], events: CATALOG };
const context = sqlContext(scope);

const statement = (window: string) => `INSERT INTO sales_window
SELECT e.productId AS product_id, window_start, window_end,
       COUNT(*) AS order_count, SUM(e.amount) AS gmv,
       MIN(e.amount) AS min_amount, MAX(e.amount) AS max_amount
FROM TABLE(${window}) AS e
GROUP BY e.productId, window_start, window_end`;
const TUMBLE = statement("TUMBLE(TABLE order_create, DESCRIPTOR(event_time), INTERVAL '1' MINUTE)");
const HOP = statement(
  "HOP(TABLE order_create, DESCRIPTOR(event_time), INTERVAL '5' MINUTE, INTERVAL '15' MINUTE)",
);
const CUMULATE = statement(
  "CUMULATE(TABLE order_create, DESCRIPTOR(event_time), INTERVAL '1' HOUR, INTERVAL '1' DAY)",
);

const MINUTE = 60_000;
const NO_DIMENSIONS: DimensionView = { get: () => null as never };

const { failure, expectRefused } = refusals(context);

describe('window assignment', () => {
  const tumble: Window = { kind: 'TUMBLE', size: MINUTE };
  it('TUMBLE: the window holding the time, start inclusive, end exclusive, before 1970 too', () => {
    expect(windowsOf(tumble, 120_000)).toEqual([{ start: 120_000, end: 180_000 }]);
    expect(windowsOf(tumble, 179_999)).toEqual([{ start: 120_000, end: 180_000 }]);
    expect(windowsOf(tumble, 0)).toEqual([{ start: 0, end: MINUTE }]);
    expect(windowsOf(tumble, -1)).toEqual([{ start: -MINUTE, end: 0 }]);
    expect(windowsOf(tumble, -MINUTE)).toEqual([{ start: -MINUTE, end: 0 }]);
  });

  it('HOP: size/slide windows, each holding the time', () => {
    const hop: Window = { kind: 'HOP', slide: 5 * MINUTE, size: 15 * MINUTE };
    for (const t of [0, 1, 5 * MINUTE - 1, 5 * MINUTE, 1_790_000_123_456, -7 * MINUTE]) {
      const spans = windowsOf(hop, t);
      expect(spans).toHaveLength(3);
      for (const s of spans) {
        expect(s.start <= t && t < s.end).toBe(true);
        expect(s.end - s.start).toBe(15 * MINUTE);
        expect(((s.start % (5 * MINUTE)) + 5 * MINUTE) % (5 * MINUTE)).toBe(0);
      }
    }
    expect(windowsOf(hop, 5 * MINUTE).map((s) => s.start / MINUTE)).toEqual([-5, 0, 5]);
    expect(windowsOf({ kind: 'HOP', slide: MINUTE, size: MINUTE }, 61_000)).toEqual([
      { start: MINUTE, end: 2 * MINUTE },
    ]);
  });

  it('reads in messages in the largest whole unit', () => {
    expect(showWindow({ kind: 'HOP', slide: MINUTE, size: 86_400_000 })).toBe(
      "HOP(INTERVAL '1' MINUTE, INTERVAL '1' DAY)",
    );
    expect(showWindow({ kind: 'TUMBLE', size: 1_500 })).toBe("TUMBLE(INTERVAL '1500' MILLISECOND)");
  });

  it('CUMULATE: from the max window’s start, every step’s end after the time', () => {
    const cumulate: Window = { kind: 'CUMULATE', step: MINUTE, size: 4 * MINUTE };
    expect(windowsOf(cumulate, 0).map((s) => [s.start, s.end / MINUTE])).toEqual([
      [0, 1],
      [0, 2],
      [0, 3],
      [0, 4],
    ]);
    expect(windowsOf(cumulate, 2 * MINUTE + 5).map((s) => s.end / MINUTE)).toEqual([3, 4]);
    expect(windowsOf(cumulate, 4 * MINUTE - 1).map((s) => s.end / MINUTE)).toEqual([4]);
    expect(windowsOf(cumulate, -1).map((s) => [s.start / MINUTE, s.end / MINUTE])).toEqual([[-4, 0]]);
  });
});

describe('window table functions', () => {
  it('compile TUMBLE into a windowed state mapping; the sizes in every unit and named arguments', () => {
    const [mapping] = compileSql(TUMBLE, context) as StateMapping[];
    expect(mapping).toMatchObject({
      into: 'sales_window',
      types: ['order_create'],
      key: {
        product_id: { payload: 'productId' },
        window_start: { window: 'start' },
        window_end: { window: 'end' },
      },
      window: { kind: 'TUMBLE', size: MINUTE },
    });
    const sized = (interval: string) =>
      (
        compileSql(
          statement(`TUMBLE(TABLE order_create, DESCRIPTOR(event_time), ${interval})`),
          context,
        )[0] as StateMapping
      ).window;
    expect(sized("INTERVAL '60' SECOND")).toEqual({ kind: 'TUMBLE', size: MINUTE });
    expect(sized("INTERVAL '10' MINUTES")).toEqual({ kind: 'TUMBLE', size: 10 * MINUTE });
    expect(sized("INTERVAL '2' HOUR")).toEqual({ kind: 'TUMBLE', size: 120 * MINUTE });
    expect(sized("INTERVAL '1' DAY")).toEqual({ kind: 'TUMBLE', size: 1440 * MINUTE });
    const named = statement(
      "TUMBLE(DATA => TABLE order_create, TIMECOL => DESCRIPTOR(event_time), SIZE => INTERVAL '1' MINUTE)",
    );
    expect((compileSql(named, context)[0] as StateMapping).window).toEqual({ kind: 'TUMBLE', size: MINUTE });
    expect((compileSql(HOP, context)[0] as StateMapping).window).toEqual({
      kind: 'HOP',
      slide: 5 * MINUTE,
      size: 15 * MINUTE,
    });
    expect((compileSql(CUMULATE, context)[0] as StateMapping).window).toEqual({
      kind: 'CUMULATE',
      step: 60 * MINUTE,
      size: 1440 * MINUTE,
    });
  });

  it('write one state row per window holding the event’s time', () => {
    const t = 1_790_000_000_000 + 7 * MINUTE + 30_000;
    const e: BusinessEvent<Record<string, unknown>> = {
      domain: 'order',
      type: 'order_create',
      timestamp: t,
      eventId: 'e1',
      version: '1.0',
      source: 't',
      payload: { orderId: 'o1', userId: 'u1', productId: 'p1', quantity: 1, amount: '12.50' },
    };
    const rowsOf = (sql: string) =>
      sqlState(sql, scope)
        .find((s) => s.type === 'order_create')!
        .state(e, NO_DIMENSIONS)
        .map((r) => r.row);
    const tumble = rowsOf(TUMBLE);
    expect(tumble).toHaveLength(1);
    expect(tumble[0]).toMatchObject({
      product_id: 'p1',
      window_start: new Date(t - (t % MINUTE)),
      window_end: new Date(t - (t % MINUTE) + MINUTE),
      order_count: 1,
      gmv: '12.50',
    });
    const hop = rowsOf(HOP);
    expect(hop).toHaveLength(3);
    expect(new Set(hop.map((r) => (r.window_start as Date).getTime())).size).toBe(3);
    expect(hop.every((r) => r.order_count === 1 && r.max_amount === '12.50')).toBe(true);
    const cumulate = rowsOf(CUMULATE);
    const hourOfDay = Math.floor((t % (1440 * MINUTE)) / (60 * MINUTE));
    expect(cumulate).toHaveLength(24 - hourOfDay);
    expect(new Set(cumulate.map((r) => (r.window_start as Date).getTime())).size).toBe(1);
  });

  it('read every event type, join dimensions and filter inside a window', () => {
    const text = `INSERT INTO sales_window
SELECT COALESCE(u.region, '?') AS product_id, window_start, window_end,
       COUNT(*) AS order_count, SUM(e.amount) FILTER (WHERE type = 'order_pay') AS gmv
FROM TABLE(TUMBLE(TABLE events, DESCRIPTOR(event_time), INTERVAL '5' SECOND)) e
LEFT JOIN dim_user FOR SYSTEM_TIME AS OF e.proc_time AS u ON u.user_id = e.userId
WHERE type IN ('order_create', 'order_pay') AND e.amount > 0
GROUP BY COALESCE(u.region, '?'), window_start, window_end`;
    const [mapping] = compileSql(text, context) as StateMapping[];
    expect(mapping).toMatchObject({
      types: ['order_create', 'order_pay'],
      joins: [{ dimension: 'dim_user', on: 'userId' }],
      key: { product_id: { expr: { op: 'call' } }, window_end: { window: 'end' } },
      where: { op: 'call' },
      window: { kind: 'TUMBLE', size: 5_000 },
    });
    expectRefused(
      TUMBLE.replace('window_start, window_end,\n', 'window_start, window_time AS window_end,\n'),
      'window_time',
      'window_time',
      /window_time .*select window_start or window_end/,
    );
  });

  it('refuse a malformed call, naming the argument', () => {
    expectRefused(
      statement("TUMBLE(TABLE order_create, DESCRIPTOR(created_at), INTERVAL '1' MINUTE)"),
      'created_at',
      'created_at',
      /DESCRIPTOR\(event_time\), the event's own time/,
    );
    expectRefused(
      statement("TUMBLE(TABLE order_create, DESCRIPTOR(event_time), INTERVAL '1' MONTH)"),
      'INTERVAL',
      'INTERVAL',
      /SIZE is INTERVAL '<n>' MILLISECOND, SECOND, MINUTE, HOUR or DAY/,
    );
    expectRefused(
      statement(
        "TUMBLE(TABLE order_create, DESCRIPTOR(event_time), INTERVAL '1' MINUTE, INTERVAL '10' SECOND)",
      ),
      "INTERVAL '10'",
      'INTERVAL',
      /an offset .*aligned to the epoch/,
    );
    expectRefused(
      statement("TUMBLE(TABLE order_nope, DESCRIPTOR(event_time), INTERVAL '1' MINUTE)"),
      'order_nope',
      'order_nope',
      /unknown event type order_nope/,
    );
  });

  it('refuse what a window aggregation cannot say', () => {
    expectRefused(
      TUMBLE.replace('GROUP BY e.productId, window_start, window_end', 'GROUP BY e.productId, window_start'),
      'GROUP BY',
      'GROUP BY',
      /groups by window_start and window_end .*lacks window_end/,
    );
    expectRefused(
      TUMBLE.replace(
        'SUM(e.amount) AS gmv',
        "SUM(e.amount) FILTER (WHERE window_start > TIMESTAMP '2020-01-01 00:00:00') AS gmv",
      ),
      'window_start >',
      'window_start',
      /window_start in an expression/,
    );
    expectRefused(
      statement("HOP(TABLE order_create, DESCRIPTOR(event_time), INTERVAL '7' MINUTE, INTERVAL '15' MINUTE)"),
      'HOP',
      'HOP',
      /HOP's size \(900000 ms\) must be a whole multiple of its slide/,
    );
    const noEnd = CUMULATE.replace(', window_end,\n', ',\n');
    expect(failure(noEnd).message).toMatch(/window_end/);
    expectRefused(
      `INSERT INTO order_event_wide
SELECT e.orderId AS order_id
FROM TABLE(TUMBLE(TABLE order_create, DESCRIPTOR(event_time), INTERVAL '1' MINUTE)) e`,
      'TUMBLE',
      'TUMBLE',
      /a window table function into event table order_event_wide/,
    );
  });
});
