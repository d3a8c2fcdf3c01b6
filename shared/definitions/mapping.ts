/**
 * The intermediate form of declared processors: which event values feed which columns, which
 * dimension rows are joined, and how state rows aggregate. Both front ends translate into it — the
 * object form (shared/pipeline/declarative.ts) and the SQL form (shared/pipeline/sql.ts) — and
 * check.ts checks it, once, for both. It is plain data: sql.compiled.json carries it, and
 * shared/pipeline/declarative.ts compiles it into processors.
 */
import type { EnvelopeField, Expr } from './expression.ts';

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
  | { expr: Expr; nullable?: boolean };

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
 * types (SQL: `FILTER (WHERE type = '…')`); without it every event of the mapping counts.
 */
export type Aggregate =
  /** COUNT(*): a counter column (merge `add`). */
  | { count: true; when?: string[] }
  /** SUM(value): a sum column (merge `add`). */
  | { sum: Source; when?: string[] }
  /**
   * LAST_VALUE(value): the value of the newest event (event time, version, id). Without `when`
   * the column merges `newest`; with it, `newestBy` the order-key column of those types.
   */
  | { last: Source; when?: string[] };

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
}

export type Mapping = EventMapping | StateMapping;

export const isStateMapping = (m: Mapping): m is StateMapping => 'types' in m;

/** A mapping's condition, if any: a WHERE, or an inner join (the event may write no row). */
export const isConditional = (m: EventMapping): boolean =>
  m.where !== undefined || m.joins.some((j) => j.inner === true);
