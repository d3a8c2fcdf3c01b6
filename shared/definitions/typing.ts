/**
 * Definition-time typing of scalar expressions: each builder checks its arguments' types, infers the
 * result's type and nullability with Flink SQL's rules, and returns the plain-data expression
 * (expression.ts) the interpreter (evaluate.ts) runs. A mistake is a TypeProblem naming the
 * argument it is about; a front end (the SQL one: shared/pipeline/sql.ts) turns it into an error at
 * that argument's position. This module is the builders' one entry point and says whether a typed
 * value fits a table column; the builders are in typing/, by job: typed.ts (a typed expression,
 * TypeProblem, literals, coercions), operators.ts, conditionals.ts (CASE, COALESCE, CAST),
 * functions.ts.
 */
import type { Column } from '../tables/table.ts';
import { asDecimal, columnType, isExactNumeric, isNumeric, showType } from './types.ts';
import { type Typed, typeOf } from './typing/typed.ts';

export {
  cast,
  castTarget,
  coalesce,
  ifThen,
  nullif,
  searchedCase,
} from './typing/conditionals.ts';
export { callFunction, concat, extract, FUNCTION_NAMES, NONDETERMINISTIC, trim } from './typing/functions.ts';
export {
  arithmetic,
  between,
  type ComparisonOperator,
  compare,
  element,
  inList,
  is,
  like,
  logical,
  negate,
  not,
} from './typing/operators.ts';
export {
  coerce,
  literal,
  literalOf,
  numberLiteral,
  stringLiteral,
  type Typed,
  TypeProblem,
  timestampLiteral,
  typeOf,
} from './typing/typed.ts';

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
