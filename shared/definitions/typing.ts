/**
 * Definition-time typing of scalar expressions: each builder checks its arguments' types, infers the
 * result's type and nullability with Flink SQL's rules, and returns the plain-data expression
 * (expression.ts) the interpreter (evaluate.ts) runs. A mistake is a TypeProblem naming the
 * argument it is about; a front end (the SQL one: shared/pipeline/sql.ts) turns it into an error at
 * that argument's position. Also here: whether a typed value fits a table column.
 */
import type { Column } from '../tables/table.ts';
import { parseJsonPath } from './evaluate/json.ts';
import { safeRegExp } from './evaluate/strings.ts';
import { DATE_FORMAT_LETTERS, dateFormatter, EXTRACT_UNITS, parseTimestamp } from './evaluate/time.ts';
import type { Expr } from './expression.ts';
import {
  ANY,
  asDecimal,
  BIGINT,
  BOOLEAN,
  boundedDecimal,
  columnType,
  commonType,
  DOUBLE,
  decimalType,
  INT,
  isExactNumeric,
  isNumeric,
  NULL,
  type SqlType,
  STRING,
  scaleOf,
  showType,
  stringType,
  TIMESTAMP,
} from './types.ts';

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

const call = (fn: string, args: Typed[], t: SqlType, nullable = args.some((a) => a.nullable)): Typed => ({
  expr: { op: 'call', fn, args: args.map((a) => a.expr), t },
  nullable,
});

