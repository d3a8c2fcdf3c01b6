/**
 * The SQL form of declarative processors, for engineers who come from Flink SQL: INSERT … SELECT
 * statements compiled — when the domain is defined, in Node, never at the first event — into the
 * EventMapping and StateMapping definitions of declarative.ts. node-sql-parser parses (its
 * PostgreSQL grammar: the one that reads the aggregate `FILTER (WHERE …)` clause); this module only
 * reads its syntax tree and checks it against the tables, dimensions and event payload schemas.
 *
 * The dialect
 *
 * Event rows — one statement per event type, into an event table (keyed by event_id):
 *
 *   INSERT INTO product_event_wide
 *   SELECT e.productId AS product_id, e.userId AS user_id, e.referrer,
 *          p.product_name, p.category, p.brand, u.user_name, u.user_level, u.region
 *   FROM product_view e
 *   LEFT JOIN dim_product p ON p.product_id = e.productId
 *   LEFT JOIN dim_user u ON u.user_id = e.userId
 *
 * State rows — aggregated over one or more event types into a state table, grouped by its key:
 *
 *   INSERT INTO user_profile_wide
 *   SELECT e.userId AS user_id,
 *          COUNT(*) FILTER (WHERE type = 'user_login') AS login_count,
 *          COUNT(*) FILTER (WHERE type = 'user_view') AS view_count,
 *          COUNT(*) FILTER (WHERE type = 'user_purchase') AS purchase_count,
 *          SUM(e.amount) FILTER (WHERE type = 'user_purchase') AS purchase_amount,
 *          LAST_VALUE(CASE WHEN type = 'user_login' THEN TO_TIMESTAMP_LTZ(e.loginTime, 3) END) AS last_login_at,
 *          LAST_VALUE(CASE WHEN type = 'user_login' THEN e.device END) AS last_device,
 *          LAST_VALUE(u.user_name) AS user_name,
 *          LAST_VALUE(u.user_level) AS user_level,
 *          LAST_VALUE(u.region) AS region
 *   FROM events e
 *   LEFT JOIN dim_user u ON u.user_id = e.userId
 *   WHERE type IN ('user_login', 'user_purchase', 'user_view')
 *   GROUP BY e.userId
 *
 * docs/sql.md is the reference (what is supported, what is refused and why, the guide from Flink
 * SQL); in short:
 * - FROM names the event type (`FROM product_view e`). Several types: `FROM events e` with
 *   `WHERE type IN ('…', …)` (or `type = '…'`). An event table's statement reads exactly one type,
 *   and its WHERE may also hold conditions on payload values and dimension columns (ANDed with
 *   the type filter): an event they do not hold for is not written (it is done, not retried).
 * - `e.<field>` is a payload field (`e.address.city` a nested one, `e.items[1]` an array element,
 *   1-based, `e.attributes['k']` a map entry), `e` being the FROM alias (or, with no alias, the
 *   type's name). A field must exist in every event type it is read from. The envelope is read
 *   through functions, so it never collides with a payload field: event_id(), event_type(),
 *   event_time() (TIMESTAMP(3)), event_version(), event_source(), event_domain(). In a type filter,
 *   the bare word `type` is the event type.
 * - Dimensions: `LEFT JOIN <dimension table> [FOR SYSTEM_TIME AS OF e.proc_time] <alias> ON
 *   <alias>.<its key> = e.<payload field>` and nothing else in ON; `<alias>.<column>` reads one of
 *   the columns its lookup returns (NULL when the row is missing): the current row, through the
 *   warm cache.
 * - Values are typed scalar expressions (shared/definitions/typing.ts: CAST, arithmetic,
 *   comparisons, CASE, COALESCE, string, time and JSON functions) compiled to plain data and
 *   evaluated per event (shared/definitions/evaluate.ts); functions whose result changes on replay
 *   (NOW(), RAND(), UUID(), …) are refused.
 * - A column without AS takes the name of its source column (`e.referrer` → referrer, `p.brand` →
 *   brand); other values need AS, or a column list: `INSERT INTO t (a, b) SELECT …`. Identifiers
 *   are case-sensitive and written as they are named (`e.productId`); keywords and function names
 *   are not.
 * - Columns not selected stay NULL (or take their default; a state table's counters add 0); a NOT
 *   NULL column without a default must be selected, and so must a state column merged newest. A
 *   value that may be NULL (an optional field, a dimension column, NULL) cannot fill a NOT NULL
 *   column. Columns filled automatically — event tables' event_id, event_type, event_time,
 *   event_version, source, kafka_topic, kafka_partition, kafka_offset; state tables'
 *   last_event_time, last_event_key and every `newestBy` order-key column (SqlContext.automatic
 *   overrides the first two lists) — must not be selected, nor may columns the database fills.
 * - Types are checked against the column: a DECIMAL(p, s) column takes exact numbers whose scale
 *   and integer digits fit (else CAST), a VARCHAR(n) strings no longer than n when their length is
 *   known (else CAST(… AS VARCHAR(n))), a DATETIME a TIMESTAMP(3) (epoch milliseconds through
 *   TO_TIMESTAMP_LTZ(x, 3)), a JSON column anything (a string literal is the JSON text it spells).
 * - State statements select the table's key columns as plain values and GROUP BY exactly their
 *   sources; every other column is an aggregate, checked against the column's merge:
 *     COUNT(*) [FILTER (WHERE type …)]           → { count: true, when? }     merge 'add'
 *     SUM(src) [FILTER (WHERE type …)]           → { sum: src, when? }        merge 'add'
 *     LAST_VALUE(src)                            → { last: src }              merge 'newest' / 'newestOrFirst'
 *     LAST_VALUE(CASE WHEN type … THEN src END)  → { last: src, when }        merge { newestBy: k }
 *   The parser reads FILTER after COUNT and SUM but not after LAST_VALUE, so a filtered LAST_VALUE
 *   is written in the CASE form; COUNT(CASE WHEN type … THEN 1 END) and SUM(CASE WHEN type … THEN
 *   src END) are accepted too. A CASE has one WHEN and no ELSE (ELSE NULL, or ELSE 0 in SUM).
 *   Columns ordered by the same order key must be filtered to the same types.
 * - Several statements are separated by `;`; `--` and `/* … *\/` comments are allowed.
 * Anything else — subqueries, other joins, ORDER BY, DISTINCT, UNION, windows, UPDATE, DELETE, … —
 * is refused. Every mistake is a SqlDefinitionError naming the statement (its first line), a line
 * and column, and the offending identifier.
 *
 * The parser (node-sql-parser) is needed only to compile, and loaded only when compileSql first
 * runs — never by importing this module — so a bundle that imports it but loads precompiled mappings
 * (plain data) neither carries nor starts the parser.
 */
import { createRequire } from 'node:module';
import type { Parser } from 'node-sql-parser/build/postgresql.js';
import { fieldType, shapeOf } from '../definitions/payload-types.ts';
import {
  ANY,
  BOOLEAN,
  columnType,
  commonType,
  NULL,
  type SqlType,
  showType,
  stringType,
  TIMESTAMP,
} from '../definitions/types.ts';
import {
  arithmetic,
  between,
  type ComparisonOperator,
  callFunction,
  cast,
  castTarget,
  compare,
  concat,
  element,
  extract,
  FUNCTION_NAMES,
  inList,
  is,
  like,
  literal,
  logical,
  misfit,
  NONDETERMINISTIC,
  negate,
  not,
  numberLiteral,
  searchedCase,
  stringLiteral,
  type Typed,
  TypeProblem,
  timestampLiteral,
  trim,
} from '../definitions/typing.ts';
import type * as z from '../events/zod.ts';
import type { Column, Columns, Table } from '../tables/table.ts';
import type { Aggregate, EventMapping, Join, Source, StateMapping } from './declarative.ts';

/** What the statements are checked against. */
export interface SqlContext {
  /** Tables that may be written (shared/tables/table.ts): columns with kind and nullability, key, merges. */
  tables: readonly Pick<Table, 'name' | 'columns' | 'key' | 'merge'>[];
  /** Dimensions: name, table, key column and the columns a lookup returns. */
  dimensions: readonly {
    name: string;
    table: { name: string; columns: Columns };
    key: string;
    columns: readonly string[];
  }[];
  /** Event types with their payload schemas (a type may be listed once per payload version). */
  events: readonly { type: string; payload: z.ZodMiniType }[];
  /**
   * Columns the processor fills itself, which a statement must not select. Defaults: the standard
   * event columns, and the order columns of shared/domains/common.ts's state rows.
   */
  automatic: { event: readonly string[]; state: readonly string[] };
}

/** A mistake in a SQL definition, with where it is. */
export class SqlDefinitionError extends Error {
  override readonly name = 'SqlDefinitionError';
  /** The statement's first line. */
  readonly statement: string;
  /** 1-based line and column in the SQL text. */
  readonly line: number;
  readonly column: number;
  /** The offending identifier as it reads in the statement (`e.productIdd`, `dim_usr`, `'user_logn'`). */
  readonly identifier: string;

  constructor(problem: string, statement: string, line: number, column: number, identifier: string) {
    super(`${statement} — line ${line}, column ${column}, \`${identifier}\`: ${problem}`);
    this.statement = statement;
    this.line = line;
    this.column = column;
    this.identifier = identifier;
  }
}

