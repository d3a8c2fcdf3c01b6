/**
 * The interpreter of compiled expressions (expression.ts), small enough for every Lambda bundle: an
 * expression is turned once, when its processor is defined, into a tree of closures, then evaluated
 * per event. No `eval`, no `new Function`; constants (literals, LIKE patterns, regular expressions,
 * date formats, JSON paths) are prepared once.
 *
 * Semantics are Flink SQL's, with the differences docs/sql.md lists: NULL propagates through
 * operators and functions, AND/OR/NOT use three-valued logic, decimals are exact (HALF_UP), and a
 * value that cannot be computed — a division by zero, a CAST of text that is no number, a DECIMAL
 * that overflows its precision — is NULL rather than a failed job. Nothing here reads a clock or a
 * random source: a replayed event computes the same row.
 *
 * Here: compiling an expression, the logical operators, IN, CASE, COALESCE, NULLIF and CAST's
 * dispatch, and a value as a sink column holds it. The function families are in evaluate/, by job:
 * values.ts (a value, its context, reading external values), numbers.ts (arithmetic, comparison),
 * strings.ts, time.ts, json.ts, cast.ts.
 */
import { formatDecimal, pow10 } from './decimal.ts';
import { caster } from './evaluate/cast.ts';
import { JSON_OPERATIONS } from './evaluate/json.ts';
import { comparer, NUMERIC_OPERATIONS } from './evaluate/numbers.ts';
import { STRING_OPERATIONS } from './evaluate/strings.ts';
import { TIME_OPERATIONS, TIMESTAMP_TEXT } from './evaluate/time.ts';
import {
  type Evaluator,
  fromExternal,
  literalValue,
  type Operation,
  readPath,
  type Value,
} from './evaluate/values.ts';
import type { Expr } from './expression.ts';
import { type SqlType, scaleOf } from './types.ts';

export { caster } from './evaluate/cast.ts';
export type { EvaluationContext, Evaluator } from './evaluate/values.ts';

/** Prepares an expression for evaluation. */
export function compileExpression(expr: Expr): Evaluator {
  switch (expr.op) {
    case 'literal': {
      const value = literalValue(expr.value, expr.t);
      return () => value;
    }
    case 'field': {
      const { path, t } = expr;
      return ({ event }) => fromExternal(readPath(event.payload, path), t);
    }
    case 'envelope': {
      const { field, t } = expr;
      return ({ event }) => fromExternal(event[field], t);
    }
    case 'dimension': {
      const { dimension, column, t } = expr;
      return (context) => fromExternal(context.dimension(dimension, column), t);
    }
    case 'call': {
      const operation = OPERATIONS[expr.fn];
      if (!operation) throw new Error(`unknown operation ${expr.fn} in a compiled expression`);
      return operation(expr.args.map(compileExpression), expr, expr.args);
    }
  }
}

const isNull = (v: Value) => v === null;

/**
 * Every operation a compiled call names: logic, IN, CASE, COALESCE, NULLIF, CAST and the families'
 * (long because it is a table: one short entry per operation).
 */
const OPERATIONS: Record<string, Operation> = {
  ...NUMERIC_OPERATIONS,
  and: (args) => (context) => {
    let unknown = false;
    for (const arg of args) {
      const v = arg(context);
      if (v === false) return false;
      if (v === null) unknown = true;
    }
    return unknown ? null : true;
  },
  or: (args) => (context) => {
    let unknown = false;
    for (const arg of args) {
      const v = arg(context);
      if (v === true) return true;
      if (v === null) unknown = true;
    }
    return unknown ? null : false;
  },
  not:
    ([a]) =>
    (context) => {
      const v = a!(context);
      return v === null ? null : !v;
    },
  isNull:
    ([a]) =>
    (context) =>
      isNull(a!(context)),
  isNotNull:
    ([a]) =>
    (context) =>
      !isNull(a!(context)),
  isTrue:
    ([a]) =>
    (context) =>
      a!(context) === true,
  isFalse:
    ([a]) =>
    (context) =>
      a!(context) === false,
  isNotTrue:
    ([a]) =>
    (context) =>
      a!(context) !== true,
  isNotFalse:
    ([a]) =>
    (context) =>
      a!(context) !== false,
  /** x IN (v1, v2, …): TRUE on a match, else NULL when x or a value is NULL, else FALSE. */
  in: ([a, ...list], _node, [x, ...values]) => {
    const compares = values.map((v) => comparer(x!.t, v.t));
    return (context) => {
      const l = a!(context);
      if (l === null) return null;
      let unknown = false;
      for (const [i, item] of list.entries()) {
        const r = item(context);
        if (r === null) unknown = true;
        else if (compares[i]!(l, r) === 0) return true;
      }
      return unknown ? null : false;
    };
  },
  /** searched CASE: [when1, then1, when2, then2, …, else] */
  case: (args) => {
    const otherwise = args.length % 2 === 1 ? args.at(-1)! : () => null;
    const branches: Array<[Evaluator, Evaluator]> = [];
    for (let i = 0; i + 1 < args.length; i += 2) branches.push([args[i]!, args[i + 1]!]);
    return (context) => {
      for (const [when, then] of branches) if (when(context) === true) return then(context);
      return otherwise(context);
    };
  },
  coalesce: (args) => (context) => {
    for (const arg of args) {
      const v = arg(context);
      if (v !== null) return v;
    }
    return null;
  },
  nullif: ([a, b], _node, [x, y]) => {
    const compare = comparer(x!.t, y!.t);
    return (context) => {
      const l = a!(context);
      if (l === null) return null;
      const r = b!(context);
      return r !== null && compare(l, r) === 0 ? null : l;
    };
  },
  /** A value converted to the node's type (the argument's type may differ: CAST, implicit widening). */
  cast: ([a], node, [x]) => {
    const convert = caster(x!.t, node.t);
    return (context) => {
      const v = a!(context);
      return v === null ? null : convert(v);
    };
  },
  ...STRING_OPERATIONS,
  ...TIME_OPERATIONS,
  ...JSON_OPERATIONS,
};

// ---------------------------------------------------------------------------- into columns

/**
 * A value of type `t` as the sink writes it into a column of `kind` (checked compatible when the
 * definition compiled): decimals as exact text, integers as numbers (bigint beyond 2^53), times as
 * Dates, JSON as its text.
 */
export function toColumnValue(
  v: Value,
  t: SqlType,
  kind: string,
  options: { jsonText?: boolean } = {},
): string | number | bigint | boolean | Date | null {
  if (v === null) return null;
  switch (kind) {
    case 'datetime':
      return new Date(v as number);
    case 'decimal':
      return t.type === 'DOUBLE' ? String(v) : formatDecimal(v as bigint, scaleOf(t));
    case 'int':
    case 'bigint': {
      const n = typeof v === 'bigint' ? v / pow10(scaleOf(t)) : BigInt(Math.trunc(v as number));
      return n >= -(2n ** 53n) && n <= 2n ** 53n ? Number(n) : n;
    }
    case 'json':
      if (options.jsonText && typeof v === 'string') return v;
      return jsonText(v, t);
    default:
      return v as string;
  }
}

function jsonText(v: Value, t: SqlType): string {
  switch (t.type) {
    case 'INT':
    case 'BIGINT':
    case 'DECIMAL':
      return formatDecimal(v as bigint, scaleOf(t));
    case 'DOUBLE':
      return Number.isFinite(v as number) ? String(v) : 'null';
    case 'TIMESTAMP':
      return JSON.stringify(TIMESTAMP_TEXT(v as number));
    default:
      return JSON.stringify(v);
  }
}
