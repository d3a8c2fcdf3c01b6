/**
 * The declarative form of a processor writes exactly what its code form writes: the same batches,
 * through each form's handler into its own schema, leave identical tables, row by row.
 * - product: the domain is written in SQL; its code form here is the processors it had before;
 * - user and order: their event rows are written in SQL; user_profile_wide's counters and user
 *   columns in SQL too, its last login in code (ordered by the payload's loginTime), order_wide in
 *   code (payments ordered by payTime), product_sales_minute in SQL; their code form here is the
 *   processors they had before, event rows and state;
 * - order, again: an SQL form of its state too — lifecycle status and per-status times, newest
 *   wins, as per-type aggregations into order_wide — must agree, event rows and state rows,
 *   whatever the arrival order. (The code form orders payments by payTime, the SQL form by event
 *   time; the events here carry the same value in both.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { eventRow, orderKey, productRow, sql, stateOrderRow, userRow } from '../../shared/domains/common.ts';
import type { Dimensions } from '../../shared/domains/dimensions.ts';
import { productState, userState } from '../../shared/domains/last-values.ts';
import { order, orderEventWide, orderWide } from '../../shared/domains/order.ts';
import {
  product,
  productEventWide,
  type productRecommendV1,
  type productSearchV1,
  type productViewV1,
} from '../../shared/domains/product.ts';
import { user, userEventWide, userProfileWide } from '../../shared/domains/user.ts';
import type { BusinessEvent } from '../../shared/events/business-event.ts';
import { defineDomain } from '../../shared/pipeline/domain.ts';
import {
  type DimensionView,
  defineProcessor,
  type RecordCoordinates,
} from '../../shared/pipeline/processor.ts';
import { type RowOf, rowOf } from '../../shared/tables/table.ts';
import { domainHandler, dump, freshDatabase, type TestDatabase } from '../support/database.ts';
import { businessEvent, type Json, kafkaEvent, kafkaRecord, lambdaContext } from '../support/events.ts';

type Product = Dimensions['dim_product'];

// The user and order domains' processors as they were in code, before their event rows moved to
// SQL (shared/domains/user.ts, order.ts): the reference the domains must still agree with. Their
// dimension columns and cancel_reason merge as LAST_VALUE (newest non-NULL, each by its own key).
type UserEventColumns = Omit<RowOf<typeof userEventWide>, keyof ReturnType<typeof eventRow> | 'user_id'>;
type CodeProfileDelta = Omit<RowOf<typeof userProfileWide>, 'user_id'>;

function userWrite(
  event: BusinessEvent<{ userId: string }>,
  record: RecordCoordinates,
  dims: DimensionView<Dimensions>,
  columns: UserEventColumns,
  delta: CodeProfileDelta,
) {
  const user = userRow(dims.get('dim_user', event.payload.userId));
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
        ...userState(dims.get('dim_user', event.payload.userId), orderKey(event)),
        ...stateOrderRow(event),
        ...delta,
      }),
    ],
  };
}

const codeUserLogin = defineProcessor<
  { userId: string; loginTime: number; device: string; ip: string },
  Dimensions
>({
  type: 'user_login',
  dimensionKeys: (e) => ({ dim_user: e.payload.userId }),
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

const codeUserPurchase = defineProcessor<
  { userId: string; orderId: string; productId: string; amount: string; currency?: string | undefined },
  Dimensions
>({
  type: 'user_purchase',
  dimensionKeys: (e) => ({ dim_user: e.payload.userId, dim_product: e.payload.productId }),
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
        ...productRow(dims.get('dim_product', e.payload.productId)),
      },
      { purchase_count: 1, purchase_amount: e.payload.amount },
    ),
});

const codeUserView = defineProcessor<
  { userId: string; page: string; productId?: string | undefined; durationMs?: number | undefined },
  Dimensions
>({
  type: 'user_view',
  dimensionKeys: (e) => ({ dim_user: e.payload.userId, dim_product: e.payload.productId }),
  toWrite: (e, dims, record) =>
    userWrite(
      e,
      record,
      dims,
      {
        page: e.payload.page,
        product_id: e.payload.productId ?? null,
        duration_ms: e.payload.durationMs ?? null,
        ...productRow(dims.get('dim_product', e.payload.productId)),
      },
      { view_count: 1 },
    ),
});

type OrderEventColumns = Omit<
  RowOf<typeof orderEventWide>,
  keyof ReturnType<typeof eventRow> | 'order_id' | 'user_id'
>;
type OrderState = Omit<RowOf<typeof orderWide>, 'order_id' | 'user_id' | 'status'>;

function orderWrite(
  event: BusinessEvent<{ orderId: string; userId: string }>,
  record: RecordCoordinates,
  dims: DimensionView<Dimensions>,
  status: 'CREATED' | 'PAID' | 'CANCELLED',
  columns: OrderEventColumns,
  state: OrderState,
) {
  const { orderId, userId } = event.payload;
  const user = userRow(dims.get('dim_user', userId));
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
        ...userState(dims.get('dim_user', userId), orderKey(event)),
        ...stateOrderRow(event),
        ...state,
      }),
    ],
  };
}

const codeOrderCreate = defineProcessor<
  { orderId: string; userId: string; productId: string; quantity: number; amount: string },
  Dimensions
>({
  type: 'order_create',
  dimensionKeys: (e) => ({ dim_user: e.payload.userId, dim_product: e.payload.productId }),
  toWrite(e, dims, record) {
    const fields = {
      product_id: e.payload.productId,
      quantity: e.payload.quantity,
      amount: e.payload.amount,
      ...productRow(dims.get('dim_product', e.payload.productId)),
    };
    return orderWrite(e, record, dims, 'CREATED', fields, {
      ...fields,
      ...productState(dims.get('dim_product', e.payload.productId), orderKey(e)),
      created_at: new Date(e.timestamp),
      created_key: orderKey(e),
    });
  },
});

const codeOrderPay = defineProcessor<
  { orderId: string; userId: string; amount: string; payMethod: string; payTime: number },
  Dimensions
>({
  type: 'order_pay',
  dimensionKeys: (e) => ({ dim_user: e.payload.userId }),
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

const codeOrderCancel = defineProcessor<
  { orderId: string; userId: string; reason?: string | undefined },
  Dimensions
>({
  type: 'order_cancel',
  dimensionKeys: (e) => ({ dim_user: e.payload.userId }),
  toWrite(e, dims, record) {
    const reason = e.payload.reason ?? null;
    return orderWrite(
      e,
      record,
      dims,
      'CANCELLED',
      { cancel_reason: reason },
      {
        cancel_reason: reason,
        cancel_reason_key: orderKey(e),
        cancelled_at: new Date(e.timestamp),
        cancelled_key: orderKey(e),
      },
    );
  },
});

const userCode = defineDomain({ ...user, processors: [codeUserLogin, codeUserPurchase, codeUserView] });
const orderCode = defineDomain({ ...order, processors: [codeOrderCreate, codeOrderPay, codeOrderCancel] });

function productWrite(
  e: { eventId: string; payload: { userId?: string | undefined } },
  base: ReturnType<typeof eventRow>,
  dims: {
    get(n: 'dim_product', k: string | undefined): Product | null;
    get(n: 'dim_user', k: string | undefined): Dimensions['dim_user'] | null;
  },
  productId: string | undefined,
  columns: {
    referrer?: string | null;
    keyword?: string;
    result_count?: number;
    scene?: string;
    recommended_product_ids?: string;
  },
) {
  return {
    eventId: e.eventId,
    event: rowOf(productEventWide, {
      ...base,
      product_id: productId ?? null,
      user_id: e.payload.userId ?? null,
      ...productRow(dims.get('dim_product', productId)),
      ...userRow(dims.get('dim_user', e.payload.userId)),
      ...columns,
    }),
    state: [],
  };
}

const productCode = defineDomain({
  ...product,
  processors: [
    defineProcessor<z.output<typeof productViewV1>, Dimensions>({
      type: 'product_view',
      dimensionKeys: (e) => ({ dim_user: e.payload.userId, dim_product: e.payload.productId }),
      toWrite: (e, dims, record) =>
        productWrite(e, eventRow(e, record), dims, e.payload.productId, {
          referrer: e.payload.referrer ?? null,
        }),
    }),
    defineProcessor<z.output<typeof productSearchV1>, Dimensions>({
      type: 'product_search',
      dimensionKeys: (e) => ({ dim_user: e.payload.userId }),
      toWrite: (e, dims, record) =>
        productWrite(e, eventRow(e, record), dims, undefined, {
          keyword: e.payload.keyword,
          result_count: e.payload.resultCount,
        }),
    }),
    defineProcessor<z.output<typeof productRecommendV1>, Dimensions>({
      type: 'product_recommend',
      dimensionKeys: (e) => ({ dim_user: e.payload.userId }),
      toWrite: (e, dims, record) =>
        productWrite(e, eventRow(e, record), dims, undefined, {
          scene: e.payload.scene,
          recommended_product_ids: JSON.stringify(e.payload.productIds),
        }),
    }),
  ],
});

/** Events of every product type, with and without their optional fields, known and unknown keys. */
function productEvents(): Json[] {
  const out: Json[] = [];
  for (let i = 0; i < 60; i++) {
    const userId = i % 4 === 0 ? {} : { userId: `u${i % 9}` };
    out.push(
      businessEvent(
        'product_view',
        {},
        { productId: `p${i % 7}`, ...userId, ...(i % 3 ? { referrer: 'ad' } : {}) },
      ),
    );
    const search = businessEvent('product_search', {}, { keyword: `k${i}`, resultCount: i });
    delete (search.payload as Record<string, unknown>).userId;
    Object.assign(search.payload as object, userId);
    out.push(search);
    out.push(
      businessEvent(
        'product_recommend',
        {},
        { userId: `u${i % 9}`, productIds: [`p${i % 7}`, 'p1'], scene: 'cart' },
      ),
    );
  }
  return out;
}