let parser: Parser | undefined;

/** The parser, loaded on first use through require (which bundlers do not follow). */
function sqlParser(): Parser {
  if (!parser) {
    const load = createRequire(import.meta.url);
    let parserModule: typeof import('node-sql-parser/build/postgresql.js');
    try {
      parserModule = load('node-sql-parser/build/postgresql.js');
    } catch (error) {
      throw new Error(
        'compileSql: the SQL parser (node-sql-parser) is not installed here; compile SQL definitions before bundling',
        { cause: error },
      );
    }
    parser = new parserModule.Parser();
  }
  return parser;
}

/** trimQuery: false, or the parser's offsets would not count the text's leading whitespace. */
const PARSE_OPTIONS = { database: 'postgresql', parseOptions: { includeLocations: true }, trimQuery: false };

/** Compiles `;`-separated INSERT … SELECT statements into declarative mappings, in order. */
export function compileSql(sql: string, context: SqlContext): Array<EventMapping | StateMapping> {
  const text = new SqlText(sql);
  let parsed: unknown;
  try {
    parsed = sqlParser().astify(text.parsed, PARSE_OPTIONS);
  } catch (error) {
    throw text.parseError(error);
  }
  const asts = Array.isArray(parsed) ? parsed : [parsed];
  const statements = text.statements(asts.length);
  const world = new World(context);
  const compiled = asts.map((ast, i) => new Statement(asNode(ast), statements[i]!, text, world));
  const mappings = compiled.map((statement) => statement.compile());
  // A filtered event table and a state table over the same type: the event row is what makes the
  // state merge exactly once, so an event its filter drops would have nothing to merge by.
  for (const [i, mapping] of mappings.entries()) {
    if (!('types' in mapping)) continue;
    for (const type of mapping.types) {
      const filtered = compiled.find((s, j) => {
        const m = mappings[j]!;
        return !('types' in m) && m.type === type && m.where !== undefined && s.whereAt !== undefined;
      });
      if (filtered) {
        filtered.fail(
          `unsupported: WHERE on ${type}'s event-table statement while ${mapping.into} aggregates ${type} (statement ${i + 1}): an event the WHERE drops writes no event row, and the event row is what merges its state exactly once; filter the aggregate instead, or aggregate a type without a WHERE`,
          'WHERE',
          filtered.whereAt,
        );
      }
    }
  }
  return mappings;
}

// ------------------------------------------------------------------------------ the SQL text

interface Span {
  start: number;
  end: number;
  label: string;
}

/**
 * The SQL text, for positions the syntax tree does not carry: string literals and comments blanked
 * out (same offsets) so identifiers are found only where they are code, and the statements' spans.
 */
class SqlText {
  readonly raw: string;
  readonly masked: string;

  /** What the parser reads: the same offsets, with Flink syntax its grammar lacks rewritten. */
  readonly parsed: string;
  /** `FOR SYSTEM_TIME AS OF <ref>` clauses (blanked out of `parsed`): where each is, and its reference. */
  readonly systemTime: Array<{ at: number; refAt: number; parts: string[] }> = [];

  constructor(raw: string) {
    this.raw = raw;
    this.masked = mask(raw);
    let parsed = raw;
    const replace = (at: number, text: string) => {
      parsed = parsed.slice(0, at) + text + parsed.slice(at + text.length);
    };
    // CAST(x AS STRING): Flink's name for an unbounded VARCHAR, which the grammar calls TEXT.
    for (const match of this.masked.matchAll(/(?<![\w$])AS\s+(STRING)(?=\s*\))/gi)) {
      replace(match.index + match[0].length - match[1]!.length, 'TEXT  ');
    }
    // A Flink lookup join's FOR SYSTEM_TIME AS OF e.proc_time: checked by the statement, not parsed.
    const systemTime =
      /(?<![\w$])FOR\s+SYSTEM_TIME\s+AS\s+OF\s+((?:"?[\w$]+"?\s*\.\s*)*"?[\w$]+"?(?:\s*\(\s*\))?)/gi;
    for (const match of this.masked.matchAll(systemTime)) {
      const ref = match[1]!;
      this.systemTime.push({
        at: match.index,
        refAt: match.index + match[0].length - ref.length,
        parts: ref.split('.').map((p) => p.trim().replace(/^"|"$/g, '')),
      });
      replace(match.index, match[0].replace(/[^\n]/g, ' '));
    }
    this.parsed = parsed;
  }

  /** The statements' spans: the text between `;`s that holds code. */
  spans(): Span[] {
    const spans: Span[] = [];
    let from = 0;
    for (const part of this.masked.split(';')) {
      const lead = part.search(/\S/);
      if (lead >= 0)
        spans.push({
          start: from + lead,
          end: from + part.length,
          label: this.label(from + lead, from + part.length),
        });
      from += part.length + 1;
    }
    return spans;
  }

  /** The spans of the `count` statements the parser found (the whole text if they cannot be told apart). */
  statements(count: number): Span[] {
    const spans = this.spans();
    if (spans.length === count) return spans;
    const start = Math.max(0, this.masked.search(/\S/));
    const whole = { start, end: this.raw.length, label: this.label(start, this.raw.length) };
    return Array.from({ length: count }, () => whole);
  }

  label(start: number, end: number): string {
    const line = this.raw.slice(start, end).split('\n')[0]!.trim();
    return line.length > 80 ? `${line.slice(0, 79)}…` : line;
  }

  position(offset: number): { line: number; column: number } {
    const before = this.raw.slice(0, offset);
    const line = before.split('\n').length;
    return { line, column: offset - (before.lastIndexOf('\n') + 1) + 1 };
  }

  /** The offset of the first match of `pattern` in [from, to): in the code, or with `inRaw` in the raw text. */
  find(pattern: RegExp, from: number, to: number, inRaw = false): number | undefined {
    const search = new RegExp(pattern.source, `${pattern.flags.replace('g', '')}g`);
    search.lastIndex = from;
    const match = search.exec(inRaw ? this.raw : this.masked);
    return match && match.index < to ? match.index : undefined;
  }

  parseError(error: unknown): SqlDefinitionError {
    const message = error instanceof Error ? error.message : String(error);
    const offset = locationOf(error) ?? 0;
    const span = this.spans().find((s) => offset <= s.end) ?? { label: this.label(0, this.raw.length) };
    const found = /[\w$]+|\S/y;
    found.lastIndex = offset;
    const { line, column } = this.position(offset);
    return new SqlDefinitionError(
      `parse error: ${message}`,
      span.label,
      line,
      column,
      found.exec(this.raw)?.[0] ?? '',
    );
  }
}

function locationOf(error: unknown): number | undefined {
  const offset = asNode(asNode(asNode(error).location).start).offset;
  return typeof offset === 'number' ? offset : undefined;
}

/** Blanks out comments and the inside of string literals, keeping every offset and line break. */
function mask(raw: string): string {
  const blank = (s: string) => s.replace(/[^\n]/g, ' ');
  let out = '';
  let i = 0;
  while (i < raw.length) {
    const c = raw[i]!;
    const two = raw.slice(i, i + 2);
    let end: number;
    if (two === '--') {
      end = raw.indexOf('\n', i);
      if (end < 0) end = raw.length;
      out += blank(raw.slice(i, end));
    } else if (two === '/*') {
      end = raw.indexOf('*/', i + 2);
      end = end < 0 ? raw.length : end + 2;
      out += blank(raw.slice(i, end));
    } else if (c === "'" || c === '"') {
      end = i + 1;
      while (end < raw.length) {
        if (raw[end] !== c) end++;
        else if (raw[end + 1] === c) end += 2;
        else {
          end++;
          break;
        }
      }
      // Quoted identifiers stay (they are code); no `;` inside either splits a statement.
      const inside = raw.slice(i + 1, Math.max(i + 1, end - 1));
      out +=
        c + (c === "'" ? blank(inside) : inside.replace(/;/g, ' ')) + raw.slice(i + 1 + inside.length, end);
    } else {
      end = i + 1;
      out += c;
    }
    i = end;
  }
  return out;
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const word = (s: string) => `(?<![\\w$"])"?${escapeRegExp(s)}"?(?![\\w$])`;
/** `e.productId`, `"e"."productId"`, `e . productId`. */
const refPattern = (parts: readonly string[]) => new RegExp(parts.map(word).join('\\s*\\.\\s*'));
const keywordPattern = (...words: string[]) => new RegExp(`(?<![\\w$])${words.join('\\s+')}(?![\\w$])`, 'i');
const callPattern = (name: string) => new RegExp(`(?<![\\w$])${escapeRegExp(name)}\\s*\\(`, 'i');
const stringPattern = (value: string) => new RegExp(escapeRegExp(`'${value.replace(/'/g, "''")}'`));

// ----------------------------------------------------------------------------- syntax trees

/** A node of node-sql-parser's syntax tree, read defensively. */
type Node = { readonly [key: string]: unknown };
const asNode = (value: unknown): Node =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Node) : {};
const asList = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);
const asString = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
const offsetOf = (n: Node): number | undefined => {
  const offset = asNode(asNode(n.loc).start).offset;
  return typeof offset === 'number' ? offset : undefined;
};

const endOf = (n: Node): number | undefined => {
  const offset = asNode(asNode(n.loc).end).offset;
  return typeof offset === 'number' ? offset : undefined;
};

