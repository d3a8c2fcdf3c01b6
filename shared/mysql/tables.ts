/**
 * The tables lambda-realtime writes, as the sink needs them: columns, key, and how a row merges
 * into an existing one (the ON DUPLICATE KEY UPDATE assignments). Identifiers live only here, in
 * code; values always travel as parameters. The DDL is in db/migrations.
 *
 * MySQL evaluates ON DUPLICATE KEY UPDATE assignments left to right, each seeing the columns
 * already updated, so a column that others compare against is assigned after them.
 * `VALUES(col)` (not the MySQL-only row alias) keeps the SQL valid on MariaDB too.
 */

export type SqlValue = string | number | bigint | boolean | Date | Buffer | null;
export type Row = Record<string, SqlValue>;

export interface TableSpec {
  name: string;
  columns: readonly string[];
  /** Primary key columns. */
  key: readonly string[];
  /** ON DUPLICATE KEY UPDATE assignments. */
  merge: string;
}

const KAFKA_COLUMNS = ['kafka_topic', 'kafka_partition', 'kafka_offset'] as const;
const EVENT_COLUMNS = ['event_id', 'event_type', 'event_time', 'event_version', 'source'] as const;
const USER_DIMENSIONS = ['user_name', 'user_level', 'region'] as const;
const PRODUCT_DIMENSIONS = ['product_name', 'category', 'brand'] as const;

/** Event rows are written once: a replay changes nothing. */
const WRITE_ONCE = 'event_id = event_id';

function eventTable(name: string, columns: readonly string[]): TableSpec {
  return {
    name,
    columns: [...EVENT_COLUMNS, ...columns, ...KAFKA_COLUMNS],
    key: ['event_id'],
    merge: WRITE_ONCE,
  };
}

export const userEventWide = eventTable('user_event_wide', [
  'user_id',
  'login_time',
  'device',
  'ip',
  'order_id',
  'product_id',
  'amount',
  'currency',
  'page',
  'duration_ms',
  ...USER_DIMENSIONS,
  ...PRODUCT_DIMENSIONS,
]);

export const orderEventWide = eventTable('order_event_wide', [
  'order_id',
  'user_id',
  'product_id',
  'quantity',
  'amount',
  'pay_method',
  'pay_time',
  'cancel_reason',
  ...USER_DIMENSIONS,
  ...PRODUCT_DIMENSIONS,
]);

export const productEventWide = eventTable('product_event_wide', [
  'product_id',
  'user_id',
  'referrer',
  'keyword',
  'result_count',
  'scene',
  'recommended_product_ids',
  ...PRODUCT_DIMENSIONS,
  ...USER_DIMENSIONS,
]);

/** The incoming row is newer than the stored state (last_event_key orders events). */
const NEWER = 'VALUES(last_event_key) > last_event_key';
const newest = (column: string) => `${column} = IF(${NEWER}, VALUES(${column}), ${column})`;
/**
 * Columns set by one event type, kept from the newest such event: `key` is that event's order key
 * (eventOrderKey of its time, version and id; '' in rows of other types), assigned last.
 */
const newestBy = (key: string, columns: readonly string[]) =>
  [...columns, key].map((column) => `${column} = IF(VALUES(${key}) > ${key}, VALUES(${column}), ${column})`);
const STATE_TAIL = [newest('last_event_time'), newest('last_event_key')];

export const orderWide: TableSpec = {
  name: 'order_wide',
  columns: [
    'order_id',
    'user_id',
    'product_id',
    'quantity',
    'amount',
    'paid_amount',
    'pay_method',
    'status',
    'created_at',
    'created_key',
    'paid_at',
    'paid_key',
    'cancelled_at',
    'cancelled_key',
    'cancel_reason',
    ...USER_DIMENSIONS,
    ...PRODUCT_DIMENSIONS,
    'last_event_time',
    'last_event_key',
  ],
  key: ['order_id'],
  merge: [
    `user_id = IF(${NEWER} OR user_id IS NULL, VALUES(user_id), user_id)`,
    ...USER_DIMENSIONS.map(newest),
    ...newestBy('created_key', ['product_id', 'quantity', 'amount', 'created_at', ...PRODUCT_DIMENSIONS]),
    ...newestBy('paid_key', ['paid_amount', 'pay_method', 'paid_at']),
    ...newestBy('cancelled_key', ['cancel_reason', 'cancelled_at']),
    newest('status'),
    ...STATE_TAIL,
  ].join(', '),
};

export const userProfileWide: TableSpec = {
  name: 'user_profile_wide',
  columns: [
    'user_id',
    'login_count',
    'view_count',
    'purchase_count',
    'purchase_amount',
    'last_login_at',
    'last_login_key',
    'last_device',
    ...USER_DIMENSIONS,
    'last_event_time',
    'last_event_key',
  ],
  key: ['user_id'],
  merge: [
    // Counters add the deltas of events applied for the first time (see sink.ts).
    'login_count = login_count + VALUES(login_count)',
    'view_count = view_count + VALUES(view_count)',
    'purchase_count = purchase_count + VALUES(purchase_count)',
    'purchase_amount = purchase_amount + VALUES(purchase_amount)',
    ...newestBy('last_login_key', ['last_device', 'last_login_at']),
    ...USER_DIMENSIONS.map(newest),
    ...STATE_TAIL,
  ].join(', '),
};

export const eventDeadLetter: TableSpec = {
  name: 'event_dead_letter',
  columns: [
    ...KAFKA_COLUMNS,
    'record_timestamp',
    'record_key',
    'record_value',
    'headers',
    'reason',
    'error_message',
    'event_id',
    'function_domain',
  ],
  key: [...KAFKA_COLUMNS],
  merge: 'id = id',
};

/**
 * Orders events for "newest wins": event time, then payload version, then event id, as one string
 * that compares correctly byte by byte (the column has a binary collation).
 */
export function eventOrderKey(timestamp: number, version: string, eventId: string): string {
  const [major = '0', minor = '0'] = version.split('.');
  return `${String(timestamp).padStart(15, '0')}|${major.padStart(4, '0')}.${minor.padStart(4, '0')}|${eventId}`;
}
