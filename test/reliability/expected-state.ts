/**
 * The state tables as the produced input says they must be, computed without the system's help:
 * from the events the generator produced (each distinct eventId of a domain once, its first record
 * winning, as "first write wins" says) and the dimension rows the test seeded, never from the event
 * tables the functions wrote or the sink's merge code. Only pure helpers of shared/ are used
 * (`eventOrderKey`, the documented order key).
 *
 * docs/architecture.md, "Newest wins":
 *   - user_profile_wide: login, view and purchase counts and `purchase_amount` add;
 *     `last_event_time` follows `last_event_key` (event time, version, id); the user columns
 *     (dim_user) are LAST_VALUEs: the newest event's value that is not NULL (Flink skips NULLs);
 *     `last_login_at` and `last_device` follow `last_login_key` (by `loginTime`).
 *   - order_wide: `status` and `user_id` follow `last_event_key`, the user columns are LAST_VALUEs
 *     over every event of the order; creation columns (product, quantity, amount, `created_at`)
 *     follow `created_key`, the dim_product columns are LAST_VALUEs over the order_create events;
 *     payment columns `paid_key` (by `payTime`); `cancelled_at` follows `cancelled_key`, and
 *     `cancel_reason` is the LAST_VALUE of the order_cancel events' reasons.
 *   - product_sales_minute: per product and minute of the event time (UTC) of order_create events,
 *     the count, quantity and amount add, `max_amount` is the greatest amount, `last_event_time`
 *     follows `last_event_key`.
 *
 * Dimension rows may change during a run (the dimension-change scenario): each event may carry the
 * rows in force when it was produced, or any later ones (it may be processed late, or its cache
 * entry refreshed), but never older ones once a change is certain to have reached the functions.
 */
import type { Connection } from 'mysql2/promise';
import { eventOrderKey } from '../../shared/tables/table.ts';

/** An event as produced: the JSON the record carries (before any schema default or conversion). */
export interface ProducedEvent {
  domain: string;
  type: string;
  timestamp: number;
  eventId: string;
  version: string;
  payload: Record<string, unknown>;
}

/** What the state rows enrich from: dim_user and dim_product, by id. */
export interface DimensionRows {
  user: ReadonlyMap<string, UserColumns>;
  product: ReadonlyMap<string, ProductColumns>;
}
interface UserColumns {
  user_name: string | null;
  user_level: string | null;
  region: string | null;
}
interface ProductColumns {
  product_name: string | null;
  category: string | null;
  brand: string | null;
}

/**
 * Dimension rows in force from record `from` (its sequence number) on: the records before it may
 * still show the earlier rows. The first epoch starts at 0.
 */
export interface DimensionEpoch {
  from: number;
  rows: DimensionRows;
}

/** A produced event and where it was in the stream (its record's sequence number). */
export interface ProducedRecord {
  seq: number;
  event: ProducedEvent;
}

/** The dimension tables as they are now (read by the test, which seeded and changes them). */
export async function readDimensions(conn: Connection): Promise<DimensionRows> {
  const [users] = (await conn.query(
    'SELECT user_id, user_name, user_level, region FROM dim_user',
  )) as unknown as [Array<UserColumns & { user_id: string }>];
  const [products] = (await conn.query(
    'SELECT product_id, product_name, category, brand FROM dim_product',
  )) as unknown as [Array<ProductColumns & { product_id: string }>];
  return {
    user: new Map(
      users.map((u) => [u.user_id, { user_name: u.user_name, user_level: u.user_level, region: u.region }]),
    ),
    product: new Map(
      products.map((p) => [
        p.product_id,
        { product_name: p.product_name, category: p.category, brand: p.brand },
      ]),
    ),
  };
}

const NO_USER: UserColumns = { user_name: null, user_level: null, region: null };
const NO_PRODUCT: ProductColumns = { product_name: null, category: null, brand: null };

/** A column's expected value: one value, or (dimension columns during a change) any of several. */
type Want = { one: unknown } | { anyOf: unknown[] };

export interface ExpectedRow {
  key: string;
  columns: Record<string, Want>;
}

interface Newest {
  key: string;
  seq: number;
  event: ProducedEvent;
}

const newer = (current: Newest | undefined, key: string) => current === undefined || key > current.key;