/** The parts of a column reference (`e.address.city` → e, address, city), or undefined. */
function referenceParts(expr: Node): string[] | undefined {
  if (expr.type !== 'column_ref') return undefined;
  const qualifiers = [expr.schema, expr.table].map(asString).filter((q): q is string => q !== undefined);
  const column = expr.column;
  if (typeof column === 'string') return column === '*' ? undefined : [...qualifiers, column];
  const inner = asNode(asNode(column).expr);
  const chain = dotted(inner);
  return chain ? [...qualifiers, ...chain] : undefined;
}

function dotted(n: unknown): string[] | undefined {
  if (typeof n === 'string') return [n];
  const node = asNode(n);
  if (node.type === 'binary_expr' && node.operator === '.') {
    const left = dotted(node.left);
    const right = dotted(node.right);
    return left && right ? [...left, ...right] : undefined;
  }
  const value = asString(node.value);
  return value === undefined || value === '*' ? undefined : [value];
}

const functionName = (expr: Node): string | undefined => {
  if (expr.type === 'aggr_func' || expr.type === 'window_func') return asString(expr.name);
  if (expr.type !== 'function') return undefined;
  const name = asNode(expr.name);
  const parts = asList(name.name).map((p) => asString(asNode(p).value) ?? '');
  return [asString(asNode(name.schema).value), ...parts].filter(Boolean).join('.');
};

const groupedExprs = (select: Node): Node[] =>
  asList(Array.isArray(select.groupby) ? select.groupby : asNode(select.groupby).columns).map(asNode);

/** The conditions a WHERE ANDs together. */
function conjunctsOf(n: Node): Node[] {
  if (n.type === 'binary_expr' && String(n.operator).toUpperCase() === 'AND' && !n.parentheses) {
    return [...conjunctsOf(asNode(n.left)), ...conjunctsOf(asNode(n.right))];
  }
  return [n];
}

/** `type = '…'` or `type IN ('…', …)`, the bare word type being the event type. */
function isTypeFilter(n: Node): boolean {
  if (n.type !== 'binary_expr') return false;
  const isType = (x: Node) => referenceParts(x)?.join('.') === 'type';
  const operator = String(n.operator).toUpperCase();
  if (operator === '=') return isType(asNode(n.left)) || isType(asNode(n.right));
  return operator === 'IN' && isType(asNode(n.left));
}

/** The first AND or OR in a condition. */
function logicalOperator(n: Node): string | undefined {
  if (n.type !== 'binary_expr') return undefined;
  const operator = String(n.operator).toUpperCase();
  if (operator === 'AND' || operator === 'OR') return operator;
  return logicalOperator(asNode(n.left)) ?? logicalOperator(asNode(n.right));
}

/** A record's own entry (never one of Object.prototype's: `constructor`, `toString`, …). */
const own = <T>(record: Readonly<Record<string, T>>, key: string): T | undefined =>
  Object.hasOwn(record, key) ? record[key] : undefined;

const isString = (n: Node) => n.type === 'single_quote_string' || n.type === 'string';

/** How an expression reads in the statement, for messages. */
function show(expr: Node): string {
  const parts = referenceParts(expr);
  if (parts) return parts.join('.');
  if (isString(expr)) return `'${String(expr.value)}'`;
  if (expr.type === 'number' || expr.type === 'bigint' || expr.type === 'bool') return String(expr.value);
  if (expr.type === 'null') return 'NULL';
  const name = functionName(expr);
  if (name) return `${name}(…)`;
  if (expr.type === 'binary_expr') return `… ${String(expr.operator)} …`;
  return String(expr.type ?? 'expression').toUpperCase();
}

// ----------------------------------------------------------------------------------- checks

const ENVELOPE: Record<string, { field: Extract<Source, { event: string }>['event']; type: SqlType }> = {
  event_id: { field: 'eventId', type: stringType(64) },
  event_type: { field: 'type', type: stringType(64) },
  event_time: { field: 'timestamp', type: TIMESTAMP },
  event_version: { field: 'version', type: stringType(9) },
  event_source: { field: 'source', type: stringType(64) },
  event_domain: { field: 'domain', type: stringType(32) },
};

/** The processing-time attribute a Flink lookup join names: `FOR SYSTEM_TIME AS OF e.proc_time`. */
const PROC_TIME = 'proc_time';

const callFunctionProblem = (name: string) =>
  `${name.toUpperCase()} is refused: its result changes from one run to the next, and a replayed event must write the same row; use event_time(), the event's own time`;

/**
 * The Source a typed value compiles to: the plain forms (payload field, envelope, dimension column,
 * string or integer literal) where the value is one, an expression otherwise.
 */
function sourceOf(typed: Typed): Source {
  const e = typed.expr;
  if (e.op === 'field' && e.path.every((p) => typeof p === 'string')) return { payload: e.path.join('.') };
  if (e.op === 'envelope') return { event: e.field };
  if (e.op === 'dimension') return { dimension: e.dimension, column: e.column };
  if (e.op === 'literal') {
    if (e.value === null) return { literal: null };
    if (e.t.type === 'STRING' && typeof e.value === 'string') return { literal: e.value };
    if (e.t.type === 'INT' && typeof e.value === 'string') return { literal: Number(e.value) };
  }
  return { expr: e };
}

/** The name of every event type at once: `FROM events e WHERE type IN (…)`. */
const ALL_EVENTS = 'events';

type Dimension = SqlContext['dimensions'][number];
type SqlTable = SqlContext['tables'][number];

/** The context, indexed. */
class World {
  readonly tables: ReadonlyMap<string, SqlTable>;
  readonly dimensionsByTable: ReadonlyMap<string, Dimension>;
  readonly payloads: ReadonlyMap<string, z.ZodMiniType[]>;
  readonly automaticEvent: ReadonlySet<string>;
  readonly automaticState: ReadonlySet<string>;

  constructor(context: SqlContext) {
    this.tables = new Map(context.tables.map((t) => [t.name, t]));
    this.dimensionsByTable = new Map(context.dimensions.map((d) => [d.table.name, d]));
    const payloads = new Map<string, z.ZodMiniType[]>();
    for (const e of context.events) payloads.set(e.type, [...(payloads.get(e.type) ?? []), e.payload]);
    this.payloads = payloads;
    this.automaticEvent = new Set(context.automatic.event);
    this.automaticState = new Set(context.automatic.state);
  }
}

/** A value, typed, with what the statement says of it. */
interface Value {
  typed: Typed;
  source: Source;
  /** May be NULL (a missing or optional field, a missing dimension row, NULL). */
  nullable: boolean;
  /** As written, for messages. */
  text: string;
  /** The source column's name (a column without AS is named after it). */
  name?: string | undefined;
  /** Where it is written. */
  at?: number | undefined;
}

interface SelectItem {
  column: string;
  at: number;
  /** A plain value (event rows, state keys) or an aggregate. */
  value?: Value;
  aggregate?: Aggregate;
  aggregateValue?: Value;
}

interface DimensionJoin {
  dimension: Dimension;
  alias: string;
  on: string;
}

/** One statement, compiled. */
class Statement {
  readonly ast: Node;
  readonly span: Span;
  readonly text: SqlText;
  readonly world: World;
  /** The FROM's name for the event (its alias or its type). */
  eventName = '';
  types: string[] = [];
  joins: DimensionJoin[] = [];
  /** `INSERT INTO t (a, b) SELECT …`: the columns, in order, and where each is named. */
  columnList: Array<{ name: string; at: number | undefined }> | undefined;
  /** The WHERE's conditions on values (event tables), and where the WHERE is. */
  predicate: Typed | undefined;
  whereAt: number | undefined;

  constructor(ast: Node, span: Span, text: SqlText, world: World) {
    this.ast = ast;
    this.span = span;
    this.text = text;
    this.world = world;
  }

  fail(problem: string, identifier: string, at?: number): never {
    const { line, column } = this.text.position(at ?? this.span.start);
    throw new SqlDefinitionError(problem, this.span.label, line, column, identifier);
  }

  locate(pattern: RegExp, from = this.span.start, inRaw = false): number | undefined {
    return this.text.find(pattern, Math.max(from, this.span.start), this.span.end, inRaw);
  }

  /** Where an expression is, at or after `from`. */
  locateExpr(expr: Node, from: number): number | undefined {
    if (expr.type === 'expr_list') return this.locateExpr(asNode(asList(expr.value)[0]), from);
    const parts = referenceParts(expr);
    if (parts) return this.locate(refPattern(parts), from);
    if (isString(expr)) return this.locate(stringPattern(String(expr.value)), from, true);
    if (expr.type === 'null') return this.locate(keywordPattern('NULL'), from);
    if (expr.type === 'case') return this.locate(keywordPattern('CASE'), from);
    if (expr.type === 'bool') return this.locate(keywordPattern(String(expr.value)), from);
    if (expr.type === 'number' || expr.type === 'bigint') {
      return this.locate(
        new RegExp(`(?<![\\w.])-?\\s*${escapeRegExp(String(expr.value).replace(/^-/, ''))}(?![\\w.])`),
        from,
      );
    }
    const name = functionName(expr);
    if (name) return this.locate(callPattern(name), from);
    if (expr.type === 'binary_expr' || expr.type === 'unary_expr') {
      return this.locateExpr(asNode(expr.left ?? expr.expr), from) ?? offsetOf(expr);
    }
    if (expr.type === 'cast') return this.locate(keywordPattern('CAST'), from) ?? offsetOf(expr);
    const keyword = typeof expr.type === 'string' && /^[a-z]+$/.test(expr.type) ? expr.type : undefined;
    return offsetOf(expr) ?? (keyword === undefined ? undefined : this.locate(keywordPattern(keyword), from));
  }

