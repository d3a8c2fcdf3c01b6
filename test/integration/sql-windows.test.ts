/**
 * A HOP window aggregation exactly once on MariaDB: each order_create event lands in size/slide
 * windows, so it merges several rows of the state table (shared/pipeline/declarative-state.ts) —
 * each exactly once, anchored by the event's one row in order_event_wide — in one batch and event
 * by event, with late events (older windows after newer ones), duplicates, replays, and functions
 * racing on the same batches.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { orderKeyColumn, STATE_ORDER_COLUMNS, sqlState } from '../../shared/domains/common.ts';
import { order } from '../../shared/domains/order.ts';
import { withState } from '../../shared/pipeline/declarative.ts';
import { defineDomain } from '../../shared/pipeline/domain.ts';
import { bigint, datetime, decimal, defineTable, varchar } from '../../shared/tables/table.ts';
import { domainHandler, dump, freshDatabase, type TestDatabase } from '../support/database.ts';
import { businessEvent, type Json, kafkaEvent, kafkaRecord, lambdaContext } from '../support/events.ts';

const productSalesHop = defineTable({
  name: 'product_sales_hop',
  columns: {
    product_id: varchar(64),
    window_start: datetime(),
    window_end: datetime(),
    order_count: bigint().defaulted(),
    gmv: decimal(30, 4).defaulted(),
    max_amount: decimal(18, 4).null(),
    ...STATE_ORDER_COLUMNS,
    last_event_key: orderKeyColumn(),
  },
  key: ['product_id', 'window_start', 'window_end'],
  merge: { order_count: 'add', gmv: 'add', max_amount: 'max', last_event_time: 'newest' },
});

const HOP_SQL = `
INSERT INTO product_sales_hop
SELECT e.productId AS product_id, window_start, window_end,
       COUNT(*) AS order_count, SUM(e.amount) AS gmv, MAX(e.amount) AS max_amount
FROM TABLE(HOP(TABLE order_create, DESCRIPTOR(event_time), INTERVAL '1' MINUTE, INTERVAL '3' MINUTE)) e
GROUP BY e.productId, window_start, window_end`;

const tables = [...order.tables, productSalesHop];
const hopDomain = defineDomain({
  name: 'order',
  events: order.events,
  tables,
  processors: withState(order.processors, sqlState(HOP_SQL, { tables, events: order.events })),
});

let db: TestDatabase;
beforeAll(async () => {
  db = await freshDatabase('lrt_sqlhop');
  await db.addTable(
    'product_sales_hop',
    `product_id VARCHAR(64) COLLATE utf8mb4_bin NOT NULL,
    window_start DATETIME(3) NOT NULL, window_end DATETIME(3) NOT NULL,
    order_count BIGINT NOT NULL DEFAULT 0, gmv DECIMAL(30,4) NOT NULL DEFAULT 0,
    max_amount DECIMAL(18,4) NULL, last_event_time DATETIME(3) NULL,
    last_event_key VARCHAR(100) CHARACTER SET ascii COLLATE ascii_bin NOT NULL DEFAULT '',
    updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
    PRIMARY KEY (product_id, window_start, window_end)`,
  );
});
afterAll(async () => {
  await db?.drop();
});

const MINUTE = 60_000;
const T0 = 1_790_000_040_000 - (1_790_000_040_000 % MINUTE);

/** 24 orders over four minutes and two products; the newest minute first. */
function orders(): Json[] {
  const out: Json[] = [];
  for (let i = 23; i >= 0; i--) {
    const payload = { orderId: `o${i}`, userId: `u${i % 4}`, productId: `p${i % 2}`, quantity: 1 };
    out.push(
      businessEvent(
        'order_create',
        { timestamp: T0 + (i % 4) * MINUTE + i * 100 },
        { ...payload, amount: `${i}.25` },
      ),
    );
  }
  return out;
}

describe('a HOP window aggregation on MariaDB', () => {
  it('merges each order once into each of its three windows, replayed, duplicated and raced', async () => {
    await db.conn.query('DELETE FROM product_sales_hop');
    const events = orders();
    const records = [...events, events[0]!, events[5]!].map((value, i) =>
      kafkaRecord({ partition: i % 2, offset: i, value }),
    );
    const halves = [records.slice(0, 13), records.slice(13)].map((r) => kafkaEvent(r));
    const handler = domainHandler(hopDomain, db);
    for (const batch of halves) expect((await handler(batch, lambdaContext())).batchItemFailures).toEqual([]);
    const before = await dump(db.conn, 'product_sales_hop', 'product_id, window_start');
    const raced = await Promise.all(
      [...halves, kafkaEvent(records), ...halves].map((b) =>
        domainHandler(hopDomain, db)(b, lambdaContext()),
      ),
    );
    expect(raced.map((r) => r.batchItemFailures)).toEqual(raced.map(() => []));

    // What the windows hold, computed apart: every window [s, s + 3 min) with s a whole minute.
    const want = new Map<string, { order_count: number; gmv: number; max: number }>();
    for (const e of events) {
      const p = e.payload as { productId: string; amount: string };
      const ts = e.timestamp as number;
      const minute = ts - (ts % MINUTE);
      for (const start of [minute - 2 * MINUTE, minute - MINUTE, minute]) {
        const key = `${p.productId} ${new Date(start).toISOString()} ${new Date(start + 3 * MINUTE).toISOString()}`;
        const w = want.get(key) ?? { order_count: 0, gmv: 0, max: 0 };
        w.order_count += 1;
        w.gmv += Number(p.amount);
        w.max = Math.max(w.max, Number(p.amount));
        want.set(key, w);
      }
    }
    const rows = await dump(db.conn, 'product_sales_hop', 'product_id, window_start');
    expect(rows).toHaveLength(want.size);
    for (const row of rows) {
      const key = `${row.product_id} ${(row.window_start as Date).toISOString()} ${(row.window_end as Date).toISOString()}`;
      expect({
        order_count: Number(row.order_count),
        gmv: Number(row.gmv),
        max: Number(row.max_amount),
      }).toEqual(want.get(key));
    }
    const counts = (r: typeof rows) => r.map((x) => [x.product_id, x.window_start, x.order_count, x.gmv]);
    expect(counts(rows)).toEqual(counts(before));
    expect(rows.reduce((n, r) => n + Number(r.order_count), 0)).toBe(3 * events.length);
  });
});
