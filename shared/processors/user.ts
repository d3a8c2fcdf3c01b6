/** Processors of the user domain: rows of user_event_wide, deltas of user_profile_wide. */
import type { UserDimension } from '../cache/dimensions.ts';
import type { BusinessEvent } from '../events/business-event.ts';
import type { UserLogin, UserPurchase, UserView } from '../events/catalog.ts';
import type { EventWrite } from '../mysql/sink.ts';
import { type Row, userEventWide, userProfileWide } from '../mysql/tables.ts';
import { defineProcessor, type RecordCoordinates } from './processor.ts';
import { eventColumns, orderKey, productColumns, stateOrderColumns, userColumns } from './rows.ts';

/** A user_profile_wide delta: counters to add, the rest merged by newest wins. */
function profileDelta(event: BusinessEvent<{ userId: string }>, user: UserDimension | null, delta: Row): Row {
  return {
    user_id: event.payload.userId,
    login_count: 0,
    view_count: 0,
    purchase_count: 0,
    purchase_amount: '0',
    last_login_at: null,
    last_login_key: '',
    last_device: null,
    ...userColumns(user),
    ...stateOrderColumns(event),
    ...delta,
  };
}

function userWrite(
  event: BusinessEvent<{ userId: string }>,
  record: RecordCoordinates,
  user: UserDimension | null,
  columns: Row,
  delta: Row,
): EventWrite {
  return {
    eventId: event.eventId,
    event: {
      table: userEventWide,
      row: {
        ...eventColumns(event, record),
        user_id: event.payload.userId,
        ...userColumns(user),
        ...columns,
      },
    },
    state: [{ table: userProfileWide, row: profileDelta(event, user, delta) }],
  };
}

export const userLogin = defineProcessor<UserLogin>({
  type: 'user_login',
  dimensionKeys: (e) => ({ user: e.payload.userId }),
  toWrite(e, dims, record) {
    const loginTime = new Date(e.payload.loginTime);
    return userWrite(
      e,
      record,
      dims.user(e.payload.userId),
      { login_time: loginTime, device: e.payload.device, ip: e.payload.ip },
      {
        login_count: 1,
        last_login_at: loginTime,
        last_login_key: orderKey(e, e.payload.loginTime),
        last_device: e.payload.device,
      },
    );
  },
});

export const userPurchase = defineProcessor<UserPurchase>({
  type: 'user_purchase',
  dimensionKeys: (e) => ({ user: e.payload.userId, product: e.payload.productId }),
  toWrite(e, dims, record) {
    return userWrite(
      e,
      record,
      dims.user(e.payload.userId),
      {
        order_id: e.payload.orderId,
        product_id: e.payload.productId,
        amount: e.payload.amount,
        currency: e.payload.currency ?? null,
        ...productColumns(dims.product(e.payload.productId)),
      },
      { purchase_count: 1, purchase_amount: e.payload.amount },
    );
  },
});

export const userView = defineProcessor<UserView>({
  type: 'user_view',
  dimensionKeys: (e) => ({ user: e.payload.userId, product: e.payload.productId }),
  toWrite(e, dims, record) {
    return userWrite(
      e,
      record,
      dims.user(e.payload.userId),
      {
        page: e.payload.page,
        product_id: e.payload.productId ?? null,
        duration_ms: e.payload.durationMs ?? null,
        ...productColumns(dims.product(e.payload.productId)),
      },
      { view_count: 1 },
    );
  },
});

export const USER_PROCESSORS = [userLogin, userPurchase, userView];
