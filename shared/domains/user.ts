/**
 * The user domain: logins, purchases and page views. Each event is a row of user_event_wide; each
 * also moves the user's row of user_profile_wide (counters, last login), merged exactly once.
 */

import { amountSchema } from '../events/amount.ts';
import type { BusinessEvent } from '../events/business-event.ts';
import { epochMillis, id, text } from '../events/catalog.ts';
import * as z from '../events/zod.ts';
import { defineDomain } from '../pipeline/domain.ts';
import { type DimensionView, defineProcessor, type RecordCoordinates } from '../pipeline/processor.ts';
import {
  bigint,
  char,
  datetime,
  decimal,
  defineTable,
  int,
  type RowOf,
  rowOf,
  varchar,
} from '../tables/table.ts';
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
const userLoginV1 = z.object({
  userId: id,
  loginTime: epochMillis,
  device: text(64).check(z.minLength(1)),
  ip: text(45).check(z.minLength(1)),
});
const userPurchaseV1 = z.object({
  userId: id,
  orderId: id,
  productId: id,
  amount: amountSchema,
  currency: z.optional(z.string().check(z.regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code'))),
});
export const userViewV1 = z.object({
  userId: id,
  page: text(255).check(z.minLength(1)),
  productId: z.optional(id),
  durationMs: z.optional(z.number().check(z.int(), z.gte(0), z.lte(86_400_000))),
});

// ------------------------------------------------------------------------------------ tables
export const userEventWide = defineTable({
  name: 'user_event_wide',
  columns: {
    ...EVENT_COLUMNS,
    user_id: idColumn(),
    login_time: datetime().null(),
    device: varchar(64).null(),
    ip: varchar(45).null(),
    order_id: idColumn().null(),
    product_id: idColumn().null(),
    amount: decimal(18, 4).null(),
    currency: char(3).null(),
    page: varchar(255).null(),
    duration_ms: int().null(),
    ...USER_COLUMNS,
    ...PRODUCT_COLUMNS,
    ...KAFKA_COLUMNS,
  },
  key: ['event_id'],
});

export const userProfileWide = defineTable({
  name: 'user_profile_wide',
  columns: {
    user_id: idColumn(),
    login_count: bigint().defaulted(),
    view_count: bigint().defaulted(),
    purchase_count: bigint().defaulted(),
    purchase_amount: decimal(30, 4).defaulted(),
    last_login_at: datetime().null(),
    last_login_key: orderKeyColumn(),
    last_device: varchar(64).null(),
    ...USER_COLUMNS,
    ...STATE_ORDER_COLUMNS,
  },
  key: ['user_id'],
  merge: {
    // Counters add the deltas of events applied for the first time (shared/sink/sink.ts).
    login_count: 'add',
    view_count: 'add',
    purchase_count: 'add',
    purchase_amount: 'add',
    last_device: { newestBy: 'last_login_key' },
    last_login_at: { newestBy: 'last_login_key' },
    user_name: 'newest',
    user_level: 'newest',
    region: 'newest',
    last_event_time: 'newest',
  },
});

// -------------------------------------------------------------------------------- processors
type UserEventColumns = Omit<RowOf<typeof userEventWide>, keyof ReturnType<typeof eventRow> | 'user_id'>;
type ProfileDelta = Omit<RowOf<typeof userProfileWide>, 'user_id'>;

function userWrite(
  event: BusinessEvent<{ userId: string }>,
  record: RecordCoordinates,
  dims: DimensionView<Dimensions>,
  columns: UserEventColumns,
  delta: ProfileDelta,
) {
  const user = userRow(dims.get('user', event.payload.userId));
  return {
    eventId: event.eventId,
    event: rowOf(userEventWide, {
      ...eventRow(event, record),
      user_id: event.payload.userId,
      ...user,
      ...columns,
    }),
    state: [
      rowOf(userProfileWide, {
        user_id: event.payload.userId,
        login_count: 0,
        view_count: 0,
        purchase_count: 0,
        purchase_amount: '0',
        last_login_at: null,
        last_login_key: '',
        last_device: null,
        ...user,
        ...stateOrderRow(event),
        ...delta,
      }),
    ],
  };
}

export const userLogin = defineProcessor<z.output<typeof userLoginV1>, Dimensions>({
  type: 'user_login',
  dimensionKeys: (e) => ({ user: e.payload.userId }),
  toWrite(e, dims, record) {
    const loginTime = new Date(e.payload.loginTime);
    return userWrite(
      e,
      record,
      dims,
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

export const userPurchase = defineProcessor<z.output<typeof userPurchaseV1>, Dimensions>({
  type: 'user_purchase',
  dimensionKeys: (e) => ({ user: e.payload.userId, product: e.payload.productId }),
  toWrite: (e, dims, record) =>
    userWrite(
      e,
      record,
      dims,
      {
        order_id: e.payload.orderId,
        product_id: e.payload.productId,
        amount: e.payload.amount,
        currency: e.payload.currency ?? null,
        ...productRow(dims.get('product', e.payload.productId)),
      },
      { purchase_count: 1, purchase_amount: e.payload.amount },
    ),
});

export const userView = defineProcessor<z.output<typeof userViewV1>, Dimensions>({
  type: 'user_view',
  dimensionKeys: (e) => ({ user: e.payload.userId, product: e.payload.productId }),
  toWrite: (e, dims, record) =>
    userWrite(
      e,
      record,
      dims,
      {
        page: e.payload.page,
        product_id: e.payload.productId ?? null,
        duration_ms: e.payload.durationMs ?? null,
        ...productRow(dims.get('product', e.payload.productId)),
      },
      { view_count: 1 },
    ),
});

export const user = defineDomain({
  name: 'user',
  events: [
    {
      type: 'user_login',
      version: '1.0',
      payload: userLoginV1,
      sample: (i) => ({
        userId: `u${i % 7}`,
        loginTime: SAMPLE_T0 + i,
        device: i % 2 ? 'ios' : 'web',
        ip: '10.0.0.1',
      }),
    },
    {
      type: 'user_purchase',
      version: '1.0',
      payload: userPurchaseV1,
      sample: (i) => ({
        userId: `u${i % 7}`,
        orderId: `o${i}`,
        productId: `p${i % 5}`,
        amount: '19.99',
        currency: 'EUR',
      }),
    },
    {
      type: 'user_view',
      version: '1.0',
      payload: userViewV1,
      sample: (i) => ({ userId: `u${i % 7}`, page: '/home', productId: `p${i % 5}`, durationMs: 1200 }),
    },
  ],
  tables: [userEventWide, userProfileWide],
  processors: [userLogin, userPurchase, userView],
});
