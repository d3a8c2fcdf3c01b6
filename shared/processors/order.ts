/** Processors of the order domain: rows of order_event_wide, merges into order_wide. */
import type { BusinessEvent } from '../events/business-event.ts';
import type { OrderCancel, OrderCreate, OrderPay } from '../events/catalog.ts';
import type { EventWrite } from '../mysql/sink.ts';
import { orderEventWide, orderWide, type Row } from '../mysql/tables.ts';
import { type DimensionView, defineProcessor, type RecordCoordinates } from './processor.ts';
import { eventColumns, orderKey, productColumns, stateOrderColumns, userColumns } from './rows.ts';

type OrderStatus = 'CREATED' | 'PAID' | 'CANCELLED';

function orderWrite(
  event: BusinessEvent<{ orderId: string; userId: string }>,
  record: RecordCoordinates,
  dims: DimensionView,
  status: OrderStatus,
  columns: Row,
  state: Row,
): EventWrite {
  const user = userColumns(dims.user(event.payload.userId));
  return {
    eventId: event.eventId,
    event: {
      table: orderEventWide,
      row: {
        ...eventColumns(event, record),
        order_id: event.payload.orderId,
        user_id: event.payload.userId,
        ...user,
        ...columns,
      },
    },
    state: [
      {
        table: orderWide,
        row: {
          order_id: event.payload.orderId,
          user_id: event.payload.userId,
          status,
          created_key: '',
          paid_key: '',
          cancelled_key: '',
          ...user,
          ...stateOrderColumns(event),
          ...state,
        },
      },
    ],
  };
}

export const orderCreate = defineProcessor<OrderCreate>({
  type: 'order_create',
  dimensionKeys: (e) => ({ user: e.payload.userId, product: e.payload.productId }),
  toWrite(e, dims, record) {
    const product = productColumns(dims.product(e.payload.productId));
    const fields = {
      product_id: e.payload.productId,
      quantity: e.payload.quantity,
      amount: e.payload.amount,
      ...product,
    };
    return orderWrite(e, record, dims, 'CREATED', fields, {
      ...fields,
      created_at: new Date(e.timestamp),
      created_key: orderKey(e),
    });
  },
});

export const orderPay = defineProcessor<OrderPay>({
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

export const orderCancel = defineProcessor<OrderCancel>({
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

export const ORDER_PROCESSORS = [orderCreate, orderPay, orderCancel];