const SEED = [
  `INSERT INTO dim_user (user_id, user_name, user_level, region) VALUES
    ('u1','Ann','gold','west'),('u2','Bo',NULL,'east'),('u3','Cy','silver',NULL)`,
  `INSERT INTO dim_product (product_id, product_name, category, brand, price) VALUES
    ('p1','Lamp','home','Lux',19.99),('p2','Desk','office',NULL,99.00),('p3','Pen',NULL,'Ink',1.50)`,
];

let code: TestDatabase;
let declared: TestDatabase;
beforeAll(async () => {
  [code, declared] = await Promise.all([freshDatabase('lrt_code'), freshDatabase('lrt_decl')]);
  for (const sql of SEED) await Promise.all([code.conn.query(sql), declared.conn.query(sql)]);
});
afterAll(async () => {
  await Promise.all([code?.drop(), declared?.drop()]);
});

describe('product domain: declared vs code', () => {
  it('writes identical product_event_wide rows, in one batch and replayed', async () => {
    const records = productEvents().map((value, i) =>
      kafkaRecord({ partition: i % 3, offset: 100 + i, value }),
    );
    const event = kafkaEvent(records);
    for (const [domain, db] of [
      [productCode, code],
      [product, declared],
    ] as const) {
      const handler = domainHandler(domain, db);
      for (let i = 0; i < 2; i++)
        expect((await handler(event, lambdaContext())).batchItemFailures).toEqual([]);
    }
    const codeRows = await dump(code.conn, 'product_event_wide', 'event_id');
    expect(codeRows).toHaveLength(records.length);
    expect(await dump(declared.conn, 'product_event_wide', 'event_id')).toEqual(codeRows);
    expect(codeRows.some((r) => r.product_name === 'Lamp' && r.user_name === 'Ann')).toBe(true);
    expect(codeRows.some((r) => r.user_id === null && r.user_name === null)).toBe(true);
  });
});

