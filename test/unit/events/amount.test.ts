/** Amounts as exact canonical decimal strings. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AMOUNT_SCALE, amountSchema } from '../../../shared/events/amount.ts';

const parse = (input: unknown) => amountSchema.safeParse(input);
const messageOf = (input: unknown) => parse(input).error?.issues[0]?.message;

describe('amountSchema', () => {
  it.each([
    [0, '0'],
    [-0, '0'],
    [19.99, '19.99'],
    [1.5, '1.5'],
    [100, '100'],
    [0.0001, '0.0001'],
    [99_999_999_999_999, '99999999999999'],
    [12_345_678_901.2345, '12345678901.2345'],
  ])('canonicalises the number %s as %j', (input, expected) => {
    expect(parse(input).data).toBe(expected);
  });

  it.each([
    ['19.99', '19.99'],
    [' 19.99 ', '19.99'],
    ['007', '7'],
    ['0', '0'],
    ['000', '0'],
    ['0.5', '0.5'],
    ['00.50', '0.5'],
    ['1.0000', '1'],
    ['1.00010', '1.0001'],
    ['12.340000000', '12.34'],
    ['99999999999999.9999', '99999999999999.9999'],
    ['12345678901234.5678', '12345678901234.5678'],
  ])('canonicalises the string %j as %j', (input, expected) => {
    expect(parse(input).data).toBe(expected);
  });

  it.each([
    ['1.23456', `must have at most ${AMOUNT_SCALE} decimal places`],
    [1.23456, `must have at most ${AMOUNT_SCALE} decimal places`],
    ['100000000000000', 'must be below 10^14'],
    [100_000_000_000_000, 'must be below 10^14'],
    ['-1', 'must be a non-negative decimal number'],
    [-0.01, 'must be a non-negative decimal number'],
    ['1e3', 'must be a non-negative decimal number'],
    ['1E-2', 'must be a non-negative decimal number'],
    [1e21, 'must be a non-negative decimal number'],
    [1e-7, 'must be a non-negative decimal number'],
    ['', 'must be a non-negative decimal number'],
    ['.5', 'must be a non-negative decimal number'],
    ['5.', 'must be a non-negative decimal number'],
    ['+5', 'must be a non-negative decimal number'],
    ['1,5', 'must be a non-negative decimal number'],
    ['0x10', 'must be a non-negative decimal number'],
    ['١٢', 'must be a non-negative decimal number'],
    ['NaN', 'must be a non-negative decimal number'],
  ])('rejects %j: %s', (input, message) => {
    expect(messageOf(input)).toBe(message);
  });

  it.each([null, true, {}, [], undefined, Number.NaN, Number.POSITIVE_INFINITY])('rejects %j', (input) => {
    expect(parse(input).success).toBe(false);
  });

  it('rejects a JSON number the parser had to round, rather than storing another amount', () => {
    // 12345678901234.5678 has no exact double: JSON.parse yields 12345678901234.568.
    const rounded: unknown = JSON.parse('{"amount":12345678901234.5678}').amount;
    expect(messageOf(rounded)).toBe('must be sent as a string when it has more than 15 significant digits');
    expect(messageOf(0.1 + 0.2)).toBeDefined();
  });

  it('keeps numbers of up to 15 significant digits exact', () => {
    expect(parse(JSON.parse('12345678901.2345')).data).toBe('12345678901.2345');
    expect(parse(JSON.parse('1234567890123.45')).data).toBe('1234567890123.45');
  });

  it('canonical output is stable: parsing it again gives it back', () => {
    const decimal = fc
      .tuple(fc.bigInt({ min: 0n, max: 10n ** 14n - 1n }), fc.integer({ min: 0, max: 9_999 }), fc.nat(3))
      .map(([int, frac, zeros]) => `${'0'.repeat(zeros)}${int}.${String(frac).padStart(4, '0')}`);
    fc.assert(
      fc.property(decimal, (text) => {
        const once = parse(text).data;
        expect(once).toBeDefined();
        expect(parse(once).data).toBe(once);
        expect(Number(once)).toBeCloseTo(Number(text), 4);
      }),
    );
  });
});
