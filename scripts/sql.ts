/**
 * The SQL client (`npm run sql`): Flink-style INSERT … SELECT statements from a file, compiled
 * against the registry's event types, dimension tables and tables — independently of the
 * statements the domains define — and checked, explained or run on events, with no Kafka and no
 * database.
 *
 *   npm run sql -- check FILE.sql…                  FILE:LINE:COLUMN: message, per error; exit 1 on any
 *   npm run sql -- explain FILE.sql                 what fills each column, which merges apply
 *   npm run sql -- run FILE.sql --events EVENTS.jsonl [--dimensions DIMS.json]
 *   … --tables TABLES.ts                            also compile against the tables TABLES.ts exports
 *
 * `run` reads BusinessEvent JSON lines, decodes them as the functions do (envelope and payload
 * schemas; an event that fails is reported on stderr, as it would be dead-lettered), applies the
 * statements' processors (shared/pipeline/declarative.ts), and prints the rows after the sink's
 * merges as JSON lines `{"table": …, "row": {…}}`: an event row is written once per event id (a
 * duplicate is absorbed, and merges no state), state rows merge as the upsert would (counters add,
 * newest wins by order key; shared/tables/table.ts, combineRows). DIMS.json holds dimension rows by
 * table (or dimension) name: `{"dim_user": [{"user_id": "u1", "user_name": "Ann", …}], …}`; a
 * dimension it lacks has no rows. Values print as the sink would send them: DATETIME as
 * `YYYY-MM-DD HH:MM:SS.mmm` (UTC), DECIMAL as exact text.
 *
 * Statements compile against the registry's tables and, given `--tables TABLES.ts` (from code:
 * SqlOptions.tables), every table that module exports (defineTable) — tables of your own not yet in
 * a domain, or the conformance suite's (test/conformance/tables.ts).
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { AGGREGATE_SQL, aggregateValue } from '../shared/definitions/mapping.ts';
import { showWindow } from '../shared/definitions/window.ts';
import { declared, declaredStates, sqlContext } from '../shared/domains/common.ts';
import { CATALOG, DIMENSIONS, DOMAINS } from '../shared/domains/registry.ts';
import { type BusinessEvent, businessEventSchema } from '../shared/events/business-event.ts';
import { EventCatalog } from '../shared/events/catalog.ts';
import { type EventMapping, type StateMapping, withState } from '../shared/pipeline/declarative.ts';
import { type DimensionView, type EventProcessor, withoutState } from '../shared/pipeline/processor.ts';
import { compileSql, SqlDefinitionError } from '../shared/pipeline/sql.ts';
import { combineRows } from '../shared/tables/combine.ts';
import type { Columns, Row, SqlValue, Table } from '../shared/tables/table.ts';

type Mapping = EventMapping | StateMapping;

/**
 * Tables statements may write besides the registry's: `tables` (defineTable, shared/tables/table.ts)
 * join every domain's for compile, explain and the scope — the conformance suite's own state tables
 * (test/conformance/tables.ts), one per merge shape. A name the registry has already is an error.
 */
export interface SqlOptions {
  tables?: readonly Table[];
}

/** What statements compile against: every domain's tables (and `options.tables`) and every registered event type. */
export function scope(options: SqlOptions = {}) {
  const registry = DOMAINS.flatMap((d) => d.tables) as readonly Table[];
  for (const extra of options.tables ?? []) {
    if (registry.some((t) => t.name === extra.name)) {
      throw new Error(`table ${extra.name}: the registry has a table of that name already`);
    }
  }
  return {
    tables: [...registry, ...(options.tables ?? [])] as readonly Table[],
    events: CATALOG.map((e) => ({ type: e.type, payload: e.payload })),
  };
}

/** A problem with a position in the SQL text (1-based). */
export interface SqlProblem {
  line: number;
  column: number;
  message: string;
}