const ORDER_SQL = `
INSERT INTO order_event_wide
SELECT e.orderId AS order_id, e.userId AS user_id, e.productId AS product_id, e.quantity, e.amount,
       u.user_name, u.user_level, u.region, p.product_name, p.category, p.brand
FROM order_create e
LEFT JOIN dim_user u ON u.user_id = e.userId
LEFT JOIN dim_product p ON p.product_id = e.productId;

INSERT INTO order_event_wide
SELECT e.orderId AS order_id, e.userId AS user_id, e.amount, e.payMethod AS pay_method, TO_TIMESTAMP_LTZ(e.payTime, 3) AS pay_time,
       u.user_name, u.user_level, u.region
FROM order_pay e
LEFT JOIN dim_user u ON u.user_id = e.userId;

INSERT INTO order_event_wide
SELECT e.orderId AS order_id, e.userId AS user_id, e.reason AS cancel_reason,
       u.user_name, u.user_level, u.region
FROM order_cancel e
LEFT JOIN dim_user u ON u.user_id = e.userId;

INSERT INTO order_wide
SELECT e.orderId AS order_id, LAST_VALUE(e.userId) AS user_id, LAST_VALUE('CREATED') AS status,
       LAST_VALUE(e.productId) AS product_id, LAST_VALUE(e.quantity) AS quantity, LAST_VALUE(e.amount) AS amount,
       LAST_VALUE(event_time()) AS created_at,
       LAST_VALUE(u.user_name) AS user_name, LAST_VALUE(u.user_level) AS user_level, LAST_VALUE(u.region) AS region,
       LAST_VALUE(p.product_name) AS product_name, LAST_VALUE(p.category) AS category, LAST_VALUE(p.brand) AS brand
FROM order_create e
LEFT JOIN dim_user u ON u.user_id = e.userId
LEFT JOIN dim_product p ON p.product_id = e.productId
GROUP BY e.orderId;

INSERT INTO order_wide
SELECT e.orderId AS order_id, LAST_VALUE(e.userId) AS user_id, LAST_VALUE('PAID') AS status,
       LAST_VALUE(e.amount) AS paid_amount, LAST_VALUE(e.payMethod) AS pay_method, LAST_VALUE(TO_TIMESTAMP_LTZ(e.payTime, 3)) AS paid_at,
       LAST_VALUE(u.user_name) AS user_name, LAST_VALUE(u.user_level) AS user_level, LAST_VALUE(u.region) AS region
FROM order_pay e
LEFT JOIN dim_user u ON u.user_id = e.userId
GROUP BY e.orderId;

INSERT INTO order_wide
SELECT e.orderId AS order_id, LAST_VALUE(e.userId) AS user_id, LAST_VALUE('CANCELLED') AS status,
       LAST_VALUE(e.reason) AS cancel_reason, LAST_VALUE(event_time()) AS cancelled_at,
       LAST_VALUE(u.user_name) AS user_name, LAST_VALUE(u.user_level) AS user_level, LAST_VALUE(u.region) AS region
FROM order_cancel e
LEFT JOIN dim_user u ON u.user_id = e.userId
GROUP BY e.orderId
`;

