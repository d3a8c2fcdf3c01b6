/**
 * CAST in the interpreter (../evaluate.ts): the conversion of a non-NULL value from one type to
 * another, NULL when it cannot be made (text that is no number, a value beyond the target's range),
 * and the text forms Flink writes.
 */
import { decimalOfDouble, fitsPrecision, formatDecimal, parseDecimal, pow10, rescale } from '../decimal.ts';
import { asDecimal, isExactNumeric, type SqlType, scaleOf } from '../types.ts';
import { codePoints } from './strings.ts';
import { parseTimestamp, TIMESTAMP_TEXT } from './time.ts';
import type { Value } from './values.ts';

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
