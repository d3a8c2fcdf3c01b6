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
 */
import type { BusinessEvent } from '../events/business-event.ts';
import {
  decimalOfDouble,
  divideHalfUp,
  fitsPrecision,
  formatDecimal,
  parseDecimal,
  pow10,
  rescale,
} from './decimal.ts';
import type { Expr } from './expression.ts';
import { asDecimal, isExactNumeric, type SqlType, scaleOf } from './types.ts';

/** A value while an event is evaluated (types.ts lists which JavaScript value each type is). */
export type Value = string | boolean | bigint | number | null | object;

/** What an expression reads: the event, and a joined dimension row's column. */
export interface EvaluationContext {
  event: BusinessEvent<Record<string, unknown>>;
  dimension(name: string, column: string): unknown;
}

export type Evaluator = (context: EvaluationContext) => Value;

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

function readPath(root: unknown, path: ReadonlyArray<string | number>): unknown {
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

// ---------------------------------------------------------------------------- operations

type Operation = (args: Evaluator[], node: Extract<Expr, { op: 'call' }>, exprs: Expr[]) => Evaluator;

const isNull = (v: Value) => v === null;

/** The constant an argument expression is, if it is one (prepared once). */
const constant = (expr: Expr | undefined): Value | undefined =>
  expr?.op === 'literal' ? literalValue(expr.value, expr.t) : undefined;

/** An exact numeric value moved to `scale`; a DOUBLE as a double. */
const exact = (v: Value, from: SqlType, scale: number): bigint => rescale(v as bigint, scaleOf(from), scale);
const toDouble = (v: Value, t: SqlType): number =>
  t.type === 'DOUBLE' || t.type === 'TIMESTAMP'
    ? (v as number)
    : Number(formatDecimal(v as bigint, scaleOf(t)));

/** Result of an exact operation checked against the result type's precision (NULL beyond it). */
const bounded = (units: bigint, t: SqlType): Value =>
  t.type === 'DECIMAL' && !fitsPrecision(units, t.precision) ? null : units;

function arithmetic(kind: 'add' | 'sub' | 'mul' | 'div' | 'mod'): Operation {
  return ([a, b], node, [x, y]) => {
    const t = node.t;
    const xt = x!.t;
    const yt = y!.t;
    if (t.type === 'DOUBLE') {
      return (context) => {
        const l = a!(context);
        if (l === null) return null;
        const r = b!(context);
        if (r === null) return null;
        const p = toDouble(l, xt);
        const q = toDouble(r, yt);
        if ((kind === 'div' || kind === 'mod') && q === 0) return null;
        const result =
          kind === 'add'
            ? p + q
            : kind === 'sub'
              ? p - q
              : kind === 'mul'
                ? p * q
                : kind === 'div'
                  ? p / q
                  : p % q;
        return Number.isFinite(result) ? result : null;
      };
    }
    const scale = scaleOf(t);
    return (context) => {
      const l = a!(context);
      if (l === null) return null;
      const r = b!(context);
      if (r === null) return null;
      switch (kind) {
        case 'add':
          return bounded(exact(l, xt, scale) + exact(r, yt, scale), t);
        case 'sub':
          return bounded(exact(l, xt, scale) - exact(r, yt, scale), t);
        case 'mul':
          // (l × 10^sx) × (r × 10^sy) = product × 10^(sx + sy)
          return bounded(rescale((l as bigint) * (r as bigint), scaleOf(xt) + scaleOf(yt), scale), t);
        case 'div': {
          if ((r as bigint) === 0n) return null;
          if (t.type !== 'DECIMAL') return (l as bigint) / (r as bigint); // integer division truncates
          // l/10^sx ÷ r/10^sy = (l × 10^(scale + sy − sx)) / r, at `scale`
          const shift = scale + scaleOf(yt) - scaleOf(xt);
          const numerator = shift >= 0 ? (l as bigint) * pow10(shift) : (l as bigint);
          const denominator = shift >= 0 ? (r as bigint) : (r as bigint) * pow10(-shift);
          return bounded(divideHalfUp(numerator, denominator), t);
        }
        case 'mod': {
          const q = exact(r, yt, scale);
          if (q === 0n) return null;
          return bounded(exact(l, xt, scale) % q, t);
        }
      }
    };
  };
}

/** Compares two non-NULL values of the operands' types: negative, zero or positive. */
function comparer(xt: SqlType, yt: SqlType): (l: Value, r: Value) => number {
  if (isExactNumeric(xt) && isExactNumeric(yt)) {
    const scale = Math.max(scaleOf(xt), scaleOf(yt));
    return (l, r) => {
      const p = exact(l, xt, scale);
      const q = exact(r, yt, scale);
      return p < q ? -1 : p > q ? 1 : 0;
    };
  }
  if (xt.type === 'DOUBLE' || yt.type === 'DOUBLE') {
    return (l, r) => {
      const p = toDouble(l, xt);
      const q = toDouble(r, yt);
      return p < q ? -1 : p > q ? 1 : 0;
    };
  }
  if (xt.type === 'BOOLEAN') return (l, r) => Number(l) - Number(r);
  return (l, r) => ((l as string | number) < (r as string | number) ? -1 : l === r ? 0 : 1);
}

function comparison(test: (order: number) => boolean): Operation {
  return ([a, b], _node, [x, y]) => {
    const compare = comparer(x!.t, y!.t);
    return (context) => {
      const l = a!(context);
      if (l === null) return null;
      const r = b!(context);
      if (r === null) return null;
      return test(compare(l, r));
    };
  };
}

/** A function of its arguments that is NULL when any of them is. */
function strict(f: (...values: Value[]) => Value): Operation {
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

const codePoints = (s: string) => Array.from(s);

const OPERATIONS: Record<string, Operation> = {
  add: arithmetic('add'),
  sub: arithmetic('sub'),
  mul: arithmetic('mul'),
  div: arithmetic('div'),
  mod: arithmetic('mod'),
  neg: ([a], node) =>
    node.t.type === 'DOUBLE'
      ? strict((v) => -(v as number))([a!], node, [])
      : strict((v) => -(v as bigint))([a!], node, []),
  eq: comparison((o) => o === 0),
  ne: comparison((o) => o !== 0),
  lt: comparison((o) => o < 0),
  le: comparison((o) => o <= 0),
  gt: comparison((o) => o > 0),
  ge: comparison((o) => o >= 0),
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
  like: ([a, p, e], _node, [, pattern, escapeExpr]) => {
    const fixed = constant(pattern);
    const fixedEscape = escapeExpr ? constant(escapeExpr) : undefined;
    const prepared =
      typeof fixed === 'string' && (escapeExpr === undefined || typeof fixedEscape === 'string')
        ? likeRegExp(fixed, fixedEscape as string | undefined)
        : undefined;
    return (context) => {
      const s = a!(context);
      if (s === null) return null;
      let regex = prepared;
      if (!regex) {
        const text = p!(context);
        const esc = e ? e(context) : undefined;
        if (text === null || esc === null) return null;
        regex = likeRegExp(text as string, esc as string | undefined);
        if (!regex) return null;
      }
      return regex.test(s as string);
    };
  },
  upper: strict((s) => (s as string).toUpperCase()),
  lower: strict((s) => (s as string).toLowerCase()),
  concat: strict((...parts) => parts.join('')),
  /** CONCAT_WS(sep, …): NULL when the separator is; NULL arguments are skipped. */
  concatWs:
    ([sep, ...args]) =>
    (context) => {
      const separator = sep!(context);
      if (separator === null) return null;
      const parts: string[] = [];
      for (const arg of args) {
        const v = arg(context);
        if (v !== null) parts.push(v as string);
      }
      return parts.join(separator as string);
    },
  /** SUBSTRING(s, start[, length]): 1-based in characters; a negative start counts from the end. */
  substring: strict((s, start, length) => {
    const chars = codePoints(s as string);
    const pos = Number(start as bigint);
    const len = length === undefined ? chars.length : Number(length as bigint);
    if (len < 0) return null;
    let from: number;
    if (pos > 0) from = pos - 1;
    else if (pos < 0) from = chars.length + pos;
    else from = 0;
    if (from < 0 || from >= chars.length) return '';
    return chars.slice(from, Math.min(chars.length, from + len)).join('');
  }),
  /** TRIM(mode, characters, s): mode 'BOTH' | 'LEADING' | 'TRAILING'; every character in `characters` is removed. */
  trim: strict((mode, characters, s) => {
    const set = new Set(codePoints(characters as string));
    const chars = codePoints(s as string);
    let start = 0;
    let end = chars.length;
    if (mode !== 'TRAILING') while (start < end && set.has(chars[start]!)) start++;
    if (mode !== 'LEADING') while (end > start && set.has(chars[end - 1]!)) end--;
    return chars.slice(start, end).join('');
  }),
  charLength: strict((s) => BigInt(codePoints(s as string).length)),
  replace: strict((s, search, replacement) =>
    (s as string).replaceAll(search as string, replacement as string),
  ),
  lpad: strict((s, length, pad) => padded(s as string, Number(length as bigint), pad as string, true)),
  rpad: strict((s, length, pad) => padded(s as string, Number(length as bigint), pad as string, false)),
  /** REGEXP_EXTRACT(s, regex, group): the group of the first match, NULL without one. */
  regexpExtract: ([s, r, g], _node, [, regex]) => {
    const fixed = constant(regex);
    const prepared = typeof fixed === 'string' ? safeRegExp(fixed) : undefined;
    return (context) => {
      const text = s!(context);
      const group = g ? g(context) : 0n;
      if (text === null || group === null) return null;
      let pattern = prepared;
      if (!pattern) {
        const source = r!(context);
        if (source === null) return null;
        pattern = safeRegExp(source as string);
        if (!pattern) return null;
      }
      const match = pattern.exec(text as string);
      const value = match?.[Number(group as bigint)];
      return value === undefined ? null : value;
    };
  },
  /** TO_TIMESTAMP_LTZ(n, precision): n seconds (precision 0) or milliseconds (3) since the epoch. */
  toTimestampLtz: ([n, p], _node, [x]) => {
    const t = x!.t;
    return (context) => {
      const value = n!(context);
      const precision = p!(context);
      if (value === null || precision === null) return null;
      const unit = Number(precision as bigint) === 0 ? 1000 : 1;
      const ms = t.type === 'DOUBLE' ? (value as number) * unit : Number(exact(value, t, 0)) * unit;
      return Number.isFinite(ms) ? Math.trunc(ms) : null;
    };
  },
  /** FROM_UNIXTIME(seconds[, format]): the time as text, 'yyyy-MM-dd HH:mm:ss' by default (UTC). */
  fromUnixtime: ([n, f], _node, [x, format]) => {
    const t = x!.t;
    const fixed = constant(format);
    const prepared = dateFormatter(typeof fixed === 'string' ? fixed : 'yyyy-MM-dd HH:mm:ss');
    return (context) => {
      const value = n!(context);
      if (value === null) return null;
      let formatter = prepared;
      if (f && fixed === undefined) {
        const text = f(context);
        if (text === null) return null;
        formatter = dateFormatter(text as string);
      }
      if (!formatter) return null;
      return formatter(Number(exact(value, t, 0)) * 1000);
    };
  },
  /** DATE_FORMAT(timestamp, format): Java SimpleDateFormat letters (yyyy MM dd HH mm ss SSS …), UTC. */
  dateFormat: ([ts, f], _node, [, format]) => {
    const fixed = constant(format);
    const prepared = typeof fixed === 'string' ? dateFormatter(fixed) : undefined;
    return (context) => {
      const ms = ts!(context);
      if (ms === null) return null;
      let formatter = prepared;
      if (!formatter) {
        const text = f!(context);
        if (text === null) return null;
        formatter = dateFormatter(text as string);
        if (!formatter) return null;
      }
      return formatter(ms as number);
    };
  },
  /** EXTRACT(unit FROM timestamp), YEAR(…), HOUR(…), …: BIGINT, in UTC. */
  extract:
    ([u, ts]) =>
    (context) => {
      const unit = u!(context) as string;
      const ms = ts!(context);
      if (ms === null) return null;
      return BigInt(extractField(unit, ms as number));
    },
  /** JSON_VALUE(json, path): the scalar at the path as text; NULL when absent, not scalar or not JSON. */
  jsonValue: ([j, p], _node, [x, path]) => {
    const fixed = constant(path);
    const prepared = typeof fixed === 'string' ? parseJsonPath(fixed) : undefined;
    const isText = x!.t.type === 'STRING';
    return (context) => {
      let document = j!(context);
      if (document === null) return null;
      let steps = prepared;
      if (!steps) {
        const text = p!(context);
        if (text === null) return null;
        steps = parseJsonPath(text as string);
        if (!steps) return null;
      }
      if (isText) {
        try {
          document = JSON.parse(document as string) as Value;
        } catch {
          return null;
        }
      }
      const found = readPath(document, steps);
      if (typeof found === 'string') return found;
      if (typeof found === 'number' || typeof found === 'boolean') return String(found);
      return null;
    };
  },
  /** element(structured, key or 0-based index): NULL when absent. */
  element: ([v, k], node) => {
    const t = node.t;
    return (context) => {
      const value = v!(context);
      const key = k!(context);
      if (value === null || key === null) return null;
      const part = typeof key === 'bigint' ? Number(key) - 1 : (key as string);
      return fromExternal(readPath(value, [part]), t);
    };
  },
  cardinality: strict((v) =>
    Array.isArray(v)
      ? BigInt(v.length)
      : typeof v === 'object'
        ? BigInt(Object.keys(v as object).length)
        : null,
  ),
};

function padded(s: string, length: number, pad: string, left: boolean): string | null {
  if (length < 0 || pad === '') return null;
  if (s.length >= length) return s.slice(0, length);
  let fill = '';
  while (fill.length < length - s.length) fill += pad;
  fill = fill.slice(0, length - s.length);
  return left ? fill + s : s + fill;
}

/** A LIKE pattern as a regular expression: `%` any text, `_` one character, the escape character quoting. */
export function likeRegExp(pattern: string, escapeChar?: string): RegExp | undefined {
  if (escapeChar !== undefined && codePoints(escapeChar).length !== 1) return undefined;
  let source = '';
  const chars = codePoints(pattern);
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i]!;
    if (escapeChar !== undefined && c === escapeChar) {
      const next = chars[++i];
      if (next === undefined) return undefined;
      source += next.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    } else if (c === '%') source += '[\\s\\S]*';
    else if (c === '_') source += '[\\s\\S]';
    else source += c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`, 'u');
}

export function safeRegExp(source: string): RegExp | undefined {
  try {
    return new RegExp(source, 'u');
  } catch {
    try {
      return new RegExp(source);
    } catch {
      return undefined;
    }
  }
}

// ------------------------------------------------------------------------------------ CAST

/** The conversion from one type's value to another's, for a non-NULL value (NULL when it cannot). */
export function caster(from: SqlType, to: SqlType): (v: Value) => Value {
  switch (to.type) {
    case 'STRING': {
      const show = textOf(from);
      const length = to.length;
      return length === undefined
        ? show
        : (v) => {
            const text = show(v) as string;
            return text.length <= length ? text : codePoints(text).slice(0, length).join('');
          };
    }
    case 'INT':
    case 'BIGINT':
    case 'DECIMAL': {
      const scale = scaleOf(to);
      const precision = asDecimal(to).precision;
      const limit = to.type === 'INT' ? 2n ** 31n : to.type === 'BIGINT' ? 2n ** 63n : undefined;
      const check = (units: bigint | undefined): Value => {
        if (units === undefined) return null;
        if (limit !== undefined) return units >= -limit && units < limit ? units : null;
        return fitsPrecision(units, precision) ? units : null;
      };
      if (isExactNumeric(from)) {
        // To an integer: the fraction is dropped (toward zero); to a DECIMAL: rounded HALF_UP.
        return (v) =>
          check(
            to.type === 'DECIMAL'
              ? rescale(v as bigint, scaleOf(from), scale)
              : (v as bigint) / pow10(scaleOf(from)),
          );
      }
      if (from.type === 'DOUBLE')
        return (v) =>
          check(to.type === 'DECIMAL' ? decimalOfDouble(v as number, scale) : truncated(v as number));
      if (from.type === 'STRING')
        return (v) =>
          check(
            to.type === 'DECIMAL'
              ? parseDecimal(v as string, scale)
              : /^\s*[+-]?\d+\s*$/.test(v as string)
                ? BigInt((v as string).trim())
                : undefined,
          );
      if (from.type === 'BOOLEAN') return (v) => (v ? pow10(scale) : 0n);
      return () => null;
    }
    case 'DOUBLE':
      if (isExactNumeric(from)) return (v) => Number(formatDecimal(v as bigint, scaleOf(from)));
      if (from.type === 'STRING')
        return (v) => {
          const n = Number((v as string).trim());
          return (v as string).trim() === '' || Number.isNaN(n) ? null : n;
        };
      if (from.type === 'BOOLEAN') return (v) => (v ? 1 : 0);
      return (v) => v;
    case 'BOOLEAN':
      if (from.type === 'STRING')
        return (v) => {
          const text = (v as string).trim().toLowerCase();
          if (['true', 't', 'yes', 'y', '1'].includes(text)) return true;
          if (['false', 'f', 'no', 'n', '0'].includes(text)) return false;
          return null;
        };
      if (isExactNumeric(from)) return (v) => (v as bigint) !== 0n;
      if (from.type === 'DOUBLE') return (v) => (v as number) !== 0;
      return (v) => v;
    case 'TIMESTAMP':
      if (from.type === 'STRING') return (v) => parseTimestamp(v as string);
      return (v) => v;
    default:
      return (v) => v;
  }
}

function truncated(n: number): bigint | undefined {
  return Number.isFinite(n) ? BigInt(Math.trunc(n)) : undefined;
}

/** How CAST(… AS STRING) writes a value of each type (Flink's text forms). */
function textOf(t: SqlType): (v: Value) => Value {
  switch (t.type) {
    case 'INT':
    case 'BIGINT':
    case 'DECIMAL': {
      const scale = scaleOf(t);
      return (v) => formatDecimal(v as bigint, scale);
    }
    case 'DOUBLE':
      return (v) => javaDouble(v as number);
    case 'BOOLEAN':
      return (v) => (v ? 'TRUE' : 'FALSE');
    case 'TIMESTAMP':
      return (v) => TIMESTAMP_TEXT(v as number);
    case 'STRING':
      return (v) => v;
    default:
      return (v) => (typeof v === 'string' ? v : JSON.stringify(v));
  }
}

/** A double as Java's Double.toString writes it (`1.0`, `0.25`, `1.0E10`). */
function javaDouble(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (!Number.isFinite(n)) return n > 0 ? 'Infinity' : '-Infinity';
  if (n === 0) return Object.is(n, -0) ? '-0.0' : '0.0';
  const abs = Math.abs(n);
  if (abs >= 1e-3 && abs < 1e7) {
    const text = String(n);
    return text.includes('.') ? text : `${text}.0`;
  }
  const [mantissa, exponent] = n.toExponential().split('e');
  const digits = mantissa!.includes('.') ? mantissa! : `${mantissa}.0`;
  return `${digits}E${Number(exponent)}`;
}

// ------------------------------------------------------------------------------------ time

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

let timestampText: ((ms: number) => string) | undefined;
/** A TIMESTAMP(3) as CAST(… AS STRING) writes it: `2024-01-31 12:00:00.000`. */
const TIMESTAMP_TEXT = (ms: number) => {
  timestampText ??= dateFormatter('yyyy-MM-dd HH:mm:ss.SSS')!;
  return timestampText(ms);
};

/** `yyyy-MM-dd[ HH:mm[:ss[.fff]]]` (or with `T`), read in UTC, as epoch milliseconds; NULL otherwise. */
export function parseTimestamp(text: string): number | null {
  const match =
    /^\s*(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?\s*$/.exec(text);
  if (!match) return null;
  const [, y, mo, d, h = '0', mi = '0', s = '0', f = ''] = match;
  const ms = Date.UTC(
    Number(y),
    Number(mo) - 1,
    Number(d),
    Number(h),
    Number(mi),
    Number(s),
    Number(f.padEnd(3, '0').slice(0, 3)),
  );
  const date = new Date(ms);
  if (date.getUTCMonth() !== Number(mo) - 1 || date.getUTCDate() !== Number(d) || Number(h) > 23) return null;
  return ms;
}

const FORMAT_LETTERS: Record<string, (d: Date, width: number) => string> = {
  y: (d, w) => (w === 2 ? pad(d.getUTCFullYear() % 100) : pad(d.getUTCFullYear(), w)),
  M: (d, w) => pad(d.getUTCMonth() + 1, w),
  d: (d, w) => pad(d.getUTCDate(), w),
  H: (d, w) => pad(d.getUTCHours(), w),
  m: (d, w) => pad(d.getUTCMinutes(), w),
  s: (d, w) => pad(d.getUTCSeconds(), w),
  S: (d, w) => pad(d.getUTCMilliseconds(), 3).slice(0, Math.max(w, 1)).padEnd(w, '0'),
};

/** The letters a date format may use (Java SimpleDateFormat's subset), for definition-time checks. */
export const DATE_FORMAT_LETTERS = Object.keys(FORMAT_LETTERS);

/** A formatter for a Java SimpleDateFormat pattern; undefined when the pattern uses other letters. */
export function dateFormatter(pattern: string): ((ms: number) => string) | undefined {
  const parts: Array<string | { letter: string; width: number }> = [];
  for (let i = 0; i < pattern.length; ) {
    const c = pattern[i]!;
    if (c === "'") {
      const end = pattern.indexOf("'", i + 1);
      if (end < 0) return undefined;
      parts.push(end === i + 1 ? "'" : pattern.slice(i + 1, end));
      i = end + 1;
    } else if (/[A-Za-z]/.test(c)) {
      if (!FORMAT_LETTERS[c]) return undefined;
      let j = i;
      while (pattern[j] === c) j++;
      parts.push({ letter: c, width: j - i });
      i = j;
    } else {
      parts.push(c);
      i++;
    }
  }
  return (ms) => {
    const date = new Date(ms);
    return parts.map((p) => (typeof p === 'string' ? p : FORMAT_LETTERS[p.letter]!(date, p.width))).join('');
  };
}

/** The time units EXTRACT reads. */
export const EXTRACT_UNITS = [
  'YEAR',
  'QUARTER',
  'MONTH',
  'WEEK',
  'DAY',
  'DAYOFMONTH',
  'DAYOFWEEK',
  'DAYOFYEAR',
  'HOUR',
  'MINUTE',
  'SECOND',
  'MILLISECOND',
] as const;

function extractField(unit: string, ms: number): number {
  const d = new Date(ms);
  switch (unit) {
    case 'YEAR':
      return d.getUTCFullYear();
    case 'QUARTER':
      return Math.floor(d.getUTCMonth() / 3) + 1;
    case 'MONTH':
      return d.getUTCMonth() + 1;
    case 'DAY':
    case 'DAYOFMONTH':
      return d.getUTCDate();
    case 'DAYOFWEEK':
      return d.getUTCDay() + 1; // 1 = Sunday … 7 = Saturday, as Flink
    case 'DAYOFYEAR':
      return Math.floor((ms - Date.UTC(d.getUTCFullYear(), 0, 1)) / 86_400_000) + 1;
    case 'WEEK': {
      // ISO 8601 week of the year, as Flink's EXTRACT(WEEK …).
      const day = (d.getUTCDay() + 6) % 7;
      const thursday = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() - day + 3);
      const firstThursday = new Date(thursday);
      const yearStart = Date.UTC(firstThursday.getUTCFullYear(), 0, 1);
      return Math.floor((thursday - yearStart) / 86_400_000 / 7) + 1;
    }
    case 'HOUR':
      return d.getUTCHours();
    case 'MINUTE':
      return d.getUTCMinutes();
    case 'SECOND':
      return d.getUTCSeconds();
    case 'MILLISECOND':
      return d.getUTCMilliseconds();
    default:
      return Number.NaN;
  }
}

// ------------------------------------------------------------------------------------ JSON

/**
 * A JSON path of the lax subset JSON_VALUE reads: `$`, `.key`, `."key"`, `['key']`, `[n]` (0-based).
 * Undefined when it is not one.
 */
export function parseJsonPath(path: string): Array<string | number> | undefined {
  const text = path.trim().replace(/^lax\s+/i, '');
  if (!text.startsWith('$')) return undefined;
  const steps: Array<string | number> = [];
  const step = /\.([A-Za-z_$][\w$]*)|\."((?:[^"\\]|\\.)*)"|\[\s*'((?:[^'\\]|\\.)*)'\s*\]|\[\s*(\d+)\s*\]/y;
  step.lastIndex = 1;
  while (step.lastIndex < text.length) {
    const start = step.lastIndex;
    const match = step.exec(text);
    if (!match || match.index !== start) return undefined;
    if (match[4] !== undefined) steps.push(Number(match[4]));
    else steps.push(match[1] ?? match[2] ?? match[3]!);
  }
  return steps;
}

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