const orderSql = defineDomain({
  ...order,
  processors: sql(ORDER_SQL, { tables: order.tables, events: order.events }),
});

/** Lifecycles of 12 orders (created; paid or cancelled or both; some twice), shuffled. */
function orderEvents(): Json[] {
  const out: Json[] = [];
  const at = (i: number, step: number) => 1_790_000_000_000 + i * 10_000 + step * 1_000;
  for (let i = 0; i < 12; i++) {
    const ids = { orderId: `o${i}`, userId: `u${i % 4}` };
    out.push(
      businessEvent(
        'order_create',
        { timestamp: at(i, 0) },
        { ...ids, productId: `p${i % 3}`, quantity: 1 + i, amount: `${i}.50` },
      ),
    );
    if (i % 3 !== 2)
      out.push(
        businessEvent(
          'order_pay',
          { timestamp: at(i, 1) },
          { ...ids, amount: `${i}.50`, payMethod: i % 2 ? 'card' : 'wallet', payTime: at(i, 1) },
        ),
      );
    if (i % 3 !== 0)
      out.push(
        businessEvent(
          'order_cancel',
          { timestamp: at(i, 2 + (i % 2)) },
          { ...ids, ...(i % 2 ? { reason: 'late' } : {}) },
        ),
      );
    if (i % 4 === 0)
      out.push(
        businessEvent(
          'order_pay',
          { timestamp: at(i, 4) },
          { ...ids, amount: '1.00', payMethod: 'card', payTime: at(i, 4) },
        ),
      );
  }
  // A fixed shuffle: later events often arrive first.
  return out
    .map((e, i) => [e, (i * 7) % out.length] as const)
    .sort((a, b) => a[1] - b[1])
    .map(([e]) => e);
}

