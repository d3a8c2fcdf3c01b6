/**
 * What the interpreter of compiled expressions (../evaluate.ts) works with: a value while an event
 * is evaluated, the context it reads, an Operation (one function of a compiled call), and how a
 * constant, a payload, envelope or dimension value becomes a value of its SQL type.
 */
import type { BusinessEvent } from '../../events/business-event.ts';
import { decimalOfDouble, parseDecimal, pow10 } from '../decimal.ts';
import type { Expr } from '../expression.ts';
import { type SqlType, scaleOf } from '../types.ts';

/** A value while an event is evaluated (types.ts lists which JavaScript value each type is). */
export type Value = string | boolean | bigint | number | null | object;

/** What an expression reads: the event, and a joined dimension row's column. */
export interface EvaluationContext {
  event: BusinessEvent<Record<string, unknown>>;
  dimension(name: string, column: string): unknown;
}

export type Evaluator = (context: EvaluationContext) => Value;

/** One operation of a compiled call, prepared from its arguments' evaluators, its node and its argument expressions. */
export type Operation = (args: Evaluator[], node: Extract<Expr, { op: 'call' }>, exprs: Expr[]) => Evaluator;

/** A constant, as its type holds it. */
export function literalValue(value: string | boolean | null, t: SqlType): Value {
  if (value === null) return null;
  if (typeof value === 'boolean') return value;
  switch (t.type) {
    case 'INT':
    case 'BIGINT':
    case 'DECIMAL':
      return parseDecimal(value, scaleOf(t)) ?? null;
    case 'DOUBLE':
    case 'TIMESTAMP':
      return Number(value);
    default:
      return value;
  }
}

/** The value at a path of names and 0-based indexes; undefined when there is none. */
export function readPath(root: unknown, path: ReadonlyArray<string | number>): unknown {
  let value = root;
  for (const part of path) {
    if (typeof part === 'number') {
      if (!Array.isArray(value) || part < 0 || part >= value.length) return undefined;
      value = value[part];
    } else {
      if (value === null || typeof value !== 'object' || Array.isArray(value) || !Object.hasOwn(value, part))
        return undefined;
      value = (value as Record<string, unknown>)[part];
    }
  }
  return value;
}

/** A payload, envelope or dimension value as its SQL type holds it (NULL when it is not one). */
export function fromExternal(value: unknown, t: SqlType): Value {
  if (value === undefined || value === null) return null;
  switch (t.type) {
    case 'STRING':
      return typeof value === 'string' ? value : null;
    case 'BOOLEAN':
      return typeof value === 'boolean' ? value : null;
    case 'INT':
    case 'BIGINT':
    case 'DECIMAL': {
      if (typeof value === 'bigint') return value * pow10(scaleOf(t));
      if (typeof value === 'number') return decimalOfDouble(value, scaleOf(t)) ?? null;
      if (typeof value === 'string') return parseDecimal(value, scaleOf(t)) ?? null;
      return null;
    }
    case 'DOUBLE':
      return typeof value === 'number' ? value : typeof value === 'string' ? Number(value) : null;
    case 'TIMESTAMP':
      if (value instanceof Date) return value.getTime();
      return typeof value === 'number' ? value : null;
    default:
      return value as Value;
  }
}

/** The constant an argument expression is, if it is one (prepared once). */
export const constant = (expr: Expr | undefined): Value | undefined =>
  expr?.op === 'literal' ? literalValue(expr.value, expr.t) : undefined;

/** A function of its arguments that is NULL when any of them is. */
export function strict(f: (...values: Value[]) => Value): Operation {
  return (args) => (context) => {
    const values: Value[] = [];
    for (const arg of args) {
      const v = arg(context);
      if (v === null) return null;
      values.push(v);
    }
    return f(...values);
  };
}
