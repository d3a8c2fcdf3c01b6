/**
 * The order domain: created, paid, cancelled. Each event is a row of order_event_wide; each also
 * merges into the order's row of order_wide (lifecycle status and times), newest event wins.
 */

import { amountSchema } from '../events/amount.ts';
import type { BusinessEvent } from '../events/business-event.ts';
import { epochMillis, id, text } from '../events/catalog.ts';
import * as z from '../events/zod.ts';
import { defineDomain } from '../pipeline/domain.ts';
import { type DimensionView, defineProcessor, type RecordCoordinates } from '../pipeline/processor.ts';
import { datetime, decimal, defineTable, int, type RowOf, rowOf, varchar } from '../tables/table.ts';
import {
  EVENT_COLUMNS,
  eventRow,
  idColumn,
  KAFKA_COLUMNS,
  orderKey,
  orderKeyColumn,
  PRODUCT_COLUMNS,
  productRow,
  SAMPLE_T0,
  STATE_ORDER_COLUMNS,
  stateOrderRow,
  USER_COLUMNS,
  userRow,
} from './common.ts';
import type { Dimensions } from './dimensions.ts';

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
    ...USER_COLUMNS,
    ...PRODUCT_COLUMNS,
    ...STATE_ORDER_COLUMNS,
  },
  key: ['order_id'],
  merge: {
    user_id: 'newestOrFirst',
    user_name: 'newest',
    user_level: 'newest',
    region: 'newest',
    product_id: { newestBy: 'created_key' },
    quantity: { newestBy: 'created_key' },
    amount: { newestBy: 'created_key' },
    created_at: { newestBy: 'created_key' },
    product_name: { newestBy: 'created_key' },
    category: { newestBy: 'created_key' },
    brand: { newestBy: 'created_key' },
    paid_amount: { newestBy: 'paid_key' },
    pay_method: { newestBy: 'paid_key' },
    paid_at: { newestBy: 'paid_key' },
    cancel_reason: { newestBy: 'cancelled_key' },
    cancelled_at: { newestBy: 'cancelled_key' },
    status: 'newest',
    last_event_time: 'newest',
  },
});

// -------------------------------------------------------------------------------- processors
type OrderEventColumns = Omit<
  RowOf<typeof orderEventWide>,
  keyof ReturnType<typeof eventRow> | 'order_id' | 'user_id'
>;
type OrderState = Omit<RowOf<typeof orderWide>, 'order_id' | 'user_id' | 'status'>;

function orderWrite(
  event: BusinessEvent<{ orderId: string; userId: string }>,
  record: RecordCoordinates,
  dims: DimensionView<Dimensions>,
  status: (typeof ORDER_STATUS)[number],
  columns: OrderEventColumns,
  state: OrderState,
) {
  const { orderId, userId } = event.payload;
  const user = userRow(dims.get('user', userId));
  return {
    eventId: event.eventId,
    event: rowOf(orderEventWide, {
      ...eventRow(event, record),
      order_id: orderId,
      user_id: userId,
      ...user,
      ...columns,
    }),
    state: [
      rowOf(orderWide, {
        order_id: orderId,
        user_id: userId,
        status,
        created_key: '',
        paid_key: '',
        cancelled_key: '',
        ...user,
        ...stateOrderRow(event),
        ...state,
      }),
    ],
  };
}

export const orderCreate = defineProcessor<z.output<typeof orderCreateV1>, Dimensions>({
  type: 'order_create',
  dimensionKeys: (e) => ({ user: e.payload.userId, product: e.payload.productId }),
  toWrite(e, dims, record) {
    const fields = {
      product_id: e.payload.productId,
      quantity: e.payload.quantity,
      amount: e.payload.amount,
      ...productRow(dims.get('product', e.payload.productId)),
    };
    return orderWrite(e, record, dims, 'CREATED', fields, {
      ...fields,
      created_at: new Date(e.timestamp),
      created_key: orderKey(e),
    });
  },
});

export const orderPay = defineProcessor<z.output<typeof orderPayV1>, Dimensions>({
  type: 'order_pay',
  dimensionKeys: (e) => ({ user: e.payload.userId }),
  toWrite(e, dims, record) {
    const payTime = new Date(e.payload.payTime);
    return orderWrite(
      e,
      record,
      dims,
      'PAID',
      { amount: e.payload.amount, pay_method: e.payload.payMethod, pay_time: payTime },
      {
        paid_amount: e.payload.amount,
        pay_method: e.payload.payMethod,
        paid_at: payTime,
        paid_key: orderKey(e, e.payload.payTime),
      },
    );
  },
});

export const orderCancel = defineProcessor<z.output<typeof orderCancelV1>, Dimensions>({
  type: 'order_cancel',
  dimensionKeys: (e) => ({ user: e.payload.userId }),
  toWrite(e, dims, record) {
    const reason = e.payload.reason ?? null;
    return orderWrite(
      e,
      record,
      dims,
      'CANCELLED',
      { cancel_reason: reason },
      { cancel_reason: reason, cancelled_at: new Date(e.timestamp), cancelled_key: orderKey(e) },
    );
  },
});

export const order = defineDomain({
  name: 'order',
  events: [
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
  ],
  tables: [orderEventWide, orderWide],
  processors: [orderCreate, orderPay, orderCancel],
});
