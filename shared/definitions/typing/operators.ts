/**
 * The typing of operators (../typing.ts): arithmetic, comparison, AND/OR/NOT, IS, IN, BETWEEN,
 * LIKE, and an element of a structured value (`x[k]`).
 */
import {
  ANY,
  asDecimal,
  BIGINT,
  BOOLEAN,
  boundedDecimal,
  DOUBLE,
  INT,
  isNumeric,
  type SqlType,
  showType,
} from '../types.ts';
import {
  call,
  expect,
  isBoolean,
  isInteger,
  isNullLiteral,
  isString,
  literal,
  literalOf,
  type Typed,
  TypeProblem,
  typeOf,
} from './typed.ts';

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

export function comparable(a: SqlType, b: SqlType): boolean {
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

export function condition(x: Typed, i: number, what: string): void {
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