/**
 * A LAST_VALUE column: the newest event's value that is not NULL, Flink skipping NULLs. `valuesOf`
 * gives the values an event may carry (several during a dimension change): an event that may carry
 * NULL may also leave the value of an older one.
 */
function lastNonNull(events: readonly Newest[], valuesOf: (e: Newest) => unknown[]): Want {
  const out = new Set<unknown>();
  let settled = false;
  for (const e of [...events].sort((a, b) => (a.key < b.key ? 1 : -1))) {
    const values = valuesOf(e);
    for (const v of values) if (v !== null) out.add(v);
    if (!values.includes(null)) {
      settled = true;
      break;
    }
  }
  if (!settled) out.add(null);
  return out.size === 1 ? { one: [...out][0] } : { anyOf: [...out] };
}

/**
 * Expected user_profile_wide and order_wide rows, keyed by user_id and order_id. `records` are the
 * produced events in any order; each (domain, eventId) counts once, its lowest `seq` winning.
 */
export function expectedState(
  records: readonly ProducedRecord[],
  epochs: readonly DimensionEpoch[],
): {
  user_profile_wide: Map<string, ExpectedRow>;
  order_wide: Map<string, ExpectedRow>;
  product_sales_minute: Map<string, ExpectedRow>;
} {
  const sorted = [...records].sort((a, b) => a.seq - b.seq);
  const firsts = new Map<string, ProducedRecord>();
  for (const r of sorted) {
    const id = `${r.event.domain}\u0000${r.event.eventId}`;
    if (!firsts.has(id)) firsts.set(id, r);
  }
  const byFrom = [...epochs].sort((a, b) => a.from - b.from);
  if (byFrom[0]?.from !== 0) throw new Error('the dimension epochs must start at record 0');
  /** The dimension rows an event produced as record `seq` may carry: its epoch's or a later one's. */
  const dimensionsFor = (seq: number) => byFrom.slice(byFrom.findLastIndex((e) => e.from <= seq));
  const userValues = (seq: number, userId: string, column: keyof UserColumns) =>
    dimensionsFor(seq).map((e) => (e.rows.user.get(userId) ?? NO_USER)[column]);
  const productValues = (seq: number, productId: string, column: keyof ProductColumns) =>
    dimensionsFor(seq).map((e) => (e.rows.product.get(productId) ?? NO_PRODUCT)[column]);
  /** The user columns as LAST_VALUEs over `events` (each read for the user it names). */
  const userWant = (events: readonly Newest[]): Record<string, Want> =>
    Object.fromEntries(
      Object.keys(NO_USER).map((c) => [
        c,
        lastNonNull(events, (e) => userValues(e.seq, String(e.event.payload.userId), c as keyof UserColumns)),
      ]),
    );
  const productWant = (events: readonly Newest[]): Record<string, Want> =>
    Object.fromEntries(
      Object.keys(NO_PRODUCT).map((c) => [
        c,
        lastNonNull(events, (e) =>
          productValues(e.seq, String(e.event.payload.productId), c as keyof ProductColumns),
        ),
      ]),
    );
  const key = (e: ProducedEvent, at = e.timestamp) => eventOrderKey(at, e.version, e.eventId);

  // ---------------------------------------------------------------------- user_profile_wide
  interface Profile {
    logins: number;
    views: number;
    purchases: number;
    amount: bigint;
    newest?: Newest;
    login?: Newest & { at: number };
    all: Newest[];
  }
  const profiles = new Map<string, Profile>();
  // ------------------------------------------------------------------------------ order_wide
  interface Order {
    newest?: Newest;
    created?: Newest;
    paid?: Newest & { at: number };
    cancelled?: Newest;
    all: Newest[];
    creates: Newest[];
    cancels: Newest[];
  }
  const orders = new Map<string, Order>();
  // -------------------------------------------------------------------- product_sales_minute
  interface Sales {
    orders: number;
    quantity: number;
    amount: bigint;
    max: bigint;
    newest?: Newest;
  }
  const sales = new Map<string, Sales>();

  for (const { seq, event } of firsts.values()) {
    const p = event.payload;
    const k = key(event);
    if (event.domain === 'user') {
      const userId = String(p.userId);
      const profile = profiles.get(userId) ?? { logins: 0, views: 0, purchases: 0, amount: 0n, all: [] };
      profiles.set(userId, profile);
      profile.all.push({ key: k, seq, event });
      if (newer(profile.newest, k)) profile.newest = { key: k, seq, event };
      if (event.type === 'user_login') {
        profile.logins += 1;
        const at = Number(p.loginTime);
        const loginKey = key(event, at);
        if (newer(profile.login, loginKey)) profile.login = { key: loginKey, seq, event, at };
      } else if (event.type === 'user_view') profile.views += 1;
      else if (event.type === 'user_purchase') {
        profile.purchases += 1;
        profile.amount += units(p.amount);
      } else throw new Error(`expected state: no rule for user event type ${event.type}`);
    } else if (event.domain === 'order') {
      const orderId = String(p.orderId);
      const order: Order = orders.get(orderId) ?? { all: [], creates: [], cancels: [] };
      orders.set(orderId, order);
      order.all.push({ key: k, seq, event });
      if (newer(order.newest, k)) order.newest = { key: k, seq, event };
      if (event.type === 'order_create') {
        if (newer(order.created, k)) order.created = { key: k, seq, event };
        order.creates.push({ key: k, seq, event });
        const minute = event.timestamp - (((event.timestamp % 60_000) + 60_000) % 60_000);
        const salesKey = salesRowKey(String(p.productId), minute);
        const amount = units(p.amount);
        const s = sales.get(salesKey) ?? { orders: 0, quantity: 0, amount: 0n, max: amount };
        sales.set(salesKey, s);
        s.orders += 1;
        s.quantity += Number(p.quantity);
        s.amount += amount;
        if (amount > s.max) s.max = amount;
        if (newer(s.newest, k)) s.newest = { key: k, seq, event };
      } else if (event.type === 'order_pay') {
        const at = Number(p.payTime);
        const paidKey = key(event, at);
        if (newer(order.paid, paidKey)) order.paid = { key: paidKey, seq, event, at };
      } else if (event.type === 'order_cancel') {
        if (newer(order.cancelled, k)) order.cancelled = { key: k, seq, event };
        order.cancels.push({ key: k, seq, event });
      } else throw new Error(`expected state: no rule for order event type ${event.type}`);
    }
  }

  const one = (value: unknown): Want => ({ one: value });
  const userProfiles = new Map<string, ExpectedRow>();
  for (const [userId, p] of profiles) {
    const newest = p.newest!;
    userProfiles.set(userId, {
      key: userId,
      columns: {
        login_count: one(p.logins),
        view_count: one(p.views),
        purchase_count: one(p.purchases),
        purchase_amount: one(decimal(p.amount)),
        last_event_key: one(newest.key),
        last_event_time: one(newest.event.timestamp),
        ...userWant(p.all),
        last_login_key: one(p.login?.key ?? ''),
        last_login_at: one(p.login?.at ?? null),
        last_device: one(p.login ? String(p.login.event.payload.device) : null),
      },
    });
  }

  const STATUS: Record<string, string> = {
    order_create: 'CREATED',
    order_pay: 'PAID',
    order_cancel: 'CANCELLED',
  };
  const orderRows = new Map<string, ExpectedRow>();
  for (const [orderId, o] of orders) {
    const newest = o.newest!;
    const created = o.created?.event.payload;
    const paid = o.paid?.event.payload;
    orderRows.set(orderId, {
      key: orderId,
      columns: {
        status: one(STATUS[newest.event.type]),
        last_event_key: one(newest.key),
        last_event_time: one(newest.event.timestamp),
        user_id: one(String(newest.event.payload.userId)),
        ...userWant(o.all),
        created_key: one(o.created?.key ?? ''),
        created_at: one(o.created?.event.timestamp ?? null),
        product_id: one(created ? String(created.productId) : null),
        quantity: one(created ? Number(created.quantity) : null),
        amount: one(created ? decimal(units(created.amount)) : null),
        ...productWant(o.creates),
        paid_key: one(o.paid?.key ?? ''),
        paid_at: one(o.paid?.at ?? null),
        paid_amount: one(paid ? decimal(units(paid.amount)) : null),
        pay_method: one(paid ? String(paid.payMethod) : null),
        cancelled_key: one(o.cancelled?.key ?? ''),
        cancelled_at: one(o.cancelled?.event.timestamp ?? null),
        cancel_reason: lastNonNull(o.cancels, (e) => [
          e.event.payload.reason === undefined ? null : String(e.event.payload.reason),
        ]),
      },
    });
  }
  const salesRows = new Map<string, ExpectedRow>();
  for (const [key, s] of sales) {
    salesRows.set(key, {
      key,
      columns: {
        order_count: one(s.orders),
        quantity: one(s.quantity),
        gmv: one(decimal(s.amount)),
        max_amount: one(decimal(s.max)),
        last_event_key: one(s.newest!.key),
        last_event_time: one(s.newest!.event.timestamp),
      },
    });
  }
  return { user_profile_wide: userProfiles, order_wide: orderRows, product_sales_minute: salesRows };
}

