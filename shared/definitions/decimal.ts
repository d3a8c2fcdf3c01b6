/**
 * Exact decimals as scaled integers: a DECIMAL(p, s) value v is held as the bigint v × 10^s. Rounding
 * is HALF_UP, as Flink's (java.math.RoundingMode.HALF_UP): away from zero on a tie.
 */

const TEN = 10n;

export const pow10 = (n: number): bigint => TEN ** BigInt(n);

/** a / b rounded HALF_UP (b ≠ 0). */
export function divideHalfUp(a: bigint, b: bigint): bigint {
  const q = a / b;
  const r = a % b;
  if (r === 0n) return q;
  const twice = (r < 0n ? -r : r) * 2n;
  const divisor = b < 0n ? -b : b;
  if (twice < divisor) return q;
  return a < 0n !== b < 0n ? q - 1n : q + 1n;
}

/** A scaled value moved from one scale to another (HALF_UP when digits are dropped). */
export function rescale(units: bigint, from: number, to: number): bigint {
  if (to === from) return units;
  if (to > from) return units * pow10(to - from);
  return divideHalfUp(units, pow10(from - to));
}

/** Whether a scaled value has at most `precision` digits. */
export const fitsPrecision = (units: bigint, precision: number): boolean =>
  (units < 0n ? -units : units) < pow10(precision);

const DECIMAL_TEXT = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;

/** Decimal text (`12.5`, `-0.25`, `1e3`, ` 7 `) at `scale`, rounded HALF_UP; undefined when it is not a number. */
export function parseDecimal(text: string, scale: number): bigint | undefined {
  const match = DECIMAL_TEXT.exec(text.trim());
  if (!match || (match[2] === '' && (match[3] ?? '') === '')) return undefined;
  const digits = `${match[2]}${match[3] ?? ''}` || '0';
  const exponent = Number(match[4] ?? 0) - (match[3] ?? '').length;
  if (!Number.isSafeInteger(exponent) || Math.abs(exponent) > 400) return undefined;
  const units =
    rescale(BigInt(digits), -exponent < 0 ? 0 : -exponent, scale) * (exponent > 0 ? pow10(exponent) : 1n);
  // rescale above handles a negative exponent (digits after the point); a positive one multiplies.
  return match[1] === '-' ? -units : units;
}

/** A scaled value as decimal text with exactly `scale` fraction digits (`12.50`, `-0.05`). */
export function formatDecimal(units: bigint, scale: number): string {
  const negative = units < 0n;
  const digits = (negative ? -units : units).toString().padStart(scale + 1, '0');
  const text = scale > 0 ? `${digits.slice(0, -scale)}.${digits.slice(-scale)}` : digits;
  return negative ? `-${text}` : text;
}

/** A double as a scaled value: its shortest decimal text, rounded HALF_UP; undefined for NaN and ±Infinity. */
export function decimalOfDouble(value: number, scale: number): bigint | undefined {
  if (!Number.isFinite(value)) return undefined;
  return parseDecimal(String(value), scale);
}
