/**
 * The order domain: created, paid, cancelled. Each event is a row of order_event_wide; each also
 * merges into the order's row of order_wide (lifecycle status and times), newest event wins.
 */

import { amountSchema } from '../events/amount.ts';
import { type CatalogEntry, epochMillis, id, text } from '../events/catalog.ts';
import * as z from '../events/zod.ts';
import { defineState, withState } from '../pipeline/declarative.ts';
import { defineDomain } from '../pipeline/domain.ts';
import type { EventProcessor } from '../pipeline/processor.ts';
import { bigint, datetime, decimal, defineTable, int, rowOf, varchar } from '../tables/table.ts';
import {
  EVENT_COLUMNS,
  idColumn,
  KAFKA_COLUMNS,
  orderKey,
  orderKeyColumn,
  PRODUCT_COLUMNS,
  SAMPLE_T0,
  STATE_ORDER_COLUMNS,
  sql,
  sqlState,
  USER_COLUMNS,
} from './common.ts';
import type { Dimensions } from './dimensions.ts';
import {
  PRODUCT_LAST_VALUES,
  PRODUCT_STATE_COLUMNS,
  USER_LAST_VALUES,
  USER_STATE_COLUMNS,
} from './last-values.ts';

// ---------------------------------------------------------------------------------- payloads
const orderCreateV1 = z.object({
  orderId: id,
  userId: id,
  productId: id,
  quantity: z.number().check(z.int(), z.gte(1), z.lte(1_000_000)),
  amount: amountSchema,
});
const orderPayV1 = z.object({
  orderId: id,
  userId: id,
  amount: amountSchema,
  payMethod: text(32).check(z.minLength(1)),
  payTime: epochMillis,
});
export const orderCancelV1 = z.object({
  orderId: id,
  userId: id,
  reason: z.optional(text(255)),
});

// ------------------------------------------------------------------------------------ tables
export const orderEventWide = defineTable({
  name: 'order_event_wide',
  columns: {
    ...EVENT_COLUMNS,
    order_id: idColumn(),
    user_id: idColumn(),
    product_id: idColumn().null(),
    quantity: int().null(),
    amount: decimal(18, 4).null(),
    pay_method: varchar(32).null(),
    pay_time: datetime().null(),
    cancel_reason: varchar(255).null(),
    ...USER_COLUMNS,
    ...PRODUCT_COLUMNS,
    ...KAFKA_COLUMNS,
  },
  key: ['event_id'],
});

export const orderWide = defineTable({
  name: 'order_wide',
  columns: {
    order_id: idColumn(),
    user_id: idColumn().null(),
    product_id: idColumn().null(),
    quantity: int().null(),
    amount: decimal(18, 4).null(),
    paid_amount: decimal(18, 4).null(),
    pay_method: varchar(32).null(),
    /** CREATED | PAID | CANCELLED, from the newest event. */
    status: varchar(16).null(),
    created_at: datetime().null(),
    created_key: orderKeyColumn(),
    paid_at: datetime().null(),
    paid_key: orderKeyColumn(),
    cancelled_at: datetime().null(),
    cancelled_key: orderKeyColumn(),
    cancel_reason: varchar(255).null(),
    cancel_reason_key: orderKeyColumn(),
    ...USER_STATE_COLUMNS,
    ...PRODUCT_STATE_COLUMNS,
    ...STATE_ORDER_COLUMNS,
  },
  key: ['order_id'],
  merge: {
    user_id: 'newest',
    ...USER_LAST_VALUES,
    ...PRODUCT_LAST_VALUES,
    product_id: { newestBy: 'created_key' },
    quantity: { newestBy: 'created_key' },
    amount: { newestBy: 'created_key' },
    created_at: { newestBy: 'created_key' },
    paid_amount: { newestBy: 'paid_key' },
    pay_method: { newestBy: 'paid_key' },
    paid_at: { newestBy: 'paid_key' },
    // LAST_VALUE(reason): a newer cancellation without one keeps the reason given before.
    cancel_reason: { lastValue: 'cancel_reason_key' },
    cancelled_at: { newestBy: 'cancelled_key' },
    status: 'newest',
    last_event_time: 'newest',
  },
});

