/**
 * The conformance suite's own tables, compiled against beside the registry's (scripts/sql.ts,
 * SqlOptions.tables): the domains' state tables rarely have the merge an aggregate needs, so each
 * merge shape has a table here, its columns generic (k, n, total, v…) so that many cases share it.
 * Only the conformance suite writes them: they are never migrated.
 *
 * conformance_events is the event table every aggregate's types also write (the event row is what
 * merges a state row exactly once); conformance.test.ts adds those statements itself.
 */
import {
  EVENT_COLUMNS,
  idColumn,
  KAFKA_COLUMNS,
  orderKeyColumn,
  STATE_ORDER_COLUMNS,
} from '../../shared/domains/common.ts';
import { bigint, datetime, decimal, defineTable, type Table, varchar } from '../../shared/tables/table.ts';

/** One row per event: what an aggregate's types write so that their state merges once. */
export const conformanceEvents = defineTable({
  name: 'conformance_events',
  columns: { ...EVENT_COLUMNS, seen_type: varchar(64).null(), ...KAFKA_COLUMNS },
  key: ['event_id'],
});

/** Counters and sums (merge 'add'), by one key. */
export const conformanceSums = defineTable({
  name: 'conformance_sums',
  columns: {
    k: idColumn(),
    n: bigint().defaulted(),
    n2: bigint().defaulted(),
    int_total: bigint().defaulted(),
    total: decimal(30, 4).defaulted(),
    total2: decimal(30, 4).defaulted(),
    ...STATE_ORDER_COLUMNS,
  },
  key: ['k'],
  merge: { n: 'add', n2: 'add', int_total: 'add', total: 'add', total2: 'add', last_event_time: 'newest' },
});

/** Counters and sums by two keys (a payload field and a looked-up dimension column). */
export const conformanceSums2 = defineTable({
  name: 'conformance_sums2',
  columns: {
    k: idColumn(),
    k2: varchar(64),
    n: bigint().defaulted(),
    total: decimal(30, 4).defaulted(),
    ...STATE_ORDER_COLUMNS,
  },
  key: ['k', 'k2'],
  merge: { n: 'add', total: 'add', last_event_time: 'newest' },
});

/**
 * Last values never NULL (merge 'newest': the newest event wins), of each column kind: text,
 * DECIMAL, DATETIME. A value that may be NULL merges lastValue (conformance_lasts).
 */
export const conformanceLatestTyped = defineTable({
  name: 'conformance_latest_typed',
  columns: {
    k: idColumn(),
    v: varchar(255).null(),
    amount: decimal(18, 4).null(),
    seen_at: datetime().null(),
    ...STATE_ORDER_COLUMNS,
  },
  key: ['k'],
  merge: { v: 'newest', amount: 'newest', seen_at: 'newest', last_event_time: 'newest' },
});

/** Least and greatest values (merges min, max) of numbers, by one key. */
export const conformanceExtremes = defineTable({
  name: 'conformance_extremes',
  columns: { k: idColumn(), lo: decimal(18, 4).null(), hi: decimal(18, 4).null(), ...STATE_ORDER_COLUMNS },
  key: ['k'],
  merge: { lo: 'min', hi: 'max', last_event_time: 'newest' },
});

/** Least and greatest times (merges min, max), by one key. */
export const conformanceTimes = defineTable({
  name: 'conformance_times',
  columns: { k: idColumn(), lo: datetime().null(), hi: datetime().null(), ...STATE_ORDER_COLUMNS },
  key: ['k'],
  merge: { lo: 'min', hi: 'max', last_event_time: 'newest' },
});

/** FIRST_VALUE (merge firstValue: the oldest non-NULL value, by an order key of its own). */
export const conformanceFirsts = defineTable({
  name: 'conformance_firsts',
  columns: { k: idColumn(), v: varchar(255).null(), v_key: orderKeyColumn(), ...STATE_ORDER_COLUMNS },
  key: ['k'],
  merge: { v: { firstValue: 'v_key' }, last_event_time: 'newest' },
});

/** LAST_VALUE skipping NULLs (merge lastValue: the newest non-NULL value, by an order key of its own). */
export const conformanceLasts = defineTable({
  name: 'conformance_lasts',
  columns: {
    k: idColumn(),
    v: varchar(255).null(),
    v_key: orderKeyColumn(),
    v2: varchar(255).null(),
    v2_key: orderKeyColumn(),
    ...STATE_ORDER_COLUMNS,
  },
  key: ['k'],
  merge: { v: { lastValue: 'v_key' }, v2: { lastValue: 'v2_key' }, last_event_time: 'newest' },
});

/** Counters and sums per time bucket (a minute, an hour: DATETIME(3), UTC) and key. */
export const conformanceBuckets = defineTable({
  name: 'conformance_buckets',
  columns: {
    window_start: datetime(),
    k: idColumn(),
    n: bigint().defaulted(),
    total: decimal(30, 4).defaulted(),
    ...STATE_ORDER_COLUMNS,
  },
  key: ['window_start', 'k'],
  merge: { n: 'add', total: 'add', last_event_time: 'newest' },
});

/** Counters and sums per window (window_start, window_end: DATETIME(3), UTC) and key. */
export const conformanceWindows = defineTable({
  name: 'conformance_windows',
  columns: {
    window_start: datetime(),
    window_end: datetime(),
    k: idColumn(),
    n: bigint().defaulted(),
    total: decimal(30, 4).defaulted(),
    ...STATE_ORDER_COLUMNS,
  },
  key: ['window_start', 'window_end', 'k'],
  merge: { n: 'add', total: 'add', last_event_time: 'newest' },
});

/** Least and greatest values (merges min, max) per window and key. */
export const conformanceWindowExtremes = defineTable({
  name: 'conformance_window_extremes',
  columns: {
    window_start: datetime(),
    window_end: datetime(),
    k: idColumn(),
    lo: decimal(18, 4).null(),
    hi: decimal(18, 4).null(),
    ...STATE_ORDER_COLUMNS,
  },
  key: ['window_start', 'window_end', 'k'],
  merge: { lo: 'min', hi: 'max', last_event_time: 'newest' },
});

export const CONFORMANCE_TABLES: readonly Table[] = [
  conformanceEvents,
  conformanceSums,
  conformanceSums2,
  conformanceLatestTyped,
  conformanceExtremes,
  conformanceTimes,
  conformanceFirsts,
  conformanceLasts,
  conformanceBuckets,
  conformanceWindows,
  conformanceWindowExtremes,
];