  unsupported(what: string, identifier: string, at?: number): never {
    return this.fail(`unsupported: ${what}`, identifier, at);
  }

  compile(): EventMapping | StateMapping {
    const ast = this.ast;
    if (ast.type !== 'insert') {
      const keyword = /\S+/.exec(this.text.raw.slice(this.span.start))?.[0] ?? String(ast.type);
      this.unsupported(`${keyword.toUpperCase()} statements; only INSERT INTO … SELECT`, keyword);
    }
    const targets = asList(ast.table).map(asNode);
    const targetName = asString(targets[0]?.table) ?? '';
    const targetAt = this.locate(new RegExp(`${keywordPattern('INTO').source}\\s*${word(targetName)}`, 'i'));
    const tableAt = targetAt === undefined ? undefined : this.locate(refPattern([targetName]), targetAt);
    if (targets.length !== 1 || targets[0]!.db)
      this.unsupported('one unqualified target table', targetName, tableAt);
    if (ast.columns) {
      let cursor = tableAt ?? this.span.start;
      this.columnList = asList(ast.columns).map((c) => {
        const name = asString(asNode(c).value) ?? asString(c) ?? '';
        const at = this.locate(refPattern([name]), cursor + 1);
        cursor = at ?? cursor;
        return { name, at };
      });
    }
    for (const key of ['returning', 'partition', 'on_duplicate_update', 'conflict', 'set']) {
      if (ast[key] !== null && ast[key] !== undefined) this.unsupported(key.toUpperCase(), key, tableAt);
    }
    const select = asNode(ast.values);
    if (select.type !== 'select') {
      this.unsupported(
        'INSERT … VALUES; write INSERT INTO … SELECT',
        'VALUES',
        this.locate(keywordPattern('VALUES')),
      );
    }
    const table = this.world.tables.get(targetName);
    if (!table) {
      const known = [...this.world.tables.keys()].filter((t) => !this.world.dimensionsByTable.has(t));
      this.fail(`unknown table ${targetName} (known: ${known.join(', ')})`, targetName, tableAt);
    }
    if (this.world.dimensionsByTable.has(targetName)) {
      this.fail(`${targetName} is a dimension table, read only`, targetName, tableAt);
    }
    this.checkClauses(select);
    const selectAt = this.locate(keywordPattern('SELECT')) ?? this.span.start;
    const fromAt = this.from(select, selectAt);
    this.systemTime(fromAt);
    const isEventTable = table.key.length === 1 && table.key[0] === 'event_id';
    this.where(select, fromAt, isEventTable);
    if (isEventTable && this.types.length !== 1) {
      const second = this.types[1]!;
      this.fail(
        `a statement into event table ${targetName} reads one event type, not ${this.types.join(', ')}`,
        second,
        this.locate(stringPattern(second), fromAt, true),
      );
    }
    const items = this.selectList(select, selectAt, isEventTable);
    const named = new Map<string, SelectItem>();
    for (const item of items) {
      const spec = own(table.columns, item.column);
      if (!spec) this.fail(`unknown column ${item.column} of ${targetName}`, item.column, item.at);
      if (named.has(item.column)) this.fail(`column ${item.column} is selected twice`, item.column, item.at);
      named.set(item.column, item);
      if (!spec.written) this.fail(`column ${item.column} is filled by the database`, item.column, item.at);
    }
    if (isEventTable && groupedExprs(select).length > 0) {
      const at = this.locate(keywordPattern('GROUP', 'BY'));
      this.unsupported(`GROUP BY into event table ${targetName} (one row per event)`, 'GROUP BY', at);
    }
    return isEventTable
      ? this.eventMapping(table, items, tableAt)
      : this.stateMapping(table, select, items, tableAt);
  }

  /** Refuses every clause of the SELECT but FROM, WHERE and GROUP BY. */
  checkClauses(select: Node): void {
    const empty = (v: unknown): boolean =>
      v === null ||
      v === undefined ||
      (Array.isArray(v) && v.length === 0) ||
      (typeof v === 'object' && Object.values(v as object).every((x) => empty(x) || x === ''));
    const clauses: Record<string, [string, string[]]> = {
      with: ['WITH', ['WITH']],
      options: ['SELECT options', ['SELECT']],
      distinct: ['DISTINCT', ['DISTINCT']],
      into: ['SELECT … INTO', ['INTO']],
      having: ['HAVING', ['HAVING']],
      orderby: ['ORDER BY', ['ORDER', 'BY']],
      limit: ['LIMIT', ['LIMIT']],
      window: ['WINDOW', ['WINDOW']],
      _next: ['UNION, INTERSECT and EXCEPT', ['(?:UNION|INTERSECT|EXCEPT)']],
      set_op: ['UNION, INTERSECT and EXCEPT', ['(?:UNION|INTERSECT|EXCEPT)']],
    };
    const allowed = new Set(['type', 'columns', 'from', 'where', 'groupby', 'loc']);
    for (const [key, value] of Object.entries(select)) {
      if (allowed.has(key) || empty(value)) continue;
      const [what, words] = clauses[key] ?? [key.toUpperCase(), [key]];
      const at = this.locate(keywordPattern(...words), this.locate(keywordPattern('SELECT')));
      const written =
        at === undefined ? undefined : keywordPattern(...words).exec(this.text.raw.slice(at))?.[0];
      this.unsupported(what, written ?? what, at);
    }
  }

  // ------------------------------------------------------------------------------- FROM, WHERE

  /** Reads FROM and its joins; returns where FROM is. */
  from(select: Node, selectAt: number): number {
    const entries = asList(select.from).map(asNode);
    if (entries.length === 0) this.unsupported('a SELECT without FROM', 'SELECT', selectAt);
    const fromAt =
      this.locate(
        new RegExp(`${keywordPattern('FROM').source}\\s*${word(asString(entries[0]!.table) ?? '')}`, 'i'),
        selectAt,
      ) ??
      this.locate(keywordPattern('FROM'), selectAt) ??
      selectAt;
    let cursor = fromAt;
    for (const [i, entry] of entries.entries()) {
      const name = asString(entry.table);
      const at = name === undefined ? cursor : (this.locate(refPattern([name]), cursor) ?? cursor);
      cursor = at + 1;
      if (!name || entry.expr) this.unsupported('a subquery or expression in FROM', name ?? '(', at);
      if (entry.db || entry.schema)
        this.unsupported('a qualified table name in FROM', `${String(entry.db ?? entry.schema)}.${name}`, at);
      const alias = asString(entry.as) ?? name;
      if (i === 0) {
        if (entry.join) this.unsupported('FROM starting with a join', name, at);
        this.eventName = alias;
        if (name === ALL_EVENTS) continue;
        if (!this.world.payloads.has(name)) this.unknownType(name, at);
        this.types = [name];
        continue;
      }
      if (!entry.join) {
        this.unsupported(
          `several tables in FROM; read several event types with FROM ${ALL_EVENTS} e WHERE type IN (…)`,
          name,
          at,
        );
      }
      if (entry.join !== 'LEFT JOIN' && entry.join !== 'LEFT OUTER JOIN') {
        this.unsupported(`${String(entry.join)}; dimensions are joined with LEFT JOIN`, name, at);
      }
      this.join(entry, name, alias, at);
    }
    return fromAt;
  }

  unknownType(name: string, at: number | undefined): never {
    this.fail(`unknown event type ${name} (known: ${[...this.world.payloads.keys()].join(', ')})`, name, at);
  }

  join(entry: Node, name: string, alias: string, at: number): void {
    const dimension = this.world.dimensionsByTable.get(name);
    if (!dimension) {
      const known = [...this.world.dimensionsByTable.keys()].join(', ');
      this.fail(`unknown dimension table ${name} (known: ${known})`, name, at);
    }
    if (this.joins.some((j) => j.dimension === dimension)) this.fail(`${name} is joined twice`, name, at);
    if (alias === this.eventName || this.joins.some((j) => j.alias === alias)) {
      this.fail(`alias ${alias} is used twice`, alias, at);
    }
    const on = asNode(entry.on);
    const onAt = offsetOf(on) ?? this.locate(keywordPattern('ON'), at);
    if (entry.using || on.type !== 'binary_expr' || on.operator !== '=') {
      this.unsupported(
        `a join condition other than ${alias}.${dimension.key} = ${this.eventName}.<payload field>`,
        entry.using ? 'USING' : 'ON',
        onAt,
      );
    }
    const sides = [asNode(on.left), asNode(on.right)].map((side) => ({ side, parts: referenceParts(side) }));
    const mine = sides.find((s) => s.parts?.[0] === alias && s.parts.length === 2);
    const other = sides.find((s) => s !== mine);
    if (!mine || !other?.parts || other.parts[0] !== this.eventName || other.parts.length < 2) {
      const offender = sides.find((s) => !s.parts) ?? sides[1]!;
      this.unsupported(
        `a join condition other than ${alias}.${dimension.key} = ${this.eventName}.<payload field>`,
        show(offender.side),
        this.locateExpr(offender.side, onAt ?? at) ?? onAt,
      );
    }
    const column = mine.parts![1]!;
    if (column !== dimension.key) {
      this.unsupported(
        `a join not on the key of ${name} (${dimension.key})`,
        `${alias}.${column}`,
        this.locate(refPattern(mine.parts!), onAt ?? at),
      );
    }
    this.joins.push({ dimension, alias, on: other.parts.slice(1).join('.') });
    // The join's payload field is checked once the statement's types are known.
  }