export const typeOf = (x: Typed): SqlType => x.expr.t;
const isNullLiteral = (x: Typed) => x.expr.op === 'literal' && x.expr.value === null;
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
function sameRepresentation(a: SqlType, b: SqlType): boolean {
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
function common(args: Typed[], what: string, offset = 0): SqlType {
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

function expect(args: Typed[], i: number, ok: (t: SqlType) => boolean, fn: string, wanted: string): void {
  const a = args[i];
  if (!a || isNullLiteral(a)) return;
  if (!ok(typeOf(a))) {
    throw new TypeProblem(`${fn} takes ${wanted} as argument ${i + 1}, not ${showType(typeOf(a))}`, i);
  }
}
const isString = (t: SqlType) => t.type === 'STRING';
const isInteger = (t: SqlType) => t.type === 'INT' || t.type === 'BIGINT';
const isBoolean = (t: SqlType) => t.type === 'BOOLEAN';

function arity(fn: string, args: Typed[], min: number, max = min): void {
  if (args.length < min || args.length > max) {
    const expected =
      min === max ? `${min}` : max === Number.POSITIVE_INFINITY ? `at least ${min}` : `${min} to ${max}`;
    throw new TypeProblem(
      `${fn} takes ${expected} argument${min === 1 && max === 1 ? '' : 's'}, not ${args.length}`,
    );
  }
}

// ------------------------------------------------------------------------------ operators

const ARITHMETIC = { '+': 'add', '-': 'sub', '*': 'mul', '/': 'div', '%': 'mod' } as const;

/** a + b, a − b, a × b, a / b, a % b with Flink's result types; exact unless a DOUBLE is involved. */
export function arithmetic(operator: keyof typeof ARITHMETIC, a: Typed, b: Typed): Typed {
  for (const [i, x] of [a, b].entries()) {
    if (!isNumeric(typeOf(x)) && !isNullLiteral(x)) {
      const hint = isString(typeOf(x)) ? `; CAST(… AS DECIMAL(p, s)) reads a number from text` : '';
      throw new TypeProblem(`${operator} needs numbers, not ${showType(typeOf(x))}${hint}`, i);
    }
  }
  const x = isNullLiteral(a) ? typeOf(b) : typeOf(a);
  const y = isNullLiteral(b) ? typeOf(a) : typeOf(b);
  const args = [isNullLiteral(a) ? literal(null, x) : a, isNullLiteral(b) ? literal(null, y) : b];
  const fn = ARITHMETIC[operator];
  // Division and modulo by zero are NULL.
  const nullable = args.some((v) => v.nullable) || fn === 'div' || fn === 'mod' ? true : undefined;
  if (x.type === 'DOUBLE' || y.type === 'DOUBLE') return call(fn, args, DOUBLE, true);
  if (isInteger(x) && isInteger(y)) {
    const t = x.type === 'BIGINT' || y.type === 'BIGINT' ? BIGINT : INT;
    return call(fn, args, t, nullable);
  }
  const p = asDecimal(x);
  const q = asDecimal(y);
  let t: SqlType;
  switch (fn) {
    case 'add':
    case 'sub': {
      const scale = Math.max(p.scale, q.scale);
      t = boundedDecimal(Math.max(p.precision - p.scale, q.precision - q.scale) + scale + 1, scale);
      break;
    }
    case 'mul':
      t = boundedDecimal(p.precision + q.precision, p.scale + q.scale);
      break;
    case 'div': {
      const scale = Math.max(6, p.scale + q.precision + 1);
      t = boundedDecimal(p.precision - p.scale + q.scale + scale, scale);
      break;
    }
    default: {
      const scale = Math.max(p.scale, q.scale);
      t = boundedDecimal(Math.min(p.precision - p.scale, q.precision - q.scale) + scale, scale);
    }
  }
  // A DECIMAL result beyond its precision is NULL.
  return call(fn, args, t, true);
}

export function negate(a: Typed): Typed {
  if (!isNumeric(typeOf(a)) && !isNullLiteral(a))
    throw new TypeProblem(`- needs a number, not ${showType(typeOf(a))}`, 0);
  return call('neg', [a], typeOf(a));
}

const COMPARISONS = {
  '=': 'eq',
  '<>': 'ne',
  '!=': 'ne',
  '<': 'lt',
  '<=': 'le',
  '>': 'gt',
  '>=': 'ge',
} as const;
export type ComparisonOperator = keyof typeof COMPARISONS;

function comparable(a: SqlType, b: SqlType): boolean {
  if (a.type === 'NULL' || b.type === 'NULL') return true;
  if (isNumeric(a) && isNumeric(b)) return true;
  return a.type === b.type && a.type !== 'ARRAY' && a.type !== 'ANY';
}

export function compare(operator: ComparisonOperator, a: Typed, b: Typed): Typed {
  if (!comparable(typeOf(a), typeOf(b))) {
    throw new TypeProblem(
      `cannot compare ${showType(typeOf(a))} with ${showType(typeOf(b))}; CAST one of them`,
      1,
    );
  }
  return call(COMPARISONS[operator], [a, b], BOOLEAN);
}

function condition(x: Typed, i: number, what: string): void {
  if (!isBoolean(typeOf(x)) && !isNullLiteral(x)) {
    throw new TypeProblem(`${what} needs a condition (BOOLEAN), not ${showType(typeOf(x))}`, i);
  }
}

/** AND / OR over conditions, with three-valued logic (FALSE AND NULL is FALSE, TRUE OR NULL is TRUE). */
export function logical(operator: 'AND' | 'OR', args: Typed[]): Typed {
  for (const [i, a] of args.entries()) condition(a, i, operator);
  return call(operator === 'AND' ? 'and' : 'or', args, BOOLEAN);
}

export function not(a: Typed): Typed {
  condition(a, 0, 'NOT');
  return call('not', [a], BOOLEAN);
}

/** IS [NOT] NULL, IS [NOT] TRUE, IS [NOT] FALSE: never NULL. */
export function is(a: Typed, what: 'NULL' | 'TRUE' | 'FALSE', negated: boolean): Typed {
  if (what !== 'NULL') condition(a, 0, `IS ${negated ? 'NOT ' : ''}${what}`);
  const fn =
    what === 'NULL'
      ? negated
        ? 'isNotNull'
        : 'isNull'
      : `is${negated ? 'Not' : ''}${what === 'TRUE' ? 'True' : 'False'}`;
  return call(fn, [a], BOOLEAN, false);
}

export function inList(a: Typed, list: Typed[], negated: boolean): Typed {
  for (const [i, v] of list.entries()) {
    if (!comparable(typeOf(a), typeOf(v))) {
      throw new TypeProblem(
        `IN: ${showType(typeOf(v))} cannot be compared with ${showType(typeOf(a))}`,
        i + 1,
      );
    }
  }
  const test = call('in', [a, ...list], BOOLEAN);
  return negated ? not(test) : test;
}

export function between(a: Typed, low: Typed, high: Typed, negated: boolean): Typed {
  const test = logical('AND', [compare('>=', a, low), compare('<=', a, high)]);
  return negated ? not(test) : test;
}

export function like(a: Typed, pattern: Typed, escapeChar: Typed | undefined, negated: boolean): Typed {
  const args = escapeChar ? [a, pattern, escapeChar] : [a, pattern];
  for (const i of args.keys()) expect(args, i, isString, 'LIKE', 'a string');
  const e = escapeChar && literalOf(escapeChar);
  if (typeof e === 'string' && Array.from(e).length !== 1)
    throw new TypeProblem(`ESCAPE takes one character, not '${e}'`, 2);
  const test = call('like', args, BOOLEAN);
  return negated ? not(test) : test;
}

// ------------------------------------------------------------------------------ conditionals

/** CASE WHEN c1 THEN r1 … [ELSE e] END; without ELSE, NULL when no condition holds. */
export function searchedCase(branches: Array<[Typed, Typed]>, otherwise: Typed | undefined): Typed {
  for (const [i, [when]] of branches.entries()) condition(when, i * 2, 'CASE WHEN');
  const results = [...branches.map(([, then]) => then), ...(otherwise ? [otherwise] : [])];
  const t = common(results, 'CASE');
  const args: Typed[] = [];
  for (const [when, then] of branches) args.push(when, coerce(then, t));
  if (otherwise) args.push(coerce(otherwise, t));
  return call('case', args, t, !otherwise || results.some((r) => r.nullable));
}

export function coalesce(args: Typed[], fn = 'COALESCE'): Typed {
  arity(fn, args, fn === 'IFNULL' ? 2 : 1, fn === 'IFNULL' ? 2 : Number.POSITIVE_INFINITY);
  const t = common(args, fn);
  return call(
    'coalesce',
    args.map((a) => coerce(a, t)),
    t,
    args.every((a) => a.nullable),
  );
}

export function nullif(args: Typed[]): Typed {
  arity('NULLIF', args, 2);
  if (!comparable(typeOf(args[0]!), typeOf(args[1]!)))
    throw new TypeProblem(
      `NULLIF: cannot compare ${showType(typeOf(args[0]!))} with ${showType(typeOf(args[1]!))}`,
      1,
    );
  return call('nullif', args, typeOf(args[0]!), true);
}

export function ifThen(args: Typed[]): Typed {
  arity('IF', args, 3);
  return searchedCase([[args[0]!, args[1]!]], args[2]!);
}

// ------------------------------------------------------------------------------------ CAST

/** The CAST targets: STRING, VARCHAR(n), CHAR(n), DECIMAL(p, s), INT, BIGINT, DOUBLE, BOOLEAN, TIMESTAMP(3). */
export function cast(a: Typed, to: SqlType): Typed {
  const from = typeOf(a);
  if (isNullLiteral(a)) return literal(null, to);
  let nullable = a.nullable;
  const refuse = (hint = '') => {
    throw new TypeProblem(`cannot CAST ${showType(from)} to ${showType(to)}${hint}`, 0);
  };
  switch (to.type) {
    case 'STRING':
      if (from.type === 'ARRAY') refuse('; write the array into a JSON column');
      break;
    case 'INT':
    case 'BIGINT':
    case 'DECIMAL': {
      if (from.type === 'TIMESTAMP') refuse('; EXTRACT a field, or UNIX_TIMESTAMP');
      if (from.type === 'ARRAY') refuse();
      // Text that is no number, or a value beyond the target's range, is NULL.
      if (from.type === 'STRING' || from.type === 'DOUBLE' || from.type === 'ANY') nullable = true;
      else if (isExactNumeric(from)) {
        const source = asDecimal(from);
        const target = asDecimal(to);
        const room = to.type === 'DECIMAL' ? target.precision - target.scale : to.type === 'INT' ? 9 : 18;
        if (source.precision - source.scale > room) nullable = true;
      }
      break;
    }
    case 'DOUBLE':
      if (from.type === 'TIMESTAMP' || from.type === 'ARRAY') refuse();
      if (from.type === 'STRING' || from.type === 'ANY') nullable = true;
      break;
    case 'BOOLEAN':
      if (from.type === 'TIMESTAMP' || from.type === 'ARRAY') refuse();
      if (from.type === 'STRING' || from.type === 'ANY') nullable = true;
      break;
    case 'TIMESTAMP':
      if (isNumeric(from)) {
        refuse(
          '; epoch milliseconds are read with TO_TIMESTAMP_LTZ(x, 3), epoch seconds with TO_TIMESTAMP_LTZ(x, 0)',
        );
      }
      if (from.type !== 'STRING' && from.type !== 'TIMESTAMP') refuse();
      if (from.type === 'STRING') nullable = true;
      break;
    default:
      refuse();
  }
  if (from.type === 'ANY' && to.type !== 'STRING') nullable = true;
  if (sameRepresentation(from, to) && !(to.type === 'STRING' && to.length !== undefined)) {
    return { expr: { ...a.expr, t: to } as Expr, nullable };
  }
  return call('cast', [a], to, nullable);
}

/** A CAST target as the parser names it: STRING, VARCHAR(n), DECIMAL(p, s), TIMESTAMP(3), … */
export function castTarget(name: string, length?: number, scale?: number): SqlType | undefined {
  switch (name.toUpperCase()) {
    case 'STRING':
    case 'TEXT':
      return STRING;
    case 'VARCHAR':
    case 'CHAR':
    case 'CHARACTER':
      return stringType(length);
    case 'DECIMAL':
    case 'DEC':
    case 'NUMERIC':
      if ((length ?? 10) < 1 || (length ?? 10) > 38 || (scale ?? 0) < 0 || (scale ?? 0) > (length ?? 10))
        return undefined;
      return decimalType(length ?? 10, scale ?? 0);
    case 'INT':
    case 'INTEGER':
      return INT;
    case 'BIGINT':
      return BIGINT;
    case 'DOUBLE':
    case 'FLOAT':
      return DOUBLE;
    case 'BOOLEAN':
      return BOOLEAN;
    case 'TIMESTAMP':
    case 'TIMESTAMP_LTZ':
      return length === undefined || length === 3 ? TIMESTAMP : undefined;
    default:
      return undefined;
  }
}

// ----------------------------------------------------------------------- structured values

/** `x[1]` (1-based, as Flink) or `x['key']`. */
export function element(a: Typed, key: Typed): Typed {
  const t = typeOf(a);
  const k = literalOf(key);
  if (t.type === 'ARRAY') {
    if (!isInteger(typeOf(key)) || typeof k !== 'string')
      throw new TypeProblem(
        `an array is indexed by an integer literal (1-based), not ${showType(typeOf(key))}`,
        1,
      );
    if (BigInt(k) < 1n) throw new TypeProblem(`array index ${k}: arrays are 1-based, as in Flink`, 1);
    if (a.expr.op === 'field')
      return { expr: { op: 'field', path: [...a.expr.path, Number(k) - 1], t: t.element }, nullable: true };
    return call('element', [a, key], t.element, true);
  }
  if (t.type === 'ANY') {
    if (typeof k !== 'string') throw new TypeProblem('a key or index must be a literal', 1);
    if (isInteger(typeOf(key)) && BigInt(k) < 1n)
      throw new TypeProblem(`array index ${k}: arrays are 1-based, as in Flink`, 1);
    if (a.expr.op === 'field') {
      const part = isInteger(typeOf(key)) ? Number(k) - 1 : k;
      return { expr: { op: 'field', path: [...a.expr.path, part], t: ANY }, nullable: true };
    }
    return call('element', [a, key], ANY, true);
  }
  throw new TypeProblem(`${showType(t)} has no elements to subscript`, 0);
}

// ------------------------------------------------------------------------------- functions

/**
 * Functions whose result changes from one run to the next. A replayed event must write the same
 * row (exactly-once effect), so they are refused.
 */
export const NONDETERMINISTIC = new Set([
  'CURRENT_TIMESTAMP',
  'CURRENT_DATE',
  'CURRENT_TIME',
  'LOCALTIMESTAMP',
  'LOCALTIME',
  'NOW',
  'PROCTIME',
  'CURRENT_ROW_TIMESTAMP',
  'CURRENT_WATERMARK',
  'RAND',
  'RAND_INTEGER',
  'UUID',
  'UNIX_TIMESTAMP',
]);

const TIME_FUNCTIONS: Record<string, string> = {
  YEAR: 'YEAR',
  QUARTER: 'QUARTER',
  MONTH: 'MONTH',
  WEEK: 'WEEK',
  DAYOFMONTH: 'DAYOFMONTH',
  DAYOFWEEK: 'DAYOFWEEK',
  DAYOFYEAR: 'DAYOFYEAR',
  HOUR: 'HOUR',
  MINUTE: 'MINUTE',
  SECOND: 'SECOND',
};

const stringLength = (x: Typed | undefined): number | undefined =>
  x && typeOf(x).type === 'STRING' ? (typeOf(x) as { length?: number }).length : undefined;
const sumLengths = (args: Typed[]): number | undefined => {
  let total = 0;
  for (const a of args) {
    const n = isNullLiteral(a) ? 0 : stringLength(a);
    if (n === undefined) return undefined;
    total += n;
  }
  return total;
};

type FunctionTyping = (args: Typed[]) => Typed;

const stringFunction =
  (fn: string, name: string, length: (args: Typed[]) => number | undefined): FunctionTyping =>
  (args) => {
    arity(name, args, 1);
    expect(args, 0, isString, name, 'a string');
    return call(fn, args, stringType(length(args)));
  };

const FUNCTIONS: Record<string, FunctionTyping> = {
  UPPER: stringFunction('upper', 'UPPER', ([s]) => stringLength(s)),
  LOWER: stringFunction('lower', 'LOWER', ([s]) => stringLength(s)),
  CONCAT: (args) => {
    arity('CONCAT', args, 1, Number.POSITIVE_INFINITY);
    for (const i of args.keys()) expect(args, i, isString, 'CONCAT', 'strings');
    return call('concat', args, stringType(sumLengths(args)));
  },
  CONCAT_WS: (args) => {
    arity('CONCAT_WS', args, 2, Number.POSITIVE_INFINITY);
    for (const i of args.keys()) expect(args, i, isString, 'CONCAT_WS', 'strings');
    const parts = sumLengths(args.slice(1));
    const separator = stringLength(args[0]);
    const length =
      parts === undefined || separator === undefined ? undefined : parts + separator * (args.length - 2);
    return call('concatWs', args, stringType(length), args[0]!.nullable);
  },
  SUBSTRING: (args) => {
    arity('SUBSTRING', args, 2, 3);
    expect(args, 0, isString, 'SUBSTRING', 'a string');
    expect(args, 1, isInteger, 'SUBSTRING', 'an integer');
    expect(args, 2, isInteger, 'SUBSTRING', 'an integer');
    const fixed = args[2] && literalOf(args[2]);
    const bound = stringLength(args[0]);
    const length =
      typeof fixed === 'string' ? Math.max(0, Math.min(Number(fixed), bound ?? Number(fixed))) : bound;
    // A negative length is NULL.
    const nullable =
      args.some((a) => a.nullable) ||
      (args[2] !== undefined && typeof fixed !== 'string') ||
      (typeof fixed === 'string' && Number(fixed) < 0);
    return call('substring', args, stringType(length), nullable);
  },
  CHAR_LENGTH: (args) => {
    arity('CHAR_LENGTH', args, 1);
    expect(args, 0, isString, 'CHAR_LENGTH', 'a string');
    return call('charLength', args, INT);
  },
  REPLACE: (args) => {
    arity('REPLACE', args, 3);
    for (const i of args.keys()) expect(args, i, isString, 'REPLACE', 'strings');
    return call('replace', args, STRING);
  },
  LPAD: (args) => pad('lpad', 'LPAD', args),
  RPAD: (args) => pad('rpad', 'RPAD', args),
  REGEXP_EXTRACT: (args) => {
    arity('REGEXP_EXTRACT', args, 2, 3);
    expect(args, 0, isString, 'REGEXP_EXTRACT', 'a string');
    expect(args, 1, isString, 'REGEXP_EXTRACT', 'a regular expression (string)');
    expect(args, 2, isInteger, 'REGEXP_EXTRACT', 'a group index (integer)');
    const regex = literalOf(args[1]!);
    if (typeof regex === 'string' && !safeRegExp(regex))
      throw new TypeProblem(`REGEXP_EXTRACT: '${regex}' is not a regular expression`, 1);
    return call('regexpExtract', args, stringType(stringLength(args[0])), true);
  },
  TO_TIMESTAMP_LTZ: (args) => {
    arity('TO_TIMESTAMP_LTZ', args, 1, 2);
    expect(args, 0, isNumeric, 'TO_TIMESTAMP_LTZ', 'epoch seconds or milliseconds (a number)');
    const precision = args[1] ? literalOf(args[1]) : '3';
    if (precision !== '0' && precision !== '3')
      throw new TypeProblem(
        'TO_TIMESTAMP_LTZ takes precision 0 (epoch seconds) or 3 (epoch milliseconds)',
        1,
      );
    return call(
      'toTimestampLtz',
      [args[0]!, literal(precision, INT)],
      TIMESTAMP,
      args[0]!.nullable || typeOf(args[0]!).type === 'DOUBLE',
    );
  },
  FROM_UNIXTIME: (args) => {
    arity('FROM_UNIXTIME', args, 1, 2);
    expect(args, 0, isExactNumeric, 'FROM_UNIXTIME', 'epoch seconds (an integer)');
    expect(args, 1, isString, 'FROM_UNIXTIME', 'a format (string)');
    checkFormat(args[1], 1);
    return call('fromUnixtime', args, STRING);
  },
  DATE_FORMAT: (args) => {
    arity('DATE_FORMAT', args, 2);
    if (isString(typeOf(args[0]!))) args = [cast(args[0]!, TIMESTAMP), args[1]!];
    expect(args, 0, (t) => t.type === 'TIMESTAMP', 'DATE_FORMAT', 'a TIMESTAMP(3)');
    expect(args, 1, isString, 'DATE_FORMAT', 'a format (string)');
    checkFormat(args[1], 1);
    return call(
      'dateFormat',
      args,
      STRING,
      args.some((a) => a.nullable) || literalOf(args[1]!) === undefined,
    );
  },
  JSON_VALUE: (args) => {
    arity('JSON_VALUE', args, 2);
    expect(
      args,
      0,
      (t) => t.type === 'STRING' || t.type === 'ANY',
      'JSON_VALUE',
      'JSON text or a structured value',
    );
    expect(args, 1, isString, 'JSON_VALUE', 'a JSON path (string)');
    const path = literalOf(args[1]!);
    if (typeof path === 'string' && !parseJsonPath(path))
      throw new TypeProblem(
        `JSON_VALUE: '${path}' is not a JSON path of the supported form ($.a.b, $.a[0], $['a'])`,
        1,
      );
    return call('jsonValue', args, STRING, true);
  },
  CARDINALITY: (args) => {
    arity('CARDINALITY', args, 1);
    expect(args, 0, (t) => t.type === 'ARRAY' || t.type === 'ANY', 'CARDINALITY', 'an array or map');
    return call('cardinality', args, INT, true);
  },
};
FUNCTIONS.SUBSTR = FUNCTIONS.SUBSTRING!;
FUNCTIONS.CHARACTER_LENGTH = FUNCTIONS.CHAR_LENGTH!;
FUNCTIONS.IFNULL = (args) => coalesce(args, 'IFNULL');
FUNCTIONS.COALESCE = (args) => coalesce(args);
FUNCTIONS.NULLIF = nullif;
FUNCTIONS.IF = ifThen;
FUNCTIONS.LTRIM = (args) => trim('LEADING', undefined, args, 'LTRIM');
FUNCTIONS.RTRIM = (args) => trim('TRAILING', undefined, args, 'RTRIM');
for (const [name, unit] of Object.entries(TIME_FUNCTIONS)) {
  FUNCTIONS[name] = (args) => {
    arity(name, args, 1);
    return extract(unit, args[0]!);
  };
}

function pad(fn: string, name: string, args: Typed[]): Typed {
  arity(name, args, 3);
  expect(args, 0, isString, name, 'a string');
  expect(args, 1, isInteger, name, 'a length (integer)');
  expect(args, 2, isString, name, 'a padding string');
  const length = literalOf(args[1]!);
  return call(fn, args, stringType(typeof length === 'string' ? Number(length) : undefined), true);
}

function checkFormat(format: Typed | undefined, i: number): void {
  const text = format && literalOf(format);
  if (typeof text === 'string' && !dateFormatter(text)) {
    throw new TypeProblem(
      `'${text}' is not a date format of the supported letters (${DATE_FORMAT_LETTERS.join(' ')}, text in '…')`,
      i,
    );
  }
}

/** TRIM([BOTH | LEADING | TRAILING] [characters] FROM s), LTRIM(s), RTRIM(s). */
export function trim(
  mode: 'BOTH' | 'LEADING' | 'TRAILING',
  characters: Typed | undefined,
  args: Typed[],
  name = 'TRIM',
): Typed {
  arity(name, args, 1);
  expect(args, 0, isString, name, 'a string');
  if (characters) expect([characters], 0, isString, name, 'characters to remove (a string)');
  return call(
    'trim',
    [literal(mode, STRING), characters ?? stringLiteral(' '), args[0]!],
    stringType(stringLength(args[0])),
    args[0]!.nullable || (characters?.nullable ?? false),
  );
}

/** EXTRACT(unit FROM timestamp): BIGINT, in UTC. */
export function extract(unit: string, ts: Typed): Typed {
  const u = unit.toUpperCase();
  if (!(EXTRACT_UNITS as readonly string[]).includes(u))
    throw new TypeProblem(`EXTRACT(${unit} …): the units are ${EXTRACT_UNITS.join(', ')}`);
  expect(
    [ts],
    0,
    (t) => t.type === 'TIMESTAMP',
    `EXTRACT(${u} …)`,
    'a TIMESTAMP(3); read epoch milliseconds with TO_TIMESTAMP_LTZ(x, 3)',
  );
  return call('extract', [literal(u, STRING), ts], BIGINT, ts.nullable);
}

/** A named function applied to its arguments; undefined when there is no such function. */
export function callFunction(name: string, args: Typed[]): Typed | undefined {
  const upper = name.toUpperCase();
  if (NONDETERMINISTIC.has(upper)) {
    throw new TypeProblem(
      `${upper} is refused: its result changes from one run to the next, and a replayed event must write the same row; use event_time(), the event's own time`,
    );
  }
  const typing = Object.hasOwn(FUNCTIONS, upper) ? FUNCTIONS[upper] : undefined;
  return typing?.(args);
}

/** The functions callFunction knows, for messages. */
export const FUNCTION_NAMES = Object.keys(FUNCTIONS);

/** `a || b`: CONCAT. */
export const concat = (a: Typed, b: Typed): Typed => FUNCTIONS.CONCAT!([a, b]);

// -------------------------------------------------------------------------- into a column

/**
 * Why `x` (written `text`) cannot fill column `name`, or undefined when it can: its type against
 * the column's kind, DECIMAL precision and scale, and string length. (Nullability is the caller's.)
 */
export function misfit(
  x: Typed,
  column: Pick<Column, 'kind' | 'sqlType'>,
  name: string,
  text: string,
): string | undefined {
  const from = typeOf(x);
  const to = columnType(column);
  if (from.type === 'NULL') return undefined;
  const mismatch = (relation: 'does not fit' | 'may not fit', hint = '') =>
    `type mismatch: ${text} (${showType(from)}) ${relation} ${column.kind} column ${name} (${column.sqlType})${hint}`;
  switch (column.kind) {
    case 'json':
      if (x.expr.op === 'literal' && typeof x.expr.value === 'string' && from.type === 'STRING') {
        try {
          JSON.parse(x.expr.value);
        } catch {
          return `${text} is not JSON text: a string literal fills JSON column ${name} with the JSON it spells`;
        }
      }
      return undefined;
    case 'string': {
      if (from.type !== 'STRING') return mismatch('does not fit', '; CAST(… AS STRING) converts it');
      const room = to?.type === 'STRING' ? to.length : undefined;
      if (room !== undefined && from.length !== undefined && from.length > room) {
        return mismatch('may not fit', `; CAST(… AS VARCHAR(${room})) truncates it`);
      }
      return undefined;
    }
    case 'int':
    case 'bigint':
      if (from.type === 'INT' || (from.type === 'BIGINT' && column.kind === 'bigint')) return undefined;
      return mismatch('does not fit', `; CAST(… AS ${column.kind === 'int' ? 'INT' : 'BIGINT'}) converts it`);
    case 'decimal': {
      const target = to?.type === 'DECIMAL' ? `DECIMAL(${to.precision}, ${to.scale})` : 'DECIMAL(p, s)';
      if (!isExactNumeric(from) || to?.type !== 'DECIMAL') {
        const readable = from.type === 'STRING' || from.type === 'DOUBLE' || from.type === 'ANY';
        return mismatch('does not fit', readable ? `; CAST(… AS ${target}) reads it exactly` : '');
      }
      const d = asDecimal(from);
      if (d.scale > to.scale || d.precision - d.scale > to.precision - to.scale) {
        return mismatch('may not fit', `; CAST(… AS ${target}) rounds it (NULL when it is too large)`);
      }
      return undefined;
    }
    case 'datetime':
      if (from.type === 'TIMESTAMP') return undefined;
      if (isNumeric(from))
        return mismatch(
          'does not fit',
          '; epoch milliseconds are read with TO_TIMESTAMP_LTZ(x, 3), epoch seconds with TO_TIMESTAMP_LTZ(x, 0)',
        );
      return mismatch('does not fit', from.type === 'STRING' ? '; CAST(… AS TIMESTAMP(3)) reads it' : '');
    default:
      return mismatch('does not fit');
  }
}
