/**
 * The typing of the named functions (../typing.ts): strings, time, JSON; TRIM and EXTRACT's
 * special forms; the nondeterministic functions a statement may not call.
 */
import { parseJsonPath } from '../evaluate/json.ts';
import { safeRegExp } from '../evaluate/strings.ts';
import { DATE_FORMAT_LETTERS, dateFormatter, EXTRACT_UNITS } from '../evaluate/time.ts';
import { BIGINT, INT, isExactNumeric, isNumeric, STRING, stringType, TIMESTAMP } from '../types.ts';
import { cast, coalesce, ifThen, nullif } from './conditionals.ts';
import {
  arity,
  call,
  expect,
  isInteger,
  isNullLiteral,
  isString,
  literal,
  literalOf,
  stringLiteral,
  type Typed,
  TypeProblem,
  typeOf,
} from './typed.ts';

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

/** Each function's typing, by its SQL name (long because it is a table: one short entry per function). */
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
