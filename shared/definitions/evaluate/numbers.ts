/**
 * Arithmetic and comparison in the interpreter (../evaluate.ts): exact numerics (INT, BIGINT,
 * DECIMAL) as scaled bigints with HALF_UP division and NULL beyond the result's precision, DOUBLE as
 * JavaScript numbers; a division by zero is NULL.
 */
import { divideHalfUp, fitsPrecision, formatDecimal, pow10, rescale } from '../decimal.ts';
import { isExactNumeric, type SqlType, scaleOf } from '../types.ts';
import { type Operation, strict, type Value } from './values.ts';

/** An exact numeric value moved to `scale`; a DOUBLE as a double. */
export const exact = (v: Value, from: SqlType, scale: number): bigint =>
  rescale(v as bigint, scaleOf(from), scale);
export const toDouble = (v: Value, t: SqlType): number =>
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
export function comparer(xt: SqlType, yt: SqlType): (l: Value, r: Value) => number {
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

/** The arithmetic operators and comparisons. */
export const NUMERIC_OPERATIONS: Record<string, Operation> = {
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
};