/**
 * Orders placed per product and minute — GMV as ordered (`SUM(amount)` of order_create) and the
 * order count — a SQL aggregate beside the order's code state (PRODUCT_SALES_SQL). order_pay carries
 * no productId, so the orders' own amounts and quantities are what can be said per product. The
 * minute is a tumbling bucket of the event time, in UTC; a late event is still merged into its own
 * minute, a duplicate absorbed by its event id.
 */
export const productSalesMinute = defineTable({
  name: 'product_sales_minute',
  columns: {
    product_id: idColumn(),
    window_start: datetime(),
    order_count: bigint().defaulted(),
    quantity: bigint().defaulted(),
    gmv: decimal(30, 4).defaulted(),
    max_amount: decimal(18, 4).null(),
    ...STATE_ORDER_COLUMNS,
  },
  key: ['product_id', 'window_start'],
  merge: {
    order_count: 'add',
    quantity: 'add',
    gmv: 'add',
    max_amount: 'max',
    last_event_time: 'newest',
  },
});

// -------------------------------------------------------------------------------- processors
/** The event types, each with its payload schema and a sample payload (test support reads it). */
const events: ReadonlyArray<Omit<CatalogEntry, 'domain'>> = [
  {
    type: 'order_create',
    version: '1.0',
    payload: orderCreateV1,
    sample: (i) => ({
      orderId: `o${i}`,
      userId: `u${i % 7}`,
      productId: `p${i % 5}`,
      quantity: 2,
      amount: '39.98',
    }),
  },
  {
    type: 'order_pay',
    version: '1.0',
    payload: orderPayV1,
    sample: (i) => ({
      orderId: `o${i}`,
      userId: `u${i % 7}`,
      amount: '39.98',
      payMethod: 'card',
      payTime: SAMPLE_T0 + i,
    }),
  },
  {
    type: 'order_cancel',
    version: '1.0',
    payload: orderCancelV1,
    sample: (i) => ({ orderId: `o${i}`, userId: `u${i % 7}`, reason: 'changed mind' }),
  },
];

/**
 * Each event's row of order_event_wide, in Flink SQL (docs/sql.md): the row that anchors the
 * event's state merges (ORDER_STATE_SQL, the payment and PRODUCT_SALES_SQL, below).
 */
const ORDER_SQL = `
INSERT INTO order_event_wide
SELECT e.orderId AS order_id, e.userId AS user_id, e.productId AS product_id, e.quantity, e.amount,
       u.user_name, u.user_level, u.region, p.product_name, p.category, p.brand
FROM order_create e
LEFT JOIN dim_user FOR SYSTEM_TIME AS OF e.proc_time AS u ON u.user_id = e.userId
LEFT JOIN dim_product FOR SYSTEM_TIME AS OF e.proc_time AS p ON p.product_id = e.productId;

INSERT INTO order_event_wide
SELECT e.orderId AS order_id, e.userId AS user_id, e.amount, e.payMethod AS pay_method,
       TO_TIMESTAMP_LTZ(e.payTime, 3) AS pay_time, u.user_name, u.user_level, u.region
FROM order_pay e
LEFT JOIN dim_user FOR SYSTEM_TIME AS OF e.proc_time AS u ON u.user_id = e.userId;

INSERT INTO order_event_wide
SELECT e.orderId AS order_id, e.userId AS user_id, e.reason AS cancel_reason,
       u.user_name, u.user_level, u.region
FROM order_cancel e
LEFT JOIN dim_user FOR SYSTEM_TIME AS OF e.proc_time AS u ON u.user_id = e.userId;
`;

/**
 * GMV and orders per product per minute, in Flink SQL, beside the code state of order_create: the
 * type's event row (ORDER_SQL) anchors both, so each event merges once. The minute is Flink's
 * tumbling window table function over the event's time (UTC, docs/sql.md); a late event is merged
 * into its own minute.
 */