/** The file's statements as mappings and processors, or the first problem. */
export function compile(
  text: string,
  options: SqlOptions = {},
): { mappings: Mapping[]; processors: EventProcessor[] } | { problem: SqlProblem } {
  const tables = scope(options);
  let mappings: Mapping[];
  try {
    mappings = compileSql(text, sqlContext(tables));
  } catch (error) {
    if (error instanceof SqlDefinitionError) {
      return { problem: { line: error.line, column: error.column, message: error.message } };
    }
    throw error;
  }
  try {
    return { mappings, processors: processorsOf(mappings, tables) };
  } catch (error) {
    // A check of the definitions core (no position of its own): placed at the statement it names.
    const message = (error as Error).message;
    const into = /→ (\w+)|into (\w+)/.exec(message);
    const table = into?.[1] ?? into?.[2];
    const at = table ? text.search(new RegExp(`INSERT\\s+INTO\\s+${table}\\b`, 'i')) : -1;
    const before = text.slice(0, Math.max(0, at));
    const line = at < 0 ? 1 : before.split('\n').length;
    const column = at < 0 ? 1 : at - before.lastIndexOf('\n');
    return { problem: { line, column, message } };
  }
}

const isState = (m: Mapping): m is StateMapping => 'types' in m;

/**
 * The statements' processors. A state statement none of whose types the file writes an event row
 * for compiles as a domain's `sqlState` does, beside the registry's processor of each type: that
 * processor's event row anchors its merges exactly once (its own state rows are left out, so `run`
 * shows this file's merges only, and the anchor's event table is not among the tables it prints).
 */
function processorsOf(mappings: readonly Mapping[], tables: ReturnType<typeof scope>): EventProcessor[] {
  const rowTypes = new Set(mappings.filter((m) => !isState(m)).map((m) => (m as EventMapping).type));
  const alone = mappings.filter((m) => isState(m) && m.types.every((t) => !rowTypes.has(t)));
  const processors = declared(
    mappings.filter((m) => !alone.includes(m)),
    tables,
  );
  if (alone.length === 0) return processors;
  const states = declaredStates(alone, tables);
  const anchors = [...new Set(states.map((s) => s.type))].map((type): EventProcessor => {
    const domain = DOMAINS.flatMap((d) => d.processors).find((p) => p.type === type);
    if (!domain) throw new Error(`${type}: no domain processes it, so no event row anchors its merges`);
    return withoutState(domain);
  });
  return [...processors, ...withState(anchors, states)];
}

/** The tables the file's statements write: what `run` prints. */
export const writtenBy = (mappings: readonly Mapping[]) => new Set(mappings.map((m) => m.into));

// ---------------------------------------------------------------------------------------- run

/** Dimension rows by table name (`dim_user`) or dimension name (`user`). */
export type DimensionFile = Record<string, Array<Record<string, unknown>>>;

export interface RunResult {
  /** Every table's rows after the sink's merges, tables in the order first written. */
  rows: Array<{ table: string; row: Record<string, unknown> }>;
  stats: { events: number; written: number; duplicates: number; filtered: number; unhandled: number };
  /** Events that would be dead-lettered: their line (1-based) and why. */
  invalid: Array<{ line: number; error: string }>;
}

/** Applies compiled processors to BusinessEvent JSON lines, as the sink would merge their rows. */
export function run(
  processors: readonly EventProcessor[],
  eventLines: readonly string[],
  dimensions: DimensionFile = {},
): RunResult {
  const catalog = new EventCatalog(CATALOG);
  const byType = new Map(processors.map((p) => [p.type, p]));
  const view = dimensionView(dimensions);
  const seen = new Set<string>();
  const tables = new Map<string, { table: Table; rows: Row[] }>();
  const stats = { events: 0, written: 0, duplicates: 0, filtered: 0, unhandled: 0 };
  const invalid: RunResult['invalid'] = [];
  for (const [i, text] of eventLines.entries()) {
    if (text.trim() === '') continue;
    stats.events++;
    const decoded = decode(text, catalog);
    if (typeof decoded === 'string') {
      invalid.push({ line: i + 1, error: decoded });
      continue;
    }
    const processor = byType.get(decoded.type);
    if (!processor) {
      stats.unhandled++;
      continue;
    }
    if (processor.where && !processor.where(decoded, view)) {
      stats.filtered++;
      continue;
    }
    let write: ReturnType<EventProcessor['toWrite']>;
    try {
      write = processor.toWrite(decoded, view, {
        topic: 'sql-run',
        partition: 0,
        offset: i,
        timestamp: 0,
        timestampType: 'CREATE_TIME' as const,
      });
    } catch (error) {
      invalid.push({ line: i + 1, error: `processing_failed: ${(error as Error).message}` });
      continue;
    }
    const once = `${write.event.table.name}\u0000${write.eventId}`;
    if (seen.has(once)) {
      stats.duplicates++;
      continue;
    }
    seen.add(once);
    stats.written++;
    for (const { table, row } of [write.event, ...write.state]) {
      const entry = tables.get(table.name) ?? { table, rows: [] };
      entry.rows.push(row);
      tables.set(table.name, entry);
    }
  }
  const rows: RunResult['rows'] = [];
  for (const { table, rows: written } of tables.values()) {
    for (const row of merged(table, written)) rows.push({ table: table.name, row: printable(table, row) });
  }
  return { rows, stats, invalid };
}

