/**
 * The order domain: created, paid, cancelled. Each event is a row of order_event_wide; each also
 * merges into the order's row of order_wide (lifecycle status and times), newest event wins.
 */

import { amountSchema } from '../events/amount.ts';
import type { BusinessEvent } from '../events/business-event.ts';
import { type CatalogEntry, epochMillis, id, text } from '../events/catalog.ts';
import * as z from '../events/zod.ts';
import { defineState, withState } from '../pipeline/declarative.ts';
import { defineDomain } from '../pipeline/domain.ts';
import type { DimensionView, EventProcessor } from '../pipeline/processor.ts';
import { bigint, datetime, decimal, defineTable, int, type RowOf, rowOf, varchar } from '../tables/table.ts';
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
  stateOrderRow,
  USER_COLUMNS,
} from './common.ts';
import type { Dimensions } from './dimensions.ts';
import {
  PRODUCT_LAST_VALUES,
  PRODUCT_STATE_COLUMNS,
  productState,
  USER_LAST_VALUES,
  USER_STATE_COLUMNS,
  userState,
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

const ORDER_STATUS = ['CREATED', 'PAID', 'CANCELLED'] as const;

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
    user_id: 'newestOrFirst',
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
 * Each event's row of order_event_wide, in Flink SQL (docs/sql.md). The order's state stays code
 * (below): payments are ordered by the payload's payTime, which a statement cannot say yet.
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
 * type's event row (ORDER_SQL) anchors both, so each event merges once. The minute is computed from
 * event_time() until window table functions (TUMBLE) are built (docs/sql.md); COALESCE only tells
 * the compiler the bucket is never NULL.
 */
const PRODUCT_SALES_SQL = `
INSERT INTO product_sales_minute
SELECT e.productId AS product_id,
       COALESCE(CAST(DATE_FORMAT(event_time(), 'yyyy-MM-dd HH:mm:00') AS TIMESTAMP(3)), event_time()) AS window_start,
       COUNT(*) AS order_count, SUM(e.quantity) AS quantity, SUM(e.amount) AS gmv,
       MAX(e.amount) AS max_amount
FROM order_create e
GROUP BY e.productId,
         COALESCE(CAST(DATE_FORMAT(event_time(), 'yyyy-MM-dd HH:mm:00') AS TIMESTAMP(3)), event_time())
`;

type OrderState = Partial<Omit<RowOf<typeof orderWide>, 'order_id' | 'user_id' | 'status'>>;

/** The order's row an event merges: its status and the columns of its lifecycle step. */
function orderState(
  event: BusinessEvent<{ orderId: string; userId: string }>,
  dims: DimensionView<Dimensions>,
  status: (typeof ORDER_STATUS)[number],
  state: OrderState,
) {
  const { orderId, userId } = event.payload;
  return [
    rowOf(orderWide, {
      order_id: orderId,
      user_id: userId,
      status,
      created_key: '',
      paid_key: '',
      cancelled_key: '',
      ...userState(dims.get('dim_user', userId), orderKey(event)),
      ...stateOrderRow(event),
      ...state,
    }),
  ];
}

const orderStates = [
  defineState<z.output<typeof orderCreateV1>, Dimensions>({
    type: 'order_create',
    dimensionKeys: (e) => ({ dim_user: e.payload.userId, dim_product: e.payload.productId }),
    state: (e, dims) =>
      orderState(e, dims, 'CREATED', {
        product_id: e.payload.productId,
        quantity: e.payload.quantity,
        amount: e.payload.amount,
        ...productState(dims.get('dim_product', e.payload.productId), orderKey(e)),
        created_at: new Date(e.timestamp),
        created_key: orderKey(e),
      }),
  }),
  defineState<z.output<typeof orderPayV1>, Dimensions>({
    type: 'order_pay',
    dimensionKeys: (e) => ({ dim_user: e.payload.userId }),
    state: (e, dims) =>
      orderState(e, dims, 'PAID', {
        paid_amount: e.payload.amount,
        pay_method: e.payload.payMethod,
        paid_at: new Date(e.payload.payTime),
        paid_key: orderKey(e, e.payload.payTime),
      }),
  }),
  defineState<z.output<typeof orderCancelV1>, Dimensions>({
    type: 'order_cancel',
    dimensionKeys: (e) => ({ dim_user: e.payload.userId }),
    state: (e, dims) =>
      orderState(e, dims, 'CANCELLED', {
        cancel_reason: e.payload.reason ?? null,
        cancel_reason_key: orderKey(e),
        cancelled_at: new Date(e.timestamp),
        cancelled_key: orderKey(e),
      }),
  }),
];

const tables = [orderEventWide, orderWide, productSalesMinute];
export const [orderCreate, orderPay, orderCancel] = withState(sql(ORDER_SQL, { tables, events }), [
  ...orderStates,
  ...sqlState(PRODUCT_SALES_SQL, { tables, events }),
]) as [EventProcessor, EventProcessor, EventProcessor];

export const order = defineDomain({
  name: 'order',
  events,
  tables,
  processors: [orderCreate, orderPay, orderCancel],
});