  /** `FOR SYSTEM_TIME AS OF e.proc_time` after a lookup join's table: the current row. */
  systemTime(fromAt: number): void {
    for (const clause of this.text.systemTime) {
      if (clause.at < this.span.start || clause.at >= this.span.end) continue;
      const [qualifier, field, ...rest] = clause.parts;
      if (clause.at < fromAt || qualifier !== this.eventName || field !== PROC_TIME || rest.length > 0) {
        this.unsupported(
          `FOR SYSTEM_TIME AS OF ${clause.parts.join('.')}; a lookup join reads the dimension's current row (through the warm cache), written FOR SYSTEM_TIME AS OF ${this.eventName}.${PROC_TIME}`,
          clause.parts.join('.'),
          clause.refAt,
        );
      }
    }
  }

  /**
   * WHERE: the event types (`type = '…'`, `type IN (…)`, after FROM events) and, for an event
   * table, conditions on payload values and dimension columns, ANDed: an event they do not hold for
   * is not written to the table.
   */
  where(select: Node, fromAt: number, isEventTable: boolean): void {
    const where = asNode(select.where);
    const whereAt = this.locate(keywordPattern('WHERE'), fromAt);
    const conjuncts = select.where ? conjunctsOf(where) : [];
    const typeFilters = conjuncts.filter(isTypeFilter);
    const conditions = conjuncts.filter((c) => !isTypeFilter(c));
    if (this.types.length === 0) {
      if (!select.where) {
        this.fail(
          `FROM ${ALL_EVENTS} needs WHERE type IN ('…', …)`,
          ALL_EVENTS,
          this.locate(refPattern([ALL_EVENTS]), fromAt),
        );
      }
      // No type filter among the conditions: typeFilter says what is wrong with the WHERE.
      if (typeFilters.length === 0) this.typeFilter(where, offsetOf(where) ?? whereAt ?? fromAt, 'WHERE');
      if (typeFilters.length > 1) {
        const second = typeFilters[1]!;
        this.unsupported(
          'two type filters in one WHERE',
          'type',
          this.locateExpr(second, (whereAt ?? fromAt) + 1),
        );
      }
      const filter = typeFilters[0]!;
      this.types = this.typeFilter(filter, this.locateExpr(filter, whereAt ?? fromAt) ?? whereAt, 'WHERE');
      for (const type of this.types) {
        if (!this.world.payloads.has(type))
          this.unknownType(type, this.locate(stringPattern(type), whereAt, true));
      }
    } else if (typeFilters.length > 0) {
      this.unsupported(
        `a type filter after FROM <event type>; the statement reads ${this.types.join(', ')} (FROM ${ALL_EVENTS} e WHERE type IN (…) reads several)`,
        'type',
        this.locateExpr(typeFilters[0]!, whereAt ?? fromAt),
      );
    }
    for (const join of this.joins) {
      const at = this.locate(refPattern([this.eventName, ...join.on.split('.')]), fromAt);
      this.payload(join.on.split('.'), this.types, at, `${this.eventName}.${join.on}`);
    }
    if (conditions.length === 0) return;
    this.whereAt = whereAt;
    const first = this.locateExpr(conditions[0]!, whereAt ?? fromAt) ?? whereAt;
    if (!isEventTable) {
      this.unsupported(
        'a WHERE condition on values in a statement into a state table (aggregates are filtered by event type only, for now)',
        show(conditions[0]!),
        first,
      );
    }
    const values = conditions.map((c) =>
      this.value(c, this.types, this.locateExpr(c, whereAt ?? fromAt) ?? first),
    );
    for (const v of values) {
      if (v.typed.expr.t.type !== 'BOOLEAN' && v.typed.expr.t.type !== 'NULL') {
        this.fail(`WHERE needs a condition (BOOLEAN), not ${showType(v.typed.expr.t)}`, v.text, v.at);
      }
    }
    this.predicate =
      values.length === 1
        ? values[0]!.typed
        : logical(
            'AND',
            values.map((v) => v.typed),
          );
  }

  /** `type = '…'` or `type IN ('…', …)`: the event types. */
  typeFilter(cond: Node, at: number | undefined, clause: string): string[] {
    const left = asNode(cond.left);
    const right = asNode(cond.right);
    const isType = (n: Node) => referenceParts(n)?.join('.') === 'type';
    const values =
      cond.type === 'binary_expr' && cond.operator === '=' && isType(left) && isString(right)
        ? [right]
        : cond.type === 'binary_expr' && cond.operator === '=' && isType(right) && isString(left)
          ? [left]
          : cond.type === 'binary_expr' &&
              cond.operator === 'IN' &&
              isType(left) &&
              right.type === 'expr_list'
            ? asList(right.value).map(asNode)
            : undefined;
    if (!values || values.length === 0 || !values.every(isString)) {
      const operator = logicalOperator(cond);
      if (operator) {
        const where = this.locate(keywordPattern(operator), (at ?? this.span.start) - 1);
        this.unsupported(`${clause} other than one type = '…' or type IN ('…', …)`, operator, where);
      }
      const parts = referenceParts(left);
      const hint =
        parts && parts.length === 2 && parts[1] === 'type'
          ? ` (the event type is the bare word type; ${show(left)} would be a payload field)`
          : '';
      const where = this.locateExpr(left, (at ?? this.span.start) - 1) ?? at;
      this.unsupported(`${clause} other than type = '…' or type IN ('…', …)${hint}`, show(left), where);
    }
    return [...new Set(values.map((v) => String(v.value)))];
  }

  // --------------------------------------------------------------------------------- values

  /** A payload field (names and 0-based indexes), checked in every type it is read from. */
  payload(
    path: Array<string | number>,
    types: readonly string[],
    at: number | undefined,
    text: string,
  ): Value {
    let type: SqlType | undefined;
    let nullable = false;
    for (const t of types) {
      const schemas = this.world.payloads.get(t) ?? [];
      let found = false;
      for (const schema of schemas) {
        const field = fieldType(schema, path);
        if (!field) {
          nullable = true;
          continue;
        }
        found = true;
        const next: SqlType | undefined = type ? commonType(type, field.type) : field.type;
        type = next ?? ANY;
        if (field.nullable) nullable = true;
      }
      if (!found) {
        const fields = schemas.flatMap((s) => Object.keys(shapeOf(s) ?? {}));
        const hint =
          path[0] === 'payload' && path.length > 1
            ? `; payload fields are read as ${this.eventName}.<field>`
            : path.length === 1
              ? ` (fields: ${[...new Set(fields)].join(', ')})`
              : '';
        this.fail(`unknown payload field ${path.join('.')} of ${t}${hint}`, text, at);
      }
    }
    const typed: Typed = { expr: { op: 'field', path, t: type ?? ANY }, nullable };
    return { typed, source: sourceOf(typed), nullable, text, name: String(path.at(-1)!) };
  }

  /** A value: a payload field, a dimension column, an envelope function, a literal or an expression of them. */
  value(expr: Node, types: readonly string[], at: number | undefined): Value {
    const where = this.locateExpr(expr, at ?? this.span.start) ?? at;
    const value = this.expression(expr, types, where);
    return { ...value, at: where };
  }