function decode(text: string, catalog: EventCatalog): BusinessEvent | string {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return 'json: not a JSON value';
  }
  const envelope = businessEventSchema.safeParse(json);
  if (!envelope.success) return `schema: ${envelope.error.issues.map((i) => i.message).join('; ')}`;
  const event = envelope.data;
  const entry = catalog.resolve(event.type, event.version);
  if (entry === 'unknown_type' || entry === 'unknown_version')
    return `${entry}: ${event.type} ${event.version}`;
  const payload = entry.payload.safeParse(event.payload);
  if (!payload.success) {
    return `schema: ${event.type} payload: ${payload.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ')}`;
  }
  return { ...event, payload: payload.data as Record<string, unknown> };
}

/** Lookups of the file's dimension rows, typed as the database would return them. */
function dimensionView(file: DimensionFile): DimensionView {
  const byName = new Map<string, Map<string, Record<string, unknown>>>();
  for (const dimension of DIMENSIONS) {
    const columns: Columns = dimension.table.columns;
    const rows = file[dimension.table.name] ?? file[dimension.name] ?? [];
    const index = new Map<string, Record<string, unknown>>();
    for (const raw of rows) {
      const key = raw[dimension.key];
      if (key === undefined || key === null) continue;
      const row: Record<string, unknown> = {};
      for (const column of dimension.columns) {
        const value = raw[column];
        const kind = columns[column]?.kind;
        row[column] =
          value === undefined || value === null
            ? null
            : kind === 'decimal'
              ? String(value)
              : kind === 'datetime'
                ? new Date(typeof value === 'number' ? value : `${String(value).replace(' ', 'T')}Z`)
                : value;
      }
      index.set(String(key), row);
    }
    byName.set(dimension.name, index);
  }
  return {
    get: (dimension, key) => (key === undefined ? null : (byName.get(dimension)?.get(key) ?? null)),
  } as DimensionView;
}

const derived = new WeakMap<Table, Table>();

/**
 * A table's rows as the upsert leaves them. combineRows merges a combinable table's rows exactly
 * as the database would; a table with a `newestOrFirst` column is merged one row at a time the same
 * way, that column also taking the new value while it is still NULL.
 */
