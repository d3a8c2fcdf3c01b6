/**
 * The intermediate form of declared processors: which event values feed which columns, which
 * dimension rows are joined, and how state rows aggregate. Both front ends translate into it — the
 * object form (shared/pipeline/declarative.ts) and the SQL form (shared/pipeline/sql.ts) — and
 * check.ts checks it, once, for both. It is plain data: sql.compiled.json carries it, and
 * shared/pipeline/declarative.ts compiles it into processors.
 */
import type { EnvelopeField, Expr } from './expression.ts';
import type { Window, WindowBound } from './window.ts';

/** A value of the event. */
export type Source =
  /** A payload field, by path: `productId`, `address.city`. */
  | { payload: string }
  /** An envelope field. */
  | { event: EnvelopeField }
  /** A column of a joined dimension row (NULL when a left join found no row). */
  | { dimension: string; column: string }
  /** A constant. A string into a JSON column is the JSON text it spells. */
  | { literal: string | number | null }
  /**
   * A typed scalar expression (expression.ts), evaluated per event. `nullable`: whether it may be
   * NULL, as the front end inferred it (typing.ts); without it check.ts infers it from the tree.
   */
  | { expr: Expr; nullable?: boolean }
  /** The start or end of the event's window (a state key column of a windowed mapping, window.ts). */
  | { window: WindowBound };

/**
 * A lookup join of a dimension table on a payload field. A left join (the default) gives NULL
 * columns when the dimension has no row for the key; an inner join (`inner: true`, SQL `JOIN`)
 * writes no row for the event — into that table only, the event's other rows are written.
 */
export interface Join {
  /** The dimension's name (shared/domains/dimensions.ts). */
  dimension: string;
  /** The payload field holding the dimension's key. */
  on: string;
  inner?: boolean;
}

/** One event type's row in an event table. A type may have rows in several event tables. */
export interface EventMapping {
  /** The event type. */
  type: string;
  /** The event table (keyed by event_id). */
  into: string;
  joins: Join[];
  /** Columns other than the standard ones, each from a source. */
  columns: Record<string, Source>;
  /**
   * A condition (BOOLEAN) on the event and its dimension rows (SQL: WHERE): an event it does not
   * hold for (FALSE or NULL) writes no row to this table.
   */
  where?: Expr;
}

/**
 * An aggregate of a state table's column over the events of a key. `when` limits it to some event
 * types (SQL: `FILTER (WHERE type = '…')`), `filter` to the events a condition holds for (SQL:
 * `FILTER (WHERE <condition>)`, TRUE only); without them every event of the mapping counts. Each is
 * a merge of the column (shared/tables/table.ts), applied once per event (shared/sink/sink.ts).
 */
export type Aggregate = {
  when?: string[];
  filter?: Expr;
} /** COUNT(*) (`true`) or COUNT(value), which counts the events whose value is not NULL (merge `add`). */ & (
  | { count: true | Source }
  /** SUM(value): a sum column (merge `add`); a NULL adds nothing. */
  | { sum: Source }
  /** MIN(value) / MAX(value): the least / greatest non-NULL value (merge `min` / `max`). */
  | { min: Source }
  | { max: Source }
  /**
   * LAST_VALUE(value): the value of the newest event (event time, version, id) whose value is not
   * NULL, as Flink's LAST_VALUE skips NULLs — merge `lastValue` (the column's own order key). A
   * value that is never NULL may also merge `newest` (unfiltered) or `newestBy` a shared key.
   */
  | { last: Source }
  /** FIRST_VALUE(value): the oldest event's non-NULL value (merge `firstValue`). */
  | { first: Source }
);

/** The kinds of aggregate, as mapping keys. */
export const AGGREGATE_KINDS = ['count', 'sum', 'min', 'max', 'last', 'first'] as const;

/** Each kind's SQL name. */
export const AGGREGATE_SQL = {
  count: 'COUNT',
  sum: 'SUM',
  min: 'MIN',
  max: 'MAX',
  last: 'LAST_VALUE',
  first: 'FIRST_VALUE',
} as const;

/** An aggregate's kind and value (undefined for COUNT(*)). */
export function aggregateValue(a: Aggregate): {
  kind: (typeof AGGREGATE_KINDS)[number];
  value: Source | undefined;
} {
  for (const kind of AGGREGATE_KINDS) {
    if (kind in a) {
      const value = (a as Record<string, unknown>)[kind];
      return { kind, value: value === true ? undefined : (value as Source) };
    }
  }
  throw new Error(`not an aggregate: ${JSON.stringify(a)}`);
}

/** A state table aggregated over events, grouped by its key (SQL: INSERT … SELECT … GROUP BY). */
export interface StateMapping {
  /** The state table. */
  into: string;
  /** The event types aggregated (SQL: `FROM <type>` or `WHERE type IN (…)`). */
  types: string[];
  joins: Join[];
  /** Key columns (the GROUP BY), each from a source. */
  key: Record<string, Source>;
  /** Aggregated columns. */
  columns: Record<string, Aggregate>;
  /**
   * A condition on the event's values (SQL: WHERE, beside the type filter): an event it does not
   * hold for (FALSE or NULL) merges nothing into this table.
   */
  where?: Expr;
  /**
   * A window table function (SQL: `FROM TABLE(TUMBLE(…))`, HOP, CUMULATE; window.ts): the event
   * merges once into each window holding its time, the key's `{ window }` columns naming the window.
   */
  window?: Window;
}

export type Mapping = EventMapping | StateMapping;

export const isStateMapping = (m: Mapping): m is StateMapping => 'types' in m;

/** A mapping's condition, if any: a WHERE, or an inner join (the event may write no row). */
export const isConditional = (m: EventMapping): boolean =>
  m.where !== undefined || m.joins.some((j) => j.inner === true);
