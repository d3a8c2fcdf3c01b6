/**
 * The conformance suite's own tables, compiled against beside the registry's (scripts/sql.ts,
 * SqlOptions.tables): the domains' state tables rarely have the merge an aggregate needs, so each
 * merge shape has a table here, its columns generic (k, n, total, v…) so that many cases share it.
 * Only the conformance suite writes them: they are never migrated.
 *
 * conformance_events is the event table every aggregate's types also write (the event row is what
 * merges a state row exactly once); conformance.test.ts adds those statements itself.
 */
import { EVENT_COLUMNS, idColumn, KAFKA_COLUMNS, STATE_ORDER_COLUMNS } from '../../shared/domains/common.ts';
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
 * Last values (merge 'newest': the newest event wins), by one key. Every column merged newest must
 * be selected, so each shape of LAST_VALUE statement has its table.
 */
export const conformanceLatest = defineTable({
  name: 'conformance_latest',
  columns: { k: idColumn(), v: varchar(255).null(), v2: varchar(255).null(), ...STATE_ORDER_COLUMNS },
  key: ['k'],
  merge: { v: 'newest', v2: 'newest', last_event_time: 'newest' },
});

/** Last values of each column kind: text, DECIMAL, DATETIME. */
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

export const CONFORMANCE_TABLES: readonly Table[] = [
  conformanceEvents,
  conformanceSums,
  conformanceSums2,
  conformanceLatest,
  conformanceLatestTyped,
];
