/**
 * The base of expression typing (../typing.ts): a typed expression, a TypeProblem, literals, and
 * the coercions and argument checks the operators and functions share.
 */
import { parseTimestamp } from '../evaluate/time.ts';
import type { Expr } from '../expression.ts';
import {
  BIGINT,
  boundedDecimal,
  commonType,
  DOUBLE,
  INT,
  isExactNumeric,
  NULL,
  type SqlType,
  scaleOf,
  showType,
  stringType,
  TIMESTAMP,
} from '../types.ts';

/** An expression with its nullability (its type is `expr.t`). */
export interface Typed {
  expr: Expr;
  nullable: boolean;
}

/** A type mistake, about one argument (its index) or the whole call. */
export class TypeProblem extends Error {
  override readonly name = 'TypeProblem';
  readonly argument: number | undefined;
  constructor(message: string, argument?: number) {
    super(message);
    this.argument = argument;
  }
}

export const call = (
  fn: string,
  args: Typed[],
  t: SqlType,
  nullable = args.some((a) => a.nullable),
): Typed => ({
  expr: { op: 'call', fn, args: args.map((a) => a.expr), t },
  nullable,
});

export const typeOf = (x: Typed): SqlType => x.expr.t;
export const isNullLiteral = (x: Typed) => x.expr.op === 'literal' && x.expr.value === null;
/** The constant an argument is, if it is a literal. */
export const literalOf = (x: Typed): string | boolean | null | undefined =>
  x.expr.op === 'literal' ? x.expr.value : undefined;

// ------------------------------------------------------------------------------- literals

export function literal(value: string | boolean | null, t: SqlType): Typed {
  return { expr: { op: 'literal', value, t }, nullable: value === null };
}

/** A numeric literal as written (`42`, `-7`, `2.50`, `1.5e3`): INT, BIGINT, DECIMAL(p, s) or DOUBLE. */
export function numberLiteral(text: string): Typed {
  const plain = text.trim();
  if (/e/i.test(plain)) return literal(plain, DOUBLE);
  const match = /^([+-]?)(\d*)(?:\.(\d*))?$/.exec(plain);
  if (!match) throw new TypeProblem(`not a number: ${text}`);
  const integer = match[2]!.replace(/^0+(?=\d)/, '') || '0';
  const fraction = match[3];
  if (fraction === undefined) {
    const n = BigInt(plain);
    if (n >= -(2n ** 31n) && n < 2n ** 31n) return literal(plain, INT);
    if (n >= -(2n ** 63n) && n < 2n ** 63n) return literal(plain, BIGINT);
    return literal(plain, boundedDecimal(integer.length, 0));
  }
  const precision = Math.max(integer === '0' ? 0 : integer.length, 0) + fraction.length;
  return literal(plain, boundedDecimal(Math.max(precision, 1), fraction.length));
}

export function stringLiteral(value: string): Typed {
  return literal(value, stringType(Array.from(value).length));
}

/** `TIMESTAMP '2024-01-31 12:00:00'`, read in UTC. */
export function timestampLiteral(text: string): Typed {
  const ms = parseTimestamp(text);
  if (ms === null) throw new TypeProblem(`not a timestamp: '${text}' (yyyy-MM-dd HH:mm:ss[.SSS])`);
  return literal(String(ms), TIMESTAMP);
}

// ------------------------------------------------------------------------------ coercions

/** Whether two types' values are held the same way (no conversion between them). */
export function sameRepresentation(a: SqlType, b: SqlType): boolean {
  if (a.type === 'NULL' || b.type === 'NULL') return true;
  if (isExactNumeric(a) && isExactNumeric(b)) return scaleOf(a) === scaleOf(b);
  if (a.type === 'STRING' && b.type === 'STRING') return true;
  return a.type === b.type;
}

/** `x` as a value of type `to` (an implicit widening: INT → DECIMAL, DECIMAL → DOUBLE, …). */
export function coerce(x: Typed, to: SqlType): Typed {
  if (isNullLiteral(x)) return literal(null, to);
  if (sameRepresentation(typeOf(x), to)) return { expr: { ...x.expr, t: to } as Expr, nullable: x.nullable };
  return call('cast', [x], to);
}

/** The type several values meet in, or a TypeProblem naming the first that does not. */
export function common(args: Typed[], what: string, offset = 0): SqlType {
  let t: SqlType = NULL;
  for (const [i, a] of args.entries()) {
    const next = commonType(t, typeOf(a));
    if (!next) {
      throw new TypeProblem(
        `${what}: ${showType(typeOf(a))} does not mix with ${showType(t)}; CAST one of them`,
        i + offset,
      );
    }
    t = next;
  }
  return t;
}

export function expect(
  args: Typed[],
  i: number,
  ok: (t: SqlType) => boolean,
  fn: string,
  wanted: string,
): void {
  const a = args[i];
  if (!a || isNullLiteral(a)) return;
  if (!ok(typeOf(a))) {
    throw new TypeProblem(`${fn} takes ${wanted} as argument ${i + 1}, not ${showType(typeOf(a))}`, i);
  }
}
export const isString = (t: SqlType) => t.type === 'STRING';
export const isInteger = (t: SqlType) => t.type === 'INT' || t.type === 'BIGINT';
export const isBoolean = (t: SqlType) => t.type === 'BOOLEAN';

export function arity(fn: string, args: Typed[], min: number, max = min): void {
  if (args.length < min || args.length > max) {
    const expected =
      min === max ? `${min}` : max === Number.POSITIVE_INFINITY ? `at least ${min}` : `${min} to ${max}`;
    throw new TypeProblem(
      `${fn} takes ${expected} argument${min === 1 && max === 1 ? '' : 's'}, not ${args.length}`,
    );
  }
}
