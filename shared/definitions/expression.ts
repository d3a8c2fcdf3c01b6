/**
 * Scalar expressions as plain data: what a SQL expression compiles to when the project builds
 * (sql.compiled.json carries them), and what shared/definitions/evaluate.ts interprets per event.
 * Every node carries its SQL type (shared/definitions/types.ts), inferred and checked when it was
 * built (shared/definitions/typing.ts), so the interpreter never guesses.
 */
import type { SqlType } from './types.ts';

/** The envelope fields an expression reads (SQL: event_id(), event_type(), event_time(), …). */
export type EnvelopeField = 'eventId' | 'type' | 'timestamp' | 'version' | 'source' | 'domain';

export type Expr =
  /** A payload value: field names, and 0-based array indexes (SQL `e.items[1]` is index 0). */
  | { op: 'field'; path: Array<string | number>; t: SqlType }
  | { op: 'envelope'; field: EnvelopeField; t: SqlType }
  /** A column of a joined dimension row (NULL when the row is missing). */
  | { op: 'dimension'; dimension: string; column: string; t: SqlType }
  /**
   * A constant. Numbers are kept as their text (`'12.50'`), so decimals stay exact; a TIMESTAMP as
   * its epoch milliseconds in text.
   */
  | { op: 'literal'; value: string | boolean | null; t: SqlType }
  /** Everything else: an operator or function (evaluate.ts, OPERATIONS) applied to its arguments. */
  | { op: 'call'; fn: string; args: Expr[]; t: SqlType };

/** An element of a structured value: `e.items[1]` (0-based here), `e.attributes['color']`. */
export type PathPart = string | number;