const PRODUCT_SALES_SQL = `
INSERT INTO product_sales_minute
SELECT e.productId AS product_id, window_start,
       COUNT(*) AS order_count, SUM(e.quantity) AS quantity, SUM(e.amount) AS gmv,
       MAX(e.amount) AS max_amount
FROM TABLE(TUMBLE(TABLE order_create, DESCRIPTOR(event_time), INTERVAL '1' MINUTE)) e
GROUP BY e.productId, window_start, window_end
`;

/**
 * The order's lifecycle in order_wide, in Flink SQL, one statement per type: its status and user
 * (newest event wins), the creation and cancellation columns (newest of their type), the user and
 * product columns and the reason as LAST_VALUEs (a NULL never overwrites). Each event's row of
 * order_event_wide (ORDER_SQL) anchors its merge.
 */
const ORDER_STATE_SQL = `
INSERT INTO order_wide
SELECT e.orderId AS order_id, LAST_VALUE(e.userId) AS user_id, LAST_VALUE('CREATED') AS status,
       LAST_VALUE(e.productId) AS product_id, LAST_VALUE(e.quantity) AS quantity,
       LAST_VALUE(e.amount) AS amount, LAST_VALUE(event_time()) AS created_at,
       LAST_VALUE(u.user_name) AS user_name, LAST_VALUE(u.user_level) AS user_level,
       LAST_VALUE(u.region) AS region, LAST_VALUE(p.product_name) AS product_name,
       LAST_VALUE(p.category) AS category, LAST_VALUE(p.brand) AS brand
FROM order_create e
LEFT JOIN dim_user FOR SYSTEM_TIME AS OF e.proc_time AS u ON u.user_id = e.userId
LEFT JOIN dim_product FOR SYSTEM_TIME AS OF e.proc_time AS p ON p.product_id = e.productId
GROUP BY e.orderId;

INSERT INTO order_wide
SELECT e.orderId AS order_id, LAST_VALUE(e.userId) AS user_id, LAST_VALUE('PAID') AS status,
       LAST_VALUE(u.user_name) AS user_name, LAST_VALUE(u.user_level) AS user_level,
       LAST_VALUE(u.region) AS region
FROM order_pay e
LEFT JOIN dim_user FOR SYSTEM_TIME AS OF e.proc_time AS u ON u.user_id = e.userId
GROUP BY e.orderId;

INSERT INTO order_wide
SELECT e.orderId AS order_id, LAST_VALUE(e.userId) AS user_id, LAST_VALUE('CANCELLED') AS status,
       LAST_VALUE(e.reason) AS cancel_reason, LAST_VALUE(event_time()) AS cancelled_at,
       LAST_VALUE(u.user_name) AS user_name, LAST_VALUE(u.user_level) AS user_level,
       LAST_VALUE(u.region) AS region
FROM order_cancel e
LEFT JOIN dim_user FOR SYSTEM_TIME AS OF e.proc_time AS u ON u.user_id = e.userId
GROUP BY e.orderId
`;

/**
 * The payment columns stay code: they are ordered by the payload's payTime (a payment reported late
 * is not the newest), which a statement cannot say — LAST_VALUE orders by the event time. The row
 * carries only them; the sink merges it after the SQL row of the same event.
 */
const payment = defineState<z.output<typeof orderPayV1>, Dimensions>({
  type: 'order_pay',
  dimensionKeys: () => ({}),
  state: (e) => [
    rowOf(orderWide, {
      order_id: e.payload.orderId,
      paid_amount: e.payload.amount,
      pay_method: e.payload.payMethod,
      paid_at: new Date(e.payload.payTime),
      paid_key: orderKey(e, e.payload.payTime),
    }),
  ],
});

const tables = [orderEventWide, orderWide, productSalesMinute];
export const [orderCreate, orderPay, orderCancel] = withState(sql(ORDER_SQL, { tables, events }), [
  ...sqlState(ORDER_STATE_SQL, { tables, events }),
  payment,
  ...sqlState(PRODUCT_SALES_SQL, { tables, events }),
]) as [EventProcessor, EventProcessor, EventProcessor];

export const order = defineDomain({
  name: 'order',
  events,
  tables: [orderEventWide, orderWide, productSalesMinute],
  processors: [orderCreate, orderPay, orderCancel],
});
