/**
 * Money as exact decimals. Amounts arrive as JSON numbers or numeric strings; they are kept as
 * canonical decimal strings (never floats) that MySQL's DECIMAL columns add exactly.
 */
import * as z from './zod.ts';

export const AMOUNT_SCALE = 4;
const MAX_INTEGER_DIGITS = 14; // DECIMAL(18,4)
const DECIMAL = /^(\d+)(?:\.(\d+))?$/;
/** A double holds any decimal of up to 15 significant digits exactly; beyond, JSON numbers may have been rounded. */
const MAX_NUMBER_DIGITS = 15;

/** Non-negative decimal with at most 4 fraction digits and 14 integer digits, as a canonical string. */
export const amountSchema = z.pipe(
  z.union([z.number(), z.string()]),
  z.transform((input: number | string, ctx) => {
    const text = typeof input === 'number' ? numberToPlainString(input) : input.trim();
    if (typeof input === 'number' && text !== undefined && significantDigits(text) > MAX_NUMBER_DIGITS) {
      ctx.issues.push({
        code: 'custom',
        message: `must be sent as a string when it has more than ${MAX_NUMBER_DIGITS} significant digits`,
        input,
      });
      return z.NEVER;
    }
    const match = text === undefined ? null : DECIMAL.exec(text);
    if (!match) {
      ctx.issues.push({ code: 'custom', message: 'must be a non-negative decimal number', input });
      return z.NEVER;
    }
    const integer = match[1]!.replace(/^0+(?=\d)/, '');
    const fraction = (match[2] ?? '').replace(/0+$/, '');
    if (fraction.length > AMOUNT_SCALE) {
      ctx.issues.push({ code: 'custom', message: `must have at most ${AMOUNT_SCALE} decimal places`, input });
      return z.NEVER;
    }
    if (integer.length > MAX_INTEGER_DIGITS) {
      ctx.issues.push({ code: 'custom', message: `must be below 10^${MAX_INTEGER_DIGITS}`, input });
      return z.NEVER;
    }
    return fraction ? `${integer}.${fraction}` : integer;
  }),
);

function numberToPlainString(n: number): string | undefined {
  if (!Number.isFinite(n) || n < 0) return undefined;
  const text = String(n);
  return /e/i.test(text) ? undefined : text;
}

function significantDigits(plain: string): number {
  return plain.replace('.', '').replace(/^0+/, '').length;
}