function merged(table: Table, rows: readonly Row[]): Row[] {
  if (table.combinable) return combineRows(table, rows);
  let asNewest = derived.get(table);
  if (!asNewest) {
    const merge = Object.fromEntries(
      Object.entries(table.merge).map(([c, m]) => [c, m === 'newestOrFirst' ? 'newest' : m]),
    );
    asNewest = { ...table, merge, combinable: true } as Table;
    derived.set(table, asNewest);
  }
  const orFirst = Object.entries(table.merge)
    .filter(([, m]) => m === 'newestOrFirst')
    .map(([c]) => c);
  const keyOf = (row: Row) => table.key.map((k) => String(row[k])).join('\u0000');
  const byKey = new Map<string, Row>();
  for (const row of combineRows(table, rows)) {
    const before = byKey.get(keyOf(row));
    if (!before) {
      byKey.set(keyOf(row), { ...row });
      continue;
    }
    const after = combineRows(asNewest, [before, row])[0]!;
    for (const column of orFirst) {
      if ((before[column] === null || before[column] === undefined) && row[column] !== undefined) {
        after[column] = row[column];
      }
    }
    byKey.set(keyOf(row), after);
  }
  return [...byKey.values()];
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** A DATETIME as MySQL prints it, in UTC. */
export function datetimeText(d: Date): string {
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${pad(d.getUTCMilliseconds(), 3)}`;
}

/**
 * A row as JSON data: every written column, values as sent; a column nothing filled is NULL, or a
 * NOT NULL column's default (0 for numbers, '' for text: the migrations' defaults).
 */
function printable(table: Table, row: Row): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const column of table.written) {
    const value: SqlValue | undefined = row[column];
    const spec = table.columns[column]!;
    const unset = value === undefined && !spec.nullable ? (spec.kind === 'string' ? '' : 0) : null;
    out[column] =
      value === undefined || value === null
        ? unset
        : value instanceof Date
          ? datetimeText(value)
          : typeof value === 'bigint'
            ? Number.isSafeInteger(Number(value))
              ? Number(value)
              : String(value)
            : Buffer.isBuffer(value)
              ? value.toString('base64')
              : value;
  }
  return out;
}

// ------------------------------------------------------------------------------------ explain

type ExprLike = { op: string; [k: string]: unknown };

/** An expression (shared/definitions/expression.ts) as SQL-like text. */
function showExpr(e: ExprLike): string {
  switch (e.op) {
    case 'field':
      return `e.${(e.path as Array<string | number>)
        .map((p, i) => (typeof p === 'number' ? `[${p + 1}]` : i ? `.${p}` : p))
        .join('')
        .replace(/\.\[/g, '[')}`;
    case 'envelope':
      return `envelope ${String(e.field)}`;
    case 'dimension':
      return `${String(e.dimension)}.${String(e.column)}`;
    case 'literal':
      return e.value === null ? 'NULL' : typeof e.value === 'string' ? `'${e.value}'` : String(e.value);
    case 'call':
      return `${String(e.fn)}(${(e.args as ExprLike[]).map(showExpr).join(', ')})`;
    default:
      return JSON.stringify(e);
  }
}

function showSource(source: Record<string, unknown>): string {
  if ('payload' in source) return `e.${String(source.payload)}`;
  if ('event' in source) return `envelope ${String(source.event)}`;
  if ('dimension' in source) return `${String(source.dimension)}.${String(source.column)} (lookup)`;
  if ('literal' in source) return JSON.stringify(source.literal);
  if ('expr' in source) return showExpr(source.expr as ExprLike);
  if ('window' in source) return `window_${String(source.window)} (the event's window)`;
  return JSON.stringify(source);
}

/** What fills each column and which merges apply, per statement. */
export function explain(mappings: readonly Mapping[], options: SqlOptions = {}): string {
  const tables = scope(options).tables;
  const lines: string[] = [];
  for (const [i, m] of mappings.entries()) {
    const table = tables.find((t) => t.name === m.into);
    const joins = m.joins.map((j) => `${j.dimension} ON key = e.${j.on}`).join('; ') || 'none';
    if ('types' in m) {
      lines.push(`statement ${i + 1}: state table ${m.into}, from ${m.types.join(', ')}`);
      lines.push(`  lookups: ${joins}`);
      if (m.window) lines.push(`  window: ${showWindow(m.window)}, a row per window holding the event time`);
      lines.push(
        `  key (GROUP BY): ${Object.entries(m.key)
          .map(([c, s]) => `${c} ← ${showSource(s)}`)
          .join(', ')}`,
      );
      for (const [column, aggregate] of Object.entries(m.columns)) {
        const { kind, value } = aggregateValue(aggregate);
        const what = `${AGGREGATE_SQL[kind]}(${value ? showSource(value) : '*'})`;
        const when = aggregate.when ? ` for ${aggregate.when.join(', ')}` : '';
        const merge = table?.merge[column];
        lines.push(
          `  ${column} ← ${what}${when}; merge ${merge === undefined ? 'first value' : JSON.stringify(merge)}`,
        );
      }
      lines.push('  merges once per event: applied only when the event row is written the first time');
    } else {
      lines.push(`statement ${i + 1}: event table ${m.into}, from ${m.type}`);
      lines.push(`  lookups: ${joins} (the current row, through the warm cache; NULL when missing)`);
      if (m.where)
        lines.push(`  WHERE ${showExpr(m.where as unknown as ExprLike)} (else the event writes nothing)`);
      for (const [column, source] of Object.entries(m.columns)) {
        lines.push(`  ${column} ← ${showSource(source as Record<string, unknown>)}`);
      }
      lines.push(
        '  automatic: event_id, event_type, event_time, event_version, source, kafka_topic, kafka_partition, kafka_offset',
      );
      lines.push('  merge: written once per event_id (a duplicate is absorbed)');
    }
  }
  return lines.join('\n');
}

// ---------------------------------------------------------------------------------------- CLI

const USAGE = `usage:
  npm run sql -- check FILE.sql… [--tables TABLES.ts]
  npm run sql -- explain FILE.sql [--tables TABLES.ts]
  npm run sql -- run FILE.sql --events EVENTS.jsonl [--dimensions DIMS.json] [--tables TABLES.ts]`;

function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  if (i < 0) return undefined;
  const value = args[i + 1];
  if (value === undefined) throw new Error(`${name} needs a file`);
  args.splice(i, 2);
  return value;
}

const isTable = (value: unknown): value is Table =>
  typeof value === 'object' &&
  value !== null &&
  typeof (value as Table).name === 'string' &&
  Array.isArray((value as Table).key) &&
  Array.isArray((value as Table).assignments);

/** `--tables TABLES.ts`: every table the module exports, beside the registry's. */
async function tablesOption(args: string[]): Promise<SqlOptions> {
  const module = option(args, '--tables');
  if (module === undefined) return {};
  const exported = (await import(pathToFileURL(resolve(module)).href)) as Record<string, unknown>;
  const tables = Object.values(exported).filter(isTable);
  if (tables.length === 0) throw new Error(`--tables ${module}: the module exports no table (defineTable)`);
  return { tables };
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const args = [...rest];
  const options = await tablesOption(args);
  if (command === 'check') {
    if (args.length === 0) throw new Error(USAGE);
    let failed = 0;
    for (const file of args) {
      const result = compile(readFileSync(file, 'utf8'), options);
      if ('problem' in result) {
        failed++;
        const { line, column, message } = result.problem;
        console.log(`${file}:${line}:${column}: ${message}`);
      } else {
        console.log(`${file}: ok (${result.mappings.length} statement(s))`);
      }
    }
    return failed > 0 ? 1 : 0;
  }
  if (command === 'explain' || command === 'run') {
    const events = command === 'run' ? option(args, '--events') : undefined;
    const dims = command === 'run' ? option(args, '--dimensions') : undefined;
    if (args.length !== 1 || (command === 'run' && !events)) throw new Error(USAGE);
    const file = args[0]!;
    const result = compile(readFileSync(file, 'utf8'), options);
    if ('problem' in result) {
      const { line, column, message } = result.problem;
      console.error(`${file}:${line}:${column}: ${message}`);
      return 1;
    }
    if (command === 'explain') {
      console.log(explain(result.mappings, options));
      return 0;
    }
    const dimensions = dims ? (JSON.parse(readFileSync(dims, 'utf8')) as DimensionFile) : {};
    const out = run(result.processors, readFileSync(events!, 'utf8').split('\n'), dimensions);
    const written = writtenBy(result.mappings);
    const rows = out.rows.filter((r) => written.has(r.table));
    for (const row of rows) process.stdout.write(`${JSON.stringify(row)}\n`);
    for (const { line, error } of out.invalid) console.error(`${events}:${line}: dead letter: ${error}`);
    const s = out.stats;
    console.error(
      `sql run: ${s.events} event(s): ${s.written} written, ${s.duplicates} duplicate(s) absorbed, ${s.filtered} filtered out, ${s.unhandled} of types no statement reads, ${out.invalid.length} dead letter(s); ${rows.length} row(s)`,
    );
    return 0;
  }
  throw new Error(USAGE);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  try {
    process.exitCode = await main(process.argv.slice(2));
  } catch (error) {
    console.error((error as Error).message);
    process.exitCode = 2;
  }
}