/** product_sales_minute's key as the oracle writes it: the product and the minute in epoch ms. */
function salesRowKey(productId: string, minute: number): string {
  return `${productId} @ ${minute}`;
}

/** A decimal amount (JSON number or text) in ten-thousandths, exactly. */
export function units(value: unknown): bigint {
  const text = typeof value === 'number' ? String(value) : String(value).trim();
  const match = /^(-?)(\d+)(?:\.(\d{0,4})0*)?$/.exec(text);
  if (!match) throw new Error(`not a decimal amount with at most 4 places: ${JSON.stringify(value)}`);
  const n = BigInt(match[2]!) * 10_000n + BigInt((match[3] ?? '').padEnd(4, '0'));
  return match[1] === '-' ? -n : n;
}

function decimal(tenThousandths: bigint): string {
  const sign = tenThousandths < 0n ? '-' : '';
  const abs = (tenThousandths < 0n ? -tenThousandths : tenThousandths).toString().padStart(5, '0');
  return `${sign}${abs.slice(0, -4)}.${abs.slice(-4)}`;
}

/** A database value in the form the expectations use: ms for datetimes, canonical decimals, numbers. */
function normalise(column: string, value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value.getTime();
  if (['purchase_amount', 'amount', 'paid_amount', 'gmv', 'max_amount'].includes(column))
    return decimal(units(value));
  if (column.endsWith('_count') || column === 'quantity') return Number(value);
  return value;
}

