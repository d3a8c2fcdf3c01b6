/**
 * The SQL types of definition-time expressions (Flink SQL's names), and how a value of each is
 * held while an event is evaluated (shared/definitions/evaluate.ts):
 *
 *   STRING / VARCHAR(n)   string (n: its most characters, when known)
 *   BOOLEAN               boolean
 *   INT, BIGINT           bigint — exact, never wraps around
 *   DECIMAL(p, s)         bigint, the value × 10^s — exact; money never touches binary floating point
 *   DOUBLE                number
 *   TIMESTAMP(3)          number, epoch milliseconds (the session time zone is UTC, so Flink's
 *                         TIMESTAMP(3) and TIMESTAMP_LTZ(3) are one type here)
 *   ARRAY<t>              the payload's array, as decoded
 *   ANY                   a structured payload value (object, map) or one whose schema does not say
 *   NULL                  the type of the NULL literal
 *
 * Types are plain data: they travel in sql.compiled.json with the expressions that carry them.
 */
import type { Column } from '../tables/table.ts';

export type SqlType =
  | { type: 'STRING'; length?: number }
  | { type: 'BOOLEAN' }
  | { type: 'INT' }
  | { type: 'BIGINT' }
  | { type: 'DECIMAL'; precision: number; scale: number }
  | { type: 'DOUBLE' }
  | { type: 'TIMESTAMP' }
  | { type: 'ARRAY'; element: SqlType }
  | { type: 'ANY' }
  | { type: 'NULL' };

export type TypeName = SqlType['type'];

export const STRING: SqlType = { type: 'STRING' };
export const BOOLEAN: SqlType = { type: 'BOOLEAN' };
export const INT: SqlType = { type: 'INT' };
export const BIGINT: SqlType = { type: 'BIGINT' };
export const DOUBLE: SqlType = { type: 'DOUBLE' };
export const TIMESTAMP: SqlType = { type: 'TIMESTAMP' };
export const ANY: SqlType = { type: 'ANY' };
export const NULL: SqlType = { type: 'NULL' };
export const decimalType = (precision: number, scale: number): SqlType => ({
  type: 'DECIMAL',
  precision,
  scale,
});
export const stringType = (length?: number): SqlType =>
  length === undefined ? STRING : { type: 'STRING', length };

/** The largest DECIMAL precision (Flink's, and MySQL's 65 is larger). */
export const MAX_PRECISION = 38;

/** How a type reads in messages: `VARCHAR(64)`, `DECIMAL(18, 4)`, `ARRAY<STRING>`. */
export function showType(t: SqlType): string {
  switch (t.type) {
    case 'STRING':
      return t.length === undefined ? 'STRING' : `VARCHAR(${t.length})`;
    case 'DECIMAL':
      return `DECIMAL(${t.precision}, ${t.scale})`;
    case 'TIMESTAMP':
      return 'TIMESTAMP(3)';
    case 'ARRAY':
      return `ARRAY<${showType(t.element)}>`;
    case 'ANY':
      return 'a structured value';
    default:
      return t.type;
  }
}

export const isNumeric = (t: SqlType) =>
  t.type === 'INT' || t.type === 'BIGINT' || t.type === 'DECIMAL' || t.type === 'DOUBLE';
export const isExactNumeric = (t: SqlType) => t.type === 'INT' || t.type === 'BIGINT' || t.type === 'DECIMAL';

/** An exact numeric type as the DECIMAL it is: INT is DECIMAL(10, 0), BIGINT DECIMAL(19, 0). */
export function asDecimal(t: SqlType): { precision: number; scale: number } {
  if (t.type === 'INT') return { precision: 10, scale: 0 };
  if (t.type === 'BIGINT') return { precision: 19, scale: 0 };
  if (t.type === 'DECIMAL') return { precision: t.precision, scale: t.scale };
  throw new Error(`not an exact numeric type: ${showType(t)}`);
}

/** The scale of an exact numeric value's representation (0 for INT and BIGINT). */
export const scaleOf = (t: SqlType) => (t.type === 'DECIMAL' ? t.scale : 0);

/** Flink's rule when a DECIMAL result would exceed 38 digits: keep the integer digits, at least 6 of scale. */
export function boundedDecimal(precision: number, scale: number): SqlType {
  if (precision <= MAX_PRECISION) return decimalType(precision, scale);
  const integerDigits = precision - scale;
  const minScale = Math.min(scale, 6);
  const s = Math.max(MAX_PRECISION - integerDigits, minScale);
  return decimalType(MAX_PRECISION, s);
}

/**
 * The type two values meet in (CASE branches, COALESCE, comparisons), or undefined when they do
 * not: numbers widen (INT → BIGINT → DECIMAL → DOUBLE), strings take the longer bound, NULL meets
 * anything.
 */
export function commonType(a: SqlType, b: SqlType): SqlType | undefined {
  if (a.type === 'NULL') return b;
  if (b.type === 'NULL') return a;
  if (a.type === 'STRING' && b.type === 'STRING') {
    return a.length === undefined || b.length === undefined
      ? STRING
      : stringType(Math.max(a.length, b.length));
  }
  if (isNumeric(a) && isNumeric(b)) {
    if (a.type === 'DOUBLE' || b.type === 'DOUBLE') return DOUBLE;
    if (a.type === 'DECIMAL' || b.type === 'DECIMAL') {
      const x = asDecimal(a);
      const y = asDecimal(b);
      const scale = Math.max(x.scale, y.scale);
      return boundedDecimal(Math.max(x.precision - x.scale, y.precision - y.scale) + scale, scale);
    }
    return a.type === 'BIGINT' || b.type === 'BIGINT' ? BIGINT : INT;
  }
  if (a.type === 'ARRAY' && b.type === 'ARRAY') {
    const element = commonType(a.element, b.element);
    return element && { type: 'ARRAY', element };
  }
  if (a.type === b.type) return a;
  return undefined;
}

/** The SQL type of a table column (a dimension column read, or a column written). */
export function columnType(column: Pick<Column, 'kind' | 'sqlType'>): SqlType | undefined {
  const size = /\((\d+)(?:,\s*(\d+))?\)/.exec(column.sqlType);
  switch (column.kind) {
    case 'string':
      return /^(varchar|char)\(/.test(column.sqlType) && size ? stringType(Number(size[1])) : STRING;
    case 'int':
      return INT;
    case 'bigint':
      return BIGINT;
    case 'decimal':
      return decimalType(Number(size?.[1] ?? 10), Number(size?.[2] ?? 0));
    case 'datetime':
      return TIMESTAMP;
    case 'json':
      return ANY;
    default:
      return undefined;
  }
}