describe('order domain: SQL vs code', () => {
  it('writes identical order_event_wide and order_wide rows, in three batches and replayed', async () => {
    await Promise.all([code.truncate(), declared.truncate()]);
    for (const sqlText of SEED) await Promise.all([code.conn.query(sqlText), declared.conn.query(sqlText)]);
    const events = orderEvents();
    const batches = [0, 1, 2].map((b) =>
      kafkaEvent(
        events
          .filter((_, i) => i % 3 === b)
          .map((value, i) => kafkaRecord({ partition: b, offset: i, value })),
      ),
    );
    const run = async (domain: typeof order, db: TestDatabase) => {
      const handler = domainHandler(domain, db);
      for (const batch of [...batches, ...[...batches].reverse()]) {
        expect((await handler(batch, lambdaContext())).batchItemFailures).toEqual([]);
      }
    };
    const tables = [
      ['order_event_wide', 'event_id'],
      ['order_wide', 'order_id'],
    ] as const;
    await Promise.all([run(orderCode, code), run(order, declared)]);
    const codeRows = await Promise.all(tables.map(([table, key]) => dump(code.conn, table, key)));
    for (const [i, [table, key]] of tables.entries()) {
      expect(codeRows[i]!.length).toBeGreaterThan(0);
      expect(await dump(declared.conn, table, key), `${table}: the domain (SQL rows, code state)`).toEqual(
        codeRows[i],
      );
    }
    await declared.truncate();
    for (const sqlText of SEED) await declared.conn.query(sqlText);
    await run(orderSql, declared);
    for (const [i, [table, key]] of tables.entries()) {
      expect(await dump(declared.conn, table, key), `${table}: all SQL`).toEqual(codeRows[i]);
    }
    const states = codeRows[1]!;
    expect(new Set(states.map((r) => r.status))).toEqual(new Set(['PAID', 'CANCELLED']));
  });
});

describe('user domain: SQL event rows with code state vs code', () => {
  it('writes identical user_event_wide and user_profile_wide rows, in batches and replayed', async () => {
    await Promise.all([code.truncate(), declared.truncate()]);
    for (const sqlText of SEED) await Promise.all([code.conn.query(sqlText), declared.conn.query(sqlText)]);
    const events: Json[] = [];
    for (let i = 0; i < 40; i++) {
      const userId = { userId: `u${i % 5}` };
      events.push(businessEvent('user_login', {}, { ...userId, loginTime: 1_790_000_000_000 - i * 1000 }));
      events.push(
        businessEvent(
          'user_purchase',
          {},
          { ...userId, productId: `p${i % 4}`, amount: i % 2 ? 12.5 : '3.10' },
        ),
      );
      const view = businessEvent('user_view', {}, { ...userId, productId: `p${i % 4}` });
      if (i % 3 === 0) {
        delete (view.payload as Record<string, unknown>).productId;
        delete (view.payload as Record<string, unknown>).durationMs;
      }
      events.push(view);
    }
    const batches = [0, 1].map((b) =>
      kafkaEvent(
        events
          .filter((_, i) => i % 2 === b)
          .map((value, i) => kafkaRecord({ partition: b, offset: i, value })),
      ),
    );
    for (const [domain, db] of [
      [userCode, code],
      [user, declared],
    ] as const) {
      const handler = domainHandler(domain, db);
      for (const batch of [...batches, ...batches]) {
        expect((await handler(batch, lambdaContext())).batchItemFailures).toEqual([]);
      }
    }
    for (const [table, key] of [
      ['user_event_wide', 'event_id'],
      ['user_profile_wide', 'user_id'],
    ] as const) {
      const codeRows = await dump(code.conn, table, key);
      expect(codeRows.length).toBeGreaterThan(0);
      expect(await dump(declared.conn, table, key), table).toEqual(codeRows);
    }
    const profiles = await dump(code.conn, 'user_profile_wide', 'user_id');
    expect(profiles.some((r) => r.user_name === 'Ann' && Number(r.login_count) === 8)).toBe(true);
  });
});

