/**
 * The user domain: logins, purchases and page views. Each event is a row of user_event_wide; each
 * also moves the user's row of user_profile_wide (counters and user columns in SQL, the last login
 * in code), merged exactly once.
 */

import { amountSchema } from '../events/amount.ts';
import { type CatalogEntry, epochMillis, id, text } from '../events/catalog.ts';
import * as z from '../events/zod.ts';
import { defineState, withState } from '../pipeline/declarative.ts';
import { defineDomain } from '../pipeline/domain.ts';
import type { EventProcessor } from '../pipeline/processor.ts';
import { bigint, char, datetime, decimal, defineTable, int, rowOf, varchar } from '../tables/table.ts';
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
import { USER_LAST_VALUES, USER_STATE_COLUMNS } from './last-values.ts';

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
    ...USER_STATE_COLUMNS,
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
    ...USER_LAST_VALUES,
    last_event_time: 'newest',
  },
});

// -------------------------------------------------------------------------------- processors
/** The event types, each with its payload schema and a sample payload (test support reads it). */
const events: ReadonlyArray<Omit<CatalogEntry, 'domain'>> = [
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
];

/**
 * Each event's row of user_event_wide, in Flink SQL (docs/sql.md); the row that anchors the
 * profile's merges (PROFILE_SQL and the last login, below).
 */
const USER_SQL = `
INSERT INTO user_event_wide
SELECT e.userId AS user_id, TO_TIMESTAMP_LTZ(e.loginTime, 3) AS login_time, e.device, e.ip,
       u.user_name, u.user_level, u.region
FROM user_login e
LEFT JOIN dim_user FOR SYSTEM_TIME AS OF e.proc_time AS u ON u.user_id = e.userId;

INSERT INTO user_event_wide
SELECT e.userId AS user_id, e.orderId AS order_id, e.productId AS product_id, e.amount, e.currency,
       u.user_name, u.user_level, u.region, p.product_name, p.category, p.brand
FROM user_purchase e
LEFT JOIN dim_user FOR SYSTEM_TIME AS OF e.proc_time AS u ON u.user_id = e.userId
LEFT JOIN dim_product FOR SYSTEM_TIME AS OF e.proc_time AS p ON p.product_id = e.productId;

INSERT INTO user_event_wide
SELECT e.userId AS user_id, e.page, e.productId AS product_id, e.durationMs AS duration_ms,
       u.user_name, u.user_level, u.region, p.product_name, p.category, p.brand
FROM user_view e
LEFT JOIN dim_user FOR SYSTEM_TIME AS OF e.proc_time AS u ON u.user_id = e.userId
LEFT JOIN dim_product FOR SYSTEM_TIME AS OF e.proc_time AS p ON p.product_id = e.productId;
`;

/**
 * The profile's counters, sum and user columns, in Flink SQL: each event merges them once, anchored
 * by its event row (USER_SQL). The user columns are LAST_VALUEs: a newer event from a user the
 * dimension does not know keeps the name and region older ones gave.
 */
const PROFILE_SQL = `
INSERT INTO user_profile_wide
SELECT e.userId AS user_id,
       COUNT(*) FILTER (WHERE type = 'user_login') AS login_count,
       COUNT(*) FILTER (WHERE type = 'user_view') AS view_count,
       COUNT(*) FILTER (WHERE type = 'user_purchase') AS purchase_count,
       SUM(e.amount) FILTER (WHERE type = 'user_purchase') AS purchase_amount,
       LAST_VALUE(u.user_name) AS user_name, LAST_VALUE(u.user_level) AS user_level,
       LAST_VALUE(u.region) AS region
FROM events e
LEFT JOIN dim_user FOR SYSTEM_TIME AS OF e.proc_time AS u ON u.user_id = e.userId
WHERE type IN ('user_login', 'user_purchase', 'user_view')
GROUP BY e.userId
`;

/**
 * The last login stays code: it is ordered by the payload's loginTime (a login reported late is
 * not the newest), which a statement cannot say — LAST_VALUE orders by the event time. Its row
 * carries only the login columns; the sink merges it with the SQL row of the same event.
 */
const lastLogin = defineState<z.output<typeof userLoginV1>, Dimensions>({
  type: 'user_login',
  dimensionKeys: () => ({}),
  state: (e) => [
    rowOf(userProfileWide, {
      user_id: e.payload.userId,
      last_login_at: new Date(e.payload.loginTime),
      last_login_key: orderKey(e, e.payload.loginTime),
      last_device: e.payload.device,
    }),
  ],
});

const tables = [userEventWide, userProfileWide];
export const [userLogin, userPurchase, userView] = withState(sql(USER_SQL, { tables, events }), [
  ...sqlState(PROFILE_SQL, { tables, events }),
  lastLogin,
]) as [EventProcessor, EventProcessor, EventProcessor];

export const user = defineDomain({
  name: 'user',
  events,
  tables: [userEventWide, userProfileWide],
  processors: [userLogin, userPurchase, userView],
});
