/**
 * A conformance case: a Flink SQL statement run by this project (`npm run sql -- run`'s code)
 * and by Apache Flink 1.20 (scripts/flink) on the same events and dimension rows
 * (fixtures/events.jsonl, fixtures/dimensions.json), their rows compared. Into an event table the
 * rows are compared as multisets; into a state table (GROUP BY, windows) the project's rows after
 * its merges are compared row by row with Flink's final row per key (its changelog applied).
 *
 * A case is the same statement on both sides unless it says otherwise:
 * - `flink`: the statement Flink runs instead, where the dialects differ on purpose (docs/sql.md,
 *   "From Flink SQL"); `why` says which difference.
 * - `extraFlinkRows`: rows Flink writes that the project absorbs (a redelivered event id).
 * - `differs`: state rows that differ on purpose (`why` says which documented difference): the
 *   row with `key`'s values, its listed columns as each side has them (`null` instead of the
 *   columns: the side has no such row). Every other row must be equal.
 * - `refused`: the project refuses the statement (the message must match) while Flink accepts
 *   it (`flinkSink` declares its sink's columns): the support table's "refused" rows, checked.
 * - `flinkTypes`: a sink column's Flink type where the project's column kind has no Flink twin
 *   (a JSON column takes an ARRAY).
 */
export interface Case {
  id: string;
  /** What docs/sql.md's support table row it exercises. */
  construct: string;
  sql: string;
  flink?: string;
  why?: string;
  extraFlinkRows?: number;
  differs?: Difference[];
  refused?: RegExp;
  flinkSink?: string;
  flinkTypes?: Record<string, string>;
}

type Values = Record<string, unknown>;

/** A state row as each side has it, where they differ on purpose (null: no such row). */
export interface Difference {
  key: Values;
  project: Values | null;
  flink: Values | null;
}

export const VIEW_PRODUCT = `FROM product_view e
LEFT JOIN dim_product FOR SYSTEM_TIME AS OF e.proc_time AS p ON p.product_id = e.productId`;
export const PAY_TS = 'TO_TIMESTAMP_LTZ(e.payTime, 3)';

/** Why a statement over `FROM events e` runs as a UNION ALL on Flink's side. */
export const EVENTS_WHY =
  'FROM events e WHERE type IN (…) reads several types here; the Flink job unions its source tables';
