/**
 * A windowed table's lateness bound on MariaDB through the handler (shared/pipeline/lateness.ts):
 * an order whose Kafka record timestamp is past window_end + bound leaves its window row out, its
 * order_event_wide row is written, LateEventsDropped counts it by table, and the same records
 * replayed (as one batch, or record by record in reverse) change nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { orderKeyColumn, STATE_ORDER_COLUMNS, sqlState } from '../../shared/domains/common.ts';
import { order } from '../../shared/domains/order.ts';
import { withState } from '../../shared/pipeline/declarative.ts';
import { defineDomain } from '../../shared/pipeline/domain.ts';
import { bigint, datetime, defineTable, varchar } from '../../shared/tables/table.ts';
import { domainHandler, dump, freshDatabase, type TestDatabase } from '../support/database.ts';
import { businessEvent, type Json, kafkaEvent, kafkaRecord, lambdaContext } from '../support/events.ts';

const MINUTE = 60_000;
const productSalesLate = defineTable({
  name: 'product_sales_late',
  columns: {
    product_id: varchar(64),
    window_start: datetime(),
    window_end: datetime(),
    order_count: bigint().defaulted(),
    ...STATE_ORDER_COLUMNS,
    last_event_key: orderKeyColumn(),
  },
  key: ['product_id', 'window_start', 'window_end'],
  merge: { order_count: 'add', last_event_time: 'newest' },
  lateness: { windowEnd: 'window_end', allowedMs: MINUTE },
});

const TUMBLE_SQL = `
INSERT INTO product_sales_late
SELECT e.productId AS product_id, window_start, window_end, COUNT(*) AS order_count
FROM TABLE(TUMBLE(TABLE order_create, DESCRIPTOR(event_time), INTERVAL '1' MINUTE)) e
GROUP BY e.productId, window_start, window_end`;

const tables = [...order.tables, productSalesLate];
const lateDomain = defineDomain({
  name: 'order',
  events: order.events,
  tables,
  processors: withState(order.processors, sqlState(TUMBLE_SQL, { tables, events: order.events })),
});

let db: TestDatabase;
beforeAll(async () => {
  db = await freshDatabase('lrt_sqllate');
  await db.addTable(
    'product_sales_late',
    `product_id VARCHAR(64) COLLATE utf8mb4_bin NOT NULL,
    window_start DATETIME(3) NOT NULL, window_end DATETIME(3) NOT NULL,
    order_count BIGINT NOT NULL DEFAULT 0, last_event_time DATETIME(3) NULL,
    last_event_key VARCHAR(100) CHARACTER SET ascii COLLATE ascii_bin NOT NULL DEFAULT '',
    updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
    PRIMARY KEY (product_id, window_start, window_end)`,
  );
});
afterAll(async () => {
  await db?.drop();
});

const T0 = 1_790_000_040_000 - (1_790_000_040_000 % MINUTE);
const END = T0 + MINUTE;

/** Orders in the window [T0, T0 + 1 min), each with the Kafka timestamp of its record. */
const ORDERS: Array<{ id: string; recordTimestamp: number }> = [
  { id: 'on-time', recordTimestamp: T0 + 30_000 },
  { id: 'at-the-bound', recordTimestamp: END + MINUTE },
  { id: 'one-ms-late', recordTimestamp: END + MINUTE + 1 },
  { id: 'hours-late', recordTimestamp: END + 180 * MINUTE },
];

function records() {
  return ORDERS.map(({ id, recordTimestamp }, i) => {
    const payload = { orderId: id, userId: 'u1', productId: 'p1', quantity: 1, amount: '1.00' };
    const value: Json = businessEvent('order_create', { timestamp: T0 + i * 1000 }, payload);
    return kafkaRecord({ offset: i, value, timestamp: recordTimestamp });
  });
}

const lateCounts = (logs: string[]) =>
  logs
    .map((l) => JSON.parse(l))
    .filter((e) => e._aws && e.LateEventsDropped !== undefined)
    .map((e) => [e.table, e.LateEventsDropped]);

describe('a lateness bound on MariaDB', () => {
  it('leaves the late orders out of their window only, counted, and the same on replay', async () => {
    const batch = records();
    const handler = domainHandler(lateDomain, db);
    expect((await handler(kafkaEvent(batch), lambdaContext())).batchItemFailures).toEqual([]);
    expect(lateCounts(handler.logs)).toEqual([['product_sales_late', 2]]);

    const window = await dump(db.conn, 'product_sales_late', 'product_id');
    expect(
      window.map((r) => [r.product_id, (r.window_end as Date).getTime(), Number(r.order_count)]),
    ).toEqual([['p1', END, 2]]);
    const [events] = await db.conn.query('SELECT order_id FROM order_event_wide ORDER BY order_id');
    expect((events as Array<{ order_id: string }>).map((r) => r.order_id)).toEqual(
      ORDERS.map((o) => o.id).sort(),
    );

    const replays = [kafkaEvent(batch), ...[...batch].reverse().map((r) => kafkaEvent([r]))];
    for (const replay of replays) {
      expect((await domainHandler(lateDomain, db)(replay, lambdaContext())).batchItemFailures).toEqual([]);
    }
    expect(await dump(db.conn, 'product_sales_late', 'product_id')).toEqual(window);
  });
});