  /** Types an expression (shared/definitions/typing.ts), failing at the argument a TypeProblem names. */
  expression(expr: Node, types: readonly string[], at: number | undefined): Value {
    const sub = (n: Node) => this.expression(n, types, this.locateExpr(n, at ?? this.span.start) ?? at);
    const built = (make: () => Typed, args: Node[], text = show(expr), name?: string): Value => {
      try {
        const typed = make();
        return { typed, source: sourceOf(typed), nullable: typed.nullable, text, ...(name ? { name } : {}) };
      } catch (error) {
        if (!(error instanceof TypeProblem)) throw error;
        const arg = error.argument === undefined ? undefined : args[error.argument];
        const argAt = arg ? (this.locateExpr(arg, at ?? this.span.start) ?? at) : at;
        return this.fail(error.message, arg ? show(arg) : text, argAt);
      }
    };
    const parts = referenceParts(expr);
    if (parts) {
      const value = this.reference(parts, types, at);
      const subscripts = asList(expr.array_index).map(asNode);
      let current = value;
      for (const subscript of subscripts) {
        const index = asNode(subscript.index);
        const key = this.expression(index, types, at);
        const base = current;
        current = built(() => element(base.typed, key.typed), [expr, index], `${base.text}[${key.text}]`);
        current.name = undefined;
      }
      return current;
    }
    if (isString(expr)) {
      const typed = stringLiteral(String(expr.value).replace(/''/g, "'"));
      return { typed, source: sourceOf(typed), nullable: false, text: show(expr) };
    }
    if (expr.type === 'null') {
      const typed = literal(null, NULL);
      return { typed, source: { literal: null }, nullable: true, text: 'NULL' };
    }
    if (expr.type === 'bool') {
      const typed = literal(Boolean(expr.value), BOOLEAN);
      return { typed, source: sourceOf(typed), nullable: false, text: show(expr) };
    }
    if (expr.type === 'number' || expr.type === 'bigint')
      return built(() => numberLiteral(String(expr.value)), []);
    if (expr.type === 'timestamp')
      return built(() => timestampLiteral(String(expr.value)), [], `TIMESTAMP '${String(expr.value)}'`);
    const name = functionName(expr);
    if (expr.type === 'aggr_func' || expr.type === 'window_func' || (name && /^last_value$/i.test(name))) {
      this.unsupported(
        'an aggregate here',
        name ?? show(expr),
        this.locateExpr(expr, at ?? this.span.start) ?? at,
      );
    }
    if (
      expr.type === 'select' ||
      expr.ast ||
      asNode(expr.value).ast ||
      asList(expr.value).some((v) => asNode(v).ast) ||
      asList(asNode(expr.right).value).some((v) => asNode(v).ast)
    ) {
      this.unsupported(
        'a subquery',
        'SELECT',
        this.locate(keywordPattern('SELECT'), (at ?? this.span.start) + 1) ?? at,
      );
    }
    if (expr.type === 'function' && name) return this.functionCall(expr, name, at, sub, built);
    if (expr.type === 'cast') {
      const target = asNode(asList(expr.target)[0]);
      const dataType = asString(target.dataType) ?? '';
      const length = typeof target.length === 'number' ? target.length : undefined;
      const scale = typeof target.scale === 'number' ? target.scale : undefined;
      const to = castTarget(dataType, length, scale);
      const shown = `${dataType === 'TEXT' ? 'STRING' : dataType}${length === undefined ? '' : `(${length}${scale === undefined ? '' : `, ${scale}`})`}`;
      if (!to) {
        this.unsupported(
          `CAST to ${shown}; the targets are STRING, VARCHAR(n), DECIMAL(p, s), INT, BIGINT, DOUBLE, BOOLEAN, TIMESTAMP(3)`,
          shown,
          this.locate(
            new RegExp(escapeRegExp(dataType === 'TEXT' ? 'STRING' : dataType), 'i'),
            at ?? this.span.start,
          ) ?? at,
        );
      }
      const inner = asNode(expr.expr);
      const value = sub(inner);
      return built(() => cast(value.typed, to), [inner], `CAST(${value.text} AS ${shown})`);
    }
    if (expr.type === 'extract') {
      const args = asNode(expr.args);
      const source = asNode(args.source);
      const value = sub(source);
      return built(
        () => extract(String(args.field), value.typed),
        [source],
        `EXTRACT(${String(args.field)} FROM …)`,
      );
    }
    if (expr.type === 'case') return this.caseExpression(expr, sub, built);
    if (expr.type === 'unary_expr') {
      const operator = String(expr.operator).toUpperCase();
      const inner = asNode(expr.expr);
      const value = sub(inner);
      if (operator === '-') return built(() => negate(value.typed), [inner]);
      if (operator === '+') return value;
      if (operator === 'NOT') return built(() => not(value.typed), [inner], `NOT ${value.text}`);
    }
    if (expr.type === 'binary_expr') return this.binary(expr, at, sub, built);
    if (expr.type === 'column_ref' && asString(asNode(asNode(expr.column).expr).value)) {
      // An unqualified column: LOCALTIMESTAMP and friends read as one.
      const word = String(asNode(asNode(expr.column).expr).value);
      if (NONDETERMINISTIC.has(word.toUpperCase())) return built(() => callFunction(word, [])!, []);
    }
    const what = `the expression ${show(expr)}`;
    return this.unsupported(
      `${what} (docs/sql.md lists what a statement can say)`,
      show(expr),
      offsetOf(expr) ?? this.locateExpr(expr, at ?? this.span.start) ?? at,
    );
  }

  /** `e.<field>…`, `<alias>.<column>`. */
  reference(parts: string[], types: readonly string[], at: number | undefined): Value {
    const text = parts.join('.');
    const exact = this.locate(refPattern(parts), at) ?? at;
    const [qualifier, ...rest] = parts;
    if (parts.length === 1) {
      if (NONDETERMINISTIC.has(text.toUpperCase())) {
        this.fail(callFunctionProblem(text), text, exact);
      }
      this.fail(
        `unqualified column ${text}; write ${this.eventName}.${text} for a payload field or <alias>.${text} for a dimension column`,
        text,
        exact,
      );
    }
    if (qualifier === this.eventName) {
      if (rest.length === 1 && rest[0] === PROC_TIME) {
        this.unsupported(
          `${text} outside FOR SYSTEM_TIME AS OF; it is the processing time, which a replayed event would not share — use event_time()`,
          text,
          exact,
        );
      }
      return this.payload(rest, types, exact, text);
    }
    const join = this.joins.find((j) => j.alias === qualifier);
    if (!join) {
      const aliases = [this.eventName, ...this.joins.map((j) => j.alias)].join(', ');
      this.fail(`unknown table or alias ${qualifier} in ${text} (known: ${aliases})`, text, exact);
    }
    const column = rest.join('.');
    const { dimension } = join;
    if (!dimension.columns.includes(column)) {
      this.fail(
        `unknown column ${column} of dimension ${dimension.table.name} (its lookup returns ${dimension.columns.join(', ')})`,
        text,
        exact,
      );
    }
    const spec = dimension.table.columns[column];
    const typed: Typed = {
      expr: { op: 'dimension', dimension: dimension.name, column, t: (spec && columnType(spec)) ?? ANY },
      nullable: true,
    };
    return { typed, source: sourceOf(typed), nullable: true, text, name: column };
  }

  functionCall(
    expr: Node,
    name: string,
    at: number | undefined,
    sub: (n: Node) => Value,
    built: (make: () => Typed, args: Node[], text?: string, name?: string) => Value,
  ): Value {
    const upper = name.toUpperCase();
    const envelope = own(ENVELOPE, name.toLowerCase());
    const argNodes = asList(asNode(expr.args).value).map(asNode);
    const callAt = this.locateExpr(expr, at ?? this.span.start) ?? at;
    if (envelope) {
      if (argNodes.length > 0) this.unsupported(`arguments to ${name}()`, name, callAt);
      const typed: Typed = {
        expr: { op: 'envelope', field: envelope.field, t: envelope.type },
        nullable: false,
      };
      return { typed, source: sourceOf(typed), nullable: false, text: `${name}()`, name: name.toLowerCase() };
    }
    if (NONDETERMINISTIC.has(upper)) this.fail(callFunctionProblem(upper), name, callAt);
    if (upper === 'NOT' && argNodes.length === 1) {
      const value = sub(argNodes[0]!);
      return built(() => not(value.typed), argNodes, `NOT ${value.text}`);
    }
    if (upper === 'TRIM') {
      // TRIM([BOTH | LEADING | TRAILING] [chars] [FROM] s), as the parser lists the words.
      const words = argNodes.map((a) => (a.type === 'origin' ? String(a.value).toUpperCase() : undefined));
      const mode = (['BOTH', 'LEADING', 'TRAILING'] as const).find((m) => words[0] === m) ?? 'BOTH';
      const values = argNodes.filter((_, i) => words[i] === undefined);
      const hasFrom = words.includes('FROM');
      const chars = hasFrom && values.length === 2 ? values[0] : undefined;
      const target = values.at(-1);
      if (!target || values.length > (hasFrom ? 2 : 1)) this.unsupported('this form of TRIM', 'TRIM', callAt);
      const charsValue = chars && sub(chars);
      const value = sub(target);
      return built(() => trim(mode, charsValue?.typed, [value.typed]), chars ? [chars, target] : [target]);
    }
    const args = argNodes.map(sub);
    const value = built(() => {
      const typed = callFunction(
        upper,
        args.map((a) => a.typed),
      );
      if (!typed) {
        const envelopes = Object.keys(ENVELOPE)
          .map((f) => `${f}()`)
          .join(', ');
        throw new TypeProblem(
          `unsupported: function ${name} (docs/sql.md lists the functions: ${FUNCTION_NAMES.join(', ')}; the envelope's ${envelopes}; the aggregates COUNT, SUM, LAST_VALUE)`,
        );
      }
      return typed;
    }, argNodes);
    return value;
  }

  caseExpression(
    expr: Node,
    sub: (n: Node) => Value,
    built: (make: () => Typed, args: Node[], text?: string) => Value,
  ): Value {
    const branches = asList(expr.args).map(asNode);
    const subject = expr.expr ? asNode(expr.expr) : undefined;
    const subjectValue = subject && sub(subject);
    const whens = branches.filter((b) => b.type === 'when');
    const otherwise = branches.find((b) => b.type === 'else');
    const nodes: Node[] = [];
    const pairs: Array<[Typed, Typed]> = [];
    for (const branch of whens) {
      const condNode = asNode(branch.cond);
      const resultNode = asNode(branch.result);
      const cond = sub(condNode);
      const result = sub(resultNode);
      nodes.push(condNode, resultNode);
      pairs.push([cond.typed, result.typed]);
    }
    const elseNode = otherwise ? asNode(otherwise.result) : undefined;
    const elseValue = elseNode && sub(elseNode);
    if (elseNode) nodes.push(elseNode);
    return built(
      () => {
        const conditions = subjectValue
          ? pairs.map(([v, r]): [Typed, Typed] => {
              try {
                return [compare('=', subjectValue.typed, v), r];
              } catch (error) {
                if (error instanceof TypeProblem) {
                  throw new TypeProblem(error.message, pairs.findIndex(([w]) => w === v) * 2);
                }
                throw error;
              }
            })
          : pairs;
        return searchedCase(conditions, elseValue?.typed);
      },
      nodes,
      'CASE',
    );
  }