const MAX_NOTES = 12;

/**
 * Compares user_profile_wide, order_wide and product_sales_minute with what the produced input says; returns what differs
 * (empty when every counter, sum, newest-wins and dimension column is exact), naming row and column.
 */
export async function compareState(
  conn: Connection,
  expected: ReturnType<typeof expectedState>,
): Promise<string[]> {
  const problems: string[] = [];
  const note = (text: string) => {
    if (problems.length < MAX_NOTES) problems.push(text);
  };
  for (const [table, keyOf] of [
    ['user_profile_wide', (row) => String(row.user_id)],
    ['order_wide', (row) => String(row.order_id)],
    [
      'product_sales_minute',
      (row) => salesRowKey(String(row.product_id), (row.window_start as Date).getTime()),
    ],
  ] as const satisfies ReadonlyArray<readonly [string, (row: Record<string, unknown>) => string]>) {
    const want = expected[table];
    const [rows] = (await conn.query(`SELECT * FROM ${table}`)) as unknown as [
      Array<Record<string, unknown>>,
    ];
    const seen = new Set<string>();
    for (const row of rows) {
      const id = keyOf(row);
      seen.add(id);
      const w = want.get(id);
      if (!w) {
        note(`${table} ${JSON.stringify(id)}: a row no produced event explains`);
        continue;
      }
      const wrong: string[] = [];
      for (const [column, expect] of Object.entries(w.columns)) {
        const got = normalise(column, row[column]);
        const ok = 'one' in expect ? got === expect.one : expect.anyOf.includes(got);
        if (!ok) {
          wrong.push(
            `${column} ${JSON.stringify(got)}, produced input says ${
              'one' in expect ? JSON.stringify(expect.one) : `one of ${JSON.stringify(expect.anyOf)}`
            }`,
          );
        }
      }
      if (wrong.length > 0) note(`${table} ${JSON.stringify(id)}: ${wrong.join('; ')}`);
    }
    for (const id of want.keys()) {
      if (!seen.has(id)) note(`${table} ${JSON.stringify(id)}: no row, though events of it were produced`);
    }
  }
  return problems;
}
