/**
 * The typing of conditionals and conversions (../typing.ts): searched CASE, COALESCE, NULLIF, IF,
 * and CAST with its targets.
 */
import type { Expr } from '../expression.ts';
import {
  asDecimal,
  BIGINT,
  BOOLEAN,
  DOUBLE,
  decimalType,
  INT,
  isExactNumeric,
  isNumeric,
  type SqlType,
  STRING,
  showType,
  stringType,
  TIMESTAMP,
} from '../types.ts';
import { comparable, condition } from './operators.ts';
import {
  arity,
  call,
  coerce,
  common,
  isNullLiteral,
  literal,
  sameRepresentation,
  type Typed,
  TypeProblem,
  typeOf,
} from './typed.ts';

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