describe('fan-out against MySQL: exactly once', () => {
  const FANOUT = `
EXECUTE STATEMENT SET BEGIN
INSERT INTO product_event_wide
SELECT e.productId AS product_id, e.userId AS user_id, p.product_name, p.category, p.brand
FROM product_view e
JOIN dim_product FOR SYSTEM_TIME AS OF e.proc_time AS p ON p.product_id = e.productId
UNION ALL
SELECT NULL, e.userId, NULL, NULL, NULL FROM product_search e
UNION ALL
SELECT NULL, e.userId, NULL, NULL, NULL FROM product_recommend e;

INSERT INTO user_event_wide
SELECT COALESCE(e.userId, 'anonymous') AS user_id, 'product' AS page, e.productId AS product_id,
       u.user_name, u.user_level, u.region
FROM product_view e
LEFT JOIN dim_user FOR SYSTEM_TIME AS OF e.proc_time AS u ON u.user_id = e.userId;

INSERT INTO user_profile_wide
SELECT COALESCE(e.userId, 'anonymous') AS user_id, COUNT(*) AS view_count,
       LAST_VALUE(u.user_name) AS user_name, LAST_VALUE(u.user_level) AS user_level, LAST_VALUE(u.region) AS region
FROM product_view e
LEFT JOIN dim_user FOR SYSTEM_TIME AS OF e.proc_time AS u ON u.user_id = e.userId
GROUP BY COALESCE(e.userId, 'anonymous');
END;`;
  const tables = [productEventWide, userEventWide, userProfileWide];
  const fanout = defineDomain({
    ...product,
    tables,
    processors: sql(FANOUT, { tables, events: product.events }),
  });

  it('writes each row once, counts each event once, replayed and raced', async () => {
    await declared.truncate();
    for (const sqlText of SEED) await declared.conn.query(sqlText);
    const events = productEvents();
    const views = events.filter((e) => e.type === 'product_view');
    const batch = kafkaEvent(events.map((value, i) => kafkaRecord({ partition: i % 3, offset: i, value })));
    const handler = domainHandler(fanout, declared);
    expect((await handler(batch, lambdaContext())).batchItemFailures).toEqual([]);
    // A replay, then two functions racing on the same batch.
    expect((await handler(batch, lambdaContext())).batchItemFailures).toEqual([]);
    const racing = await Promise.all([
      domainHandler(fanout, declared)(batch, lambdaContext()),
      domainHandler(fanout, declared)(batch, lambdaContext()),
    ]);
    expect(racing.map((r) => r.batchItemFailures)).toEqual([[], []]);

    const found = views.filter((e) => ['p1', 'p2', 'p3'].includes((e.payload as Json).productId as string));
    const productRows = await dump(declared.conn, 'product_event_wide', 'event_id');
    expect(productRows).toHaveLength(events.length - views.length + found.length);
    expect(productRows.filter((r) => r.event_type === 'product_view')).toHaveLength(found.length);
    expect(await dump(declared.conn, 'user_event_wide', 'event_id')).toHaveLength(views.length);
    const profiles = await dump(declared.conn, 'user_profile_wide', 'user_id');
    expect(profiles.reduce((n, r) => n + Number(r.view_count), 0)).toBe(views.length);
    expect(profiles.find((r) => r.user_id === 'u1')).toMatchObject({ user_name: 'Ann', region: 'west' });
  });
});