  binary(
    expr: Node,
    at: number | undefined,
    sub: (n: Node) => Value,
    built: (make: () => Typed, args: Node[], text?: string) => Value,
  ): Value {
    const operator = String(expr.operator).toUpperCase();
    const leftNode = asNode(expr.left);
    const rightNode = asNode(expr.right);
    if (operator === '.') return this.unsupported('this reference', show(expr), at);
    const left = sub(leftNode);
    const listNodes = rightNode.type === 'expr_list' ? asList(rightNode.value).map(asNode) : undefined;
    if (operator === 'IN' || operator === 'NOT IN') {
      const list = (listNodes ?? [rightNode]).map(sub);
      return built(
        () =>
          inList(
            left.typed,
            list.map((v) => v.typed),
            operator === 'NOT IN',
          ),
        [leftNode, ...(listNodes ?? [rightNode])],
        `${left.text} ${operator} (…)`,
      );
    }
    if (operator === 'BETWEEN' || operator === 'NOT BETWEEN') {
      const [low, high] = (listNodes ?? []).map(sub);
      if (!low || !high) this.unsupported(`this form of ${operator}`, operator, at);
      return built(
        () => between(left.typed, low.typed, high.typed, operator === 'NOT BETWEEN'),
        [leftNode, ...(listNodes ?? [])],
      );
    }
    if (operator === 'IS' || operator === 'IS NOT') {
      const what =
        rightNode.type === 'null'
          ? 'NULL'
          : rightNode.type === 'bool'
            ? rightNode.value
              ? 'TRUE'
              : 'FALSE'
            : undefined;
      if (!what) this.unsupported(`${operator} ${show(rightNode)}`, operator, at);
      return built(() => is(left.typed, what, operator === 'IS NOT'), [leftNode]);
    }
    if (operator === 'LIKE' || operator === 'NOT LIKE') {
      const pattern = sub(rightNode);
      const escapeNode = asNode(asNode(rightNode.escape).value);
      const escaped = rightNode.escape ? sub(escapeNode) : undefined;
      return built(
        () => like(left.typed, pattern.typed, escaped?.typed, operator === 'NOT LIKE'),
        [leftNode, rightNode, escapeNode],
      );
    }
    const right = sub(rightNode);
    const args = [leftNode, rightNode];
    if (operator === 'AND' || operator === 'OR')
      return built(() => logical(operator, [left.typed, right.typed]), args);
    if (operator === '||') return built(() => concat(left.typed, right.typed), args);
    if (operator === '+' || operator === '-' || operator === '*' || operator === '/' || operator === '%') {
      return built(() => arithmetic(operator, left.typed, right.typed), args);
    }
    if (['=', '<>', '!=', '<', '<=', '>', '>='].includes(operator)) {
      return built(() => compare(operator as ComparisonOperator, left.typed, right.typed), args);
    }
    return this.unsupported(
      `the operator ${operator}`,
      operator,
      this.locate(new RegExp(escapeRegExp(operator), 'i'), at ?? this.span.start) ?? at,
    );
  }

  /** Checks a value against the column it fills. */
  fits(value: Value, column: string, spec: Column, at: number | undefined, canBeNull = value.nullable): void {
    const where = value.at ?? at;
    if (canBeNull && !spec.nullable) {
      const isNull = 'literal' in value.source && value.source.literal === null;
      const problem = isNull ? 'NULL cannot fill it' : `${value.text} may be NULL`;
      this.fail(`column ${column} is NOT NULL but ${problem}`, value.text, where);
    }
    const problem = misfit(value.typed, spec, column, value.text);
    if (problem) this.fail(problem, value.text, where);
  }

  // ---------------------------------------------------------------------------- select list

  selectList(select: Node, selectAt: number, isEventTable: boolean): SelectItem[] {
    let cursor = selectAt;
    const items: SelectItem[] = [];
    const columns = asList(select.columns).map(asNode);
    const list = this.columnList;
    if (list && list.length !== columns.length) {
      this.fail(
        `the column list names ${list.length} column${list.length === 1 ? '' : 's'} but the SELECT has ${columns.length}`,
        list[0]?.name ?? '(',
        list[0]?.at,
      );
    }
    for (const [i, raw] of columns.entries()) {
      const expr = asNode(raw.expr);
      if (
        raw.type === 'star' ||
        (expr.type === 'column_ref' && referenceParts(expr) === undefined && !expr.array_index)
      ) {
        this.unsupported('SELECT *; name every column', '*', this.locate(/\*/, cursor));
      }
      const at = offsetOf(expr) ?? this.locateExpr(expr, cursor) ?? cursor;
      const end = endOf(expr);
      const alias = asString(raw.as) ?? asString(asNode(raw.as).value);
      const aliasFrom = end ?? at;
      const aliasAt =
        alias === undefined
          ? undefined
          : (this.locate(new RegExp(`${keywordPattern('AS').source}\\s*${word(alias)}`, 'i'), aliasFrom) ??
            this.locate(refPattern([alias]), aliasFrom));
      const named = list?.[i];
      const columnAt = named
        ? (named.at ?? at)
        : aliasAt === undefined
          ? at
          : (this.locate(refPattern([alias!]), aliasAt) ?? aliasAt);
      cursor = Math.max(end ?? at, aliasAt ?? at) + 1;
      const aggregate = this.aggregateOf(expr);
      if (aggregate) {
        if (isEventTable) {
          this.unsupported(`aggregate ${aggregate} into an event table (one row per event)`, aggregate, at);
        }
        const column = named?.name ?? alias;
        if (column === undefined) this.fail(`${aggregate}(…) needs AS <column>`, aggregate, at);
        items.push({ column, at: columnAt, ...this.aggregate(expr, aggregate, at) });
        continue;
      }
      const value = this.value(expr, this.types, at);
      const column = named?.name ?? alias ?? value.name;
      if (column === undefined) this.fail(`${value.text} needs AS <column>`, value.text, at);
      if (!named && value.source && 'event' in value.source && alias === undefined) {
        this.fail(`${value.text} needs AS <column>`, value.text, at);
      }
      items.push({ column, at: columnAt, value });
    }
    return items;
  }

  aggregateOf(expr: Node): 'COUNT' | 'SUM' | 'LAST_VALUE' | undefined {
    const name = functionName(expr)?.toUpperCase();
    if (expr.type === 'window_func' || asNode(expr).over) {
      this.unsupported(
        'OVER (a window); LAST_VALUE aggregates over the key without one',
        'OVER',
        this.locate(keywordPattern('OVER'), this.locateExpr(expr, this.span.start)),
      );
    }
    if (expr.type === 'aggr_func') {
      if (name === 'COUNT' || name === 'SUM') return name;
      this.unsupported(
        `aggregate ${name}; the aggregates are COUNT(*), SUM and LAST_VALUE`,
        name ?? '',
        this.locateExpr(expr, this.span.start),
      );
    }
    if (expr.type === 'function' && name === 'LAST_VALUE') return 'LAST_VALUE';
    return undefined;
  }

  /** COUNT(*), SUM(src), LAST_VALUE(src), each with a FILTER or in the CASE form. */
  aggregate(
    expr: Node,
    kind: 'COUNT' | 'SUM' | 'LAST_VALUE',
    at: number,
  ): Pick<SelectItem, 'aggregate' | 'aggregateValue'> {
    const args = asNode(expr.args);
    const argList = kind === 'LAST_VALUE' ? asList(args.value).map(asNode) : [asNode(args.expr)];
    if (args.distinct)
      this.unsupported(`${kind}(DISTINCT …)`, 'DISTINCT', this.locate(keywordPattern('DISTINCT'), at));
    if (argList.length !== 1 || asList(args.orderby).length > 0)
      this.unsupported(`${kind} with ${argList.length} arguments`, kind, at);
    let arg = argList[0]!;
    let when: string[] | undefined;
    const filter = asNode(expr.filter);
    if (expr.filter) {
      const where = asNode(filter.where);
      when = this.typeFilter(where, offsetOf(where) ?? at, 'FILTER (WHERE …)');
      this.checkWhen(when, offsetOf(where) ?? at);
    }
    if (arg.type === 'case') {
      if (when)
        this.unsupported('both FILTER and CASE WHEN', 'CASE', this.locate(keywordPattern('CASE'), at));
      const branches = asList(arg.args).map(asNode);
      const whens = branches.filter((b) => b.type === 'when');
      const otherwise = branches.find((b) => b.type === 'else');
      const elseResult = asNode(otherwise?.result);
      const caseAt = this.locate(keywordPattern('CASE'), at) ?? at;
      if (arg.expr || whens.length !== 1) {
        this.unsupported(`CASE other than CASE WHEN type … THEN … END`, 'CASE', caseAt);
      }
      if (
        otherwise &&
        elseResult.type !== 'null' &&
        !(kind === 'SUM' && elseResult.type === 'number' && Number(elseResult.value) === 0)
      ) {
        this.unsupported(
          `ELSE ${show(elseResult)} in ${kind}(CASE …)`,
          'ELSE',
          this.locate(keywordPattern('ELSE'), caseAt),
        );
      }
      const cond = asNode(whens[0]!.cond);
      when = this.typeFilter(cond, offsetOf(cond) ?? caseAt, 'CASE WHEN');
      this.checkWhen(when, offsetOf(cond) ?? caseAt);
      arg = asNode(whens[0]!.result);
      if (kind === 'COUNT') {
        if (arg.type === 'null' || !(arg.type === 'number' || isString(arg))) {
          this.unsupported(
            `COUNT(CASE WHEN … THEN ${show(arg)} END); count with THEN 1`,
            show(arg),
            this.locateExpr(arg, caseAt) ?? caseAt,
          );
        }
        return { aggregate: when ? { count: true, when } : { count: true } };
      }
    } else if (kind === 'COUNT') {
      if (arg.type !== 'star') {
        this.unsupported(
          `COUNT(${show(arg)}); count events with COUNT(*)`,
          show(arg),
          this.locateExpr(arg, at) ?? at,
        );
      }
      return { aggregate: when ? { count: true, when } : { count: true } };
    }
    if (arg.type === 'star') this.unsupported(`${kind}(*)`, '*', this.locate(/\*/, at));
    const value = this.value(arg, when ?? this.types, this.locateExpr(arg, at) ?? at);
    const aggregate: Aggregate =
      kind === 'SUM'
        ? when
          ? { sum: value.source, when }
          : { sum: value.source }
        : when
          ? { last: value.source, when }
          : { last: value.source };
    return { aggregate, aggregateValue: value };
  }

  checkWhen(when: readonly string[], at: number): void {
    for (const type of when) {
      const typeAt = this.locate(stringPattern(type), at, true) ?? at;
      if (!this.world.payloads.has(type)) this.unknownType(type, typeAt);
      if (!this.types.includes(type)) {
        this.fail(
          `event type ${type} is not read by this statement (it reads ${this.types.join(', ')})`,
          type,
          typeAt,
        );
      }
    }
  }

  // ------------------------------------------------------------------------------- mappings

  eventMapping(table: SqlTable, items: SelectItem[], tableAt: number | undefined): EventMapping {
    const columns: Record<string, Source> = {};
    for (const item of items) {
      const spec = table.columns[item.column]!;
      if (this.world.automaticEvent.has(item.column)) {
        this.fail(`column ${item.column} is filled automatically`, item.column, item.at);
      }
      this.fits(item.value!, item.column, spec, item.at);
      columns[item.column] = item.value!.source;
    }
    this.requireCovered(table, [...this.world.automaticEvent, ...Object.keys(columns)], tableAt);
    const mapping: EventMapping = {
      type: this.types[0]!,
      into: table.name,
      joins: this.declaredJoins(),
      columns,
    };
    if (this.predicate) mapping.where = this.predicate.expr;
    return mapping;
  }

  stateMapping(
    table: SqlTable,
    select: Node,
    items: SelectItem[],
    tableAt: number | undefined,
  ): StateMapping {
    const orderKeys = new Set(
      Object.values(table.merge).flatMap((m) => (typeof m === 'object' ? [m.newestBy] : [])),
    );
    const key: Record<string, Source> = {};
    const columns: Record<string, Aggregate> = {};
    const orderedBy = new Map<string, { when: string; column: string }>();
    for (const item of items) {
      const spec = table.columns[item.column]!;
      if (this.world.automaticState.has(item.column) || orderKeys.has(item.column)) {
        this.fail(`column ${item.column} is filled automatically`, item.column, item.at);
      }
      const isKey = table.key.includes(item.column);
      if (item.value) {
        if (!isKey) {
          this.fail(
            `column ${item.column} is not in the key of ${table.name} (${table.key.join(', ')}): aggregate it with COUNT(*), SUM or LAST_VALUE`,
            item.column,
            item.at,
          );
        }
        if ('literal' in item.value.source)
          this.unsupported(`a literal key column`, item.value.text, item.at);
        this.fits(item.value, item.column, spec, item.at);
        key[item.column] = item.value.source;
        continue;
      }
      const aggregate = item.aggregate!;
      if (isKey)
        this.fail(
          `key column ${item.column} cannot be an aggregate; select it and GROUP BY it`,
          item.column,
          item.at,
        );
      const merge = own(table.merge, item.column);
      const shown = merge === undefined ? 'none (keeps the first value)' : JSON.stringify(merge);
      if ('count' in aggregate || 'sum' in aggregate) {
        if (merge !== 'add') {
          this.fail(
            `column ${item.column} merges ${shown}; ${'count' in aggregate ? 'COUNT' : 'SUM'} needs merge 'add'`,
            item.column,
            item.at,
          );
        }
        if ('sum' in aggregate) this.fits(item.aggregateValue!, item.column, spec, item.at, false);
      } else if (aggregate.when || typeof merge === 'object') {
        // Unfiltered into a newestBy column: the newest of every type the statement reads.
        if (!aggregate.when) aggregate.when = [...this.types];
        if (typeof merge !== 'object') {
          this.fail(
            `column ${item.column} merges ${shown}; a filtered LAST_VALUE needs merge { newestBy: <order key> }`,
            item.column,
            item.at,
          );
        }
        const when = [...(aggregate.when ?? [])].sort().join(', ');
        const other = orderedBy.get(merge.newestBy);
        if (other && other.when !== when) {
          this.fail(
            `column ${item.column} is ordered by ${merge.newestBy} like ${other.column}, so it must be filtered to the same types (${other.when}), not ${when}`,
            item.column,
            item.at,
          );
        }
        orderedBy.set(merge.newestBy, { when, column: item.column });
        // Rows of the other types write NULL to the column (and never win its order key).
        this.fits(item.aggregateValue!, item.column, spec, item.at, true);
      } else {
        if (merge !== 'newest' && merge !== 'newestOrFirst') {
          this.fail(
            `column ${item.column} merges ${shown}; LAST_VALUE needs merge 'newest' or 'newestOrFirst'`,
            item.column,
            item.at,
          );
        }
        this.fits(item.aggregateValue!, item.column, spec, item.at);
      }
      columns[item.column] = aggregate;
    }
    this.groupBy(table, select, key, items, tableAt);
    const fed = new Set([...table.key, ...Object.keys(columns), ...this.world.automaticState, ...orderKeys]);
    // Counters and sums nothing aggregates add 0; a column merged newest must be fed; columns of an
    // order key the statement does not set are left alone (the key stays '', never newer), but an
    // order key it sets must get all of its columns.
    for (const [column, merge] of Object.entries(table.merge)) {
      if (typeof merge === 'object' && !orderedBy.has(merge.newestBy)) continue;
      if (merge !== 'add' && !fed.has(column))
        this.fail(
          `column ${column} of ${table.name} merges ${JSON.stringify(merge)} but is not selected`,
          column,
          tableAt,
        );
    }
    this.requireCovered(table, [...fed], tableAt);
    return { into: table.name, types: this.types, joins: this.declaredJoins(), key, columns };
  }

  groupBy(
    table: SqlTable,
    select: Node,
    key: Record<string, Source>,
    items: SelectItem[],
    tableAt: number | undefined,
  ): void {
    const groupAt = this.locate(keywordPattern('GROUP', 'BY'));
    const grouped = groupedExprs(select);
    if (grouped.length === 0) {
      this.fail(
        `a statement into state table ${table.name} needs GROUP BY the sources of its key (${table.key.join(', ')})`,
        table.name,
        tableAt,
      );
    }
    for (const column of table.key) {
      if (!key[column]) this.fail(`key column ${column} of ${table.name} is not selected`, column, tableAt);
    }
    const same = (a: Source, b: Source) => JSON.stringify(a) === JSON.stringify(b);
    let cursor = groupAt ?? this.span.start;
    const covered = new Set<string>();
    for (const expr of grouped) {
      const at = this.locateExpr(expr, cursor) ?? cursor;
      cursor = at + 1;
      const value = this.value(expr, this.types, at);
      const column = Object.keys(key).find((c) => same(key[c]!, value.source));
      if (!column) {
        this.fail(
          `GROUP BY ${value.text} is not the source of a key column of ${table.name} (${table.key.join(', ')})`,
          value.text,
          at,
        );
      }
      covered.add(column);
    }
    for (const column of Object.keys(key)) {
      if (!covered.has(column)) {
        const item = items.find((i) => i.column === column)!;
        this.fail(
          `key column ${column} (${item.value!.text}) is not in GROUP BY`,
          column,
          groupAt ?? item.at,
        );
      }
    }
  }

  requireCovered(table: SqlTable, written: readonly string[], at: number | undefined): void {
    for (const [column, spec] of Object.entries(table.columns)) {
      if (spec.written && !spec.optional && !written.includes(column)) {
        this.fail(
          `NOT NULL column ${column} of ${table.name} has no default and is not selected`,
          column,
          at,
        );
      }
    }
  }

  declaredJoins(): Join[] {
    return this.joins.map((j) => ({ dimension: j.dimension.name, on: j.on }));
  }
}
