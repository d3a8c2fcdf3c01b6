/**
 * Tables, defined once: columns with their SQL type and nullability, the primary key, and how a
 * row merges into an existing one. Everything else is derived from the definition — the row type a
 * processor must produce (a misspelled column or a value of the wrong type fails `tsc`), the
 * INSERT … ON DUPLICATE KEY UPDATE the sink sends, and the check of the definitions against the
 * migrated database (test/integration/schema-drift.test.ts).
 *
 * Merges ("what a second row with the same key does"):
 *   keep (every column of an event table): the first row stays — event rows are written once;
 *   add: counters and sums, `col = col + <the new row's col>`;
 *   newest: newest wins by the row's `last_event_key` (event time, version, event id);
 *   newestBy(key): newest wins by another order-key column — columns set by one event type, ordered
 *     by that type's newest event; the key column itself is assigned after the columns it orders;
 *   newestOrFirst: newest wins, and any value fills a column that is still NULL;
 *   lastValue(key): Flink's LAST_VALUE — the newest non-NULL value, ordered by an order-key column
 *     of its own (no other column follows it); a row whose value is NULL sends the key '' (never
 *     newer), so a NULL never overwrites and the outcome does not depend on arrival order;
 *   firstValue(key): Flink's FIRST_VALUE, its mirror — the oldest non-NULL value by its own key;
 *   min, max: the least / greatest non-NULL value (numbers and times only, nullable columns).
 * MySQL evaluates the assignments left to right, each seeing the columns already updated, so a
 * column that others compare against is assigned after them. The statement itself is the SQL
 * dialect's (shared/tables/dialect.ts: the row alias on MySQL, `VALUES(col)` on MariaDB).
 * Identifiers live only here, in code — plain names, never a reserved word (reserved-words.ts) —
 * and are quoted wherever the sink sends them; values always travel as parameters.
 */

import { isReservedWord } from './reserved-words.ts';

export type SqlValue = string | number | bigint | boolean | Date | Buffer | null;

/** What a column holds, and the TypeScript type a row carries for it. */
interface KindValues {
  string: string;
  int: number;
  bigint: number | bigint;
  /** Exact decimals travel as strings (or numbers that are exact). */
  decimal: string | number;
  datetime: Date;
  /** A JSON document, serialised. */
  json: string;
  bytes: Buffer;
}
export type ColumnKind = keyof KindValues;

/**
 * A column. `written` columns are inserted by the sink; the others are filled by the database
 * (auto-increment ids, `processed_at`/`updated_at` defaults). `optional` columns may be left out of
 * a row (nullable, or NOT NULL with a default).
 */
export class Column<
  K extends ColumnKind = ColumnKind,
  N extends boolean = boolean,
  O extends boolean = boolean,
  W extends boolean = boolean,
> {
  declare readonly __value: KindValues[K] | (N extends true ? null : never);
  readonly kind: K;
  /** The SQL type as information_schema names it (`varchar`, `decimal`, …) with its size. */
  readonly sqlType: string;
  readonly nullable: N;
  readonly optional: O;
  readonly written: W;

  constructor(kind: K, sqlType: string, nullable: N, optional: O, written: W) {
    this.kind = kind;
    this.sqlType = sqlType;
    this.nullable = nullable;
    this.optional = optional;
    this.written = written;
  }

  /** NULL allowed (and the column may be left out of a row). */
  null(): Column<K, true, true, W> {
    return new Column(this.kind, this.sqlType, true, true, this.written);
  }

  /** NOT NULL with a DEFAULT: the column may be left out of a row. */
  defaulted(): Column<K, N, true, W> {
    return new Column(this.kind, this.sqlType, this.nullable, true, this.written);
  }

  /** Filled by the database only (auto-increment, timestamp defaults); never in a row. */
  byDatabase(): Column<K, N, true, false> {
    return new Column(this.kind, this.sqlType, this.nullable, true, false);
  }
}

const column =
  <K extends ColumnKind>(kind: K, sqlType: string) =>
  () =>
    new Column<K, false, false, true>(kind, sqlType, false, false, true);

export const varchar = (length: number) => column('string', `varchar(${length})`)();
export const char = (length: number) => column('string', `char(${length})`)();
export const text = column('string', 'text');
export const int = column('int', 'int');
export const bigint = column('bigint', 'bigint');
export const decimal = (precision: number, scale: number) =>
  column('decimal', `decimal(${precision},${scale})`)();
export const datetime = (fsp = 3) => column('datetime', `datetime(${fsp})`)();
export const timestamp = (fsp = 3) => column('datetime', `timestamp(${fsp})`)();
export const json = column('json', 'json');
export const varbinary = (length: number) => column('bytes', `varbinary(${length})`)();
export const longblob = column('bytes', 'longblob');

export type Columns = Record<string, Column>;

/** How a column of a keyed table merges; the object forms name the order-key column. */
export type Merge =
  | 'add'
  | 'newest'
  | 'newestOrFirst'
  | 'min'
  | 'max'
  | { newestBy: string }
  | { lastValue: string }
  | { firstValue: string };

/** The order-key column a merge compares (last_event_key for `newest`), if it has one. */
export function orderKeyOf(m: Merge): string | undefined {
  if (typeof m === 'object')
    return 'newestBy' in m ? m.newestBy : 'lastValue' in m ? m.lastValue : m.firstValue;
  return m === 'newest' || m === 'newestOrFirst' ? LAST_EVENT_KEY : undefined;
}

/** The order-key column a lastValue / firstValue merge keeps for its column alone, if it is one. */
export function ownOrderKey(m: Merge): string | undefined {
  return typeof m === 'object' && !('newestBy' in m) ? orderKeyOf(m) : undefined;
}

/** The column every `newest` merge compares: the row's newest event (time, version, id). */
export const LAST_EVENT_KEY = 'last_event_key';

export interface TableDefinition<C extends Columns = Columns> {
  name: string;
  columns: C;
  /** Primary (or unique) key columns: what a second row collides on. */
  key: readonly (keyof C & string)[];
  /** Merges of a state table; columns not named keep their first value. Event tables: none. */
  merge?: Partial<Record<keyof C & string, Merge>>;
  /** A windowed state table's lateness bound; without it a late event is merged however late. */
  lateness?: Lateness<keyof C & string>;
}

/** A window row is left out when `windowEnd` + `allowedMs` < its record's timestamp (pipeline/lateness.ts). */
export interface Lateness<K extends string = string> {
  /** The DATETIME key column holding the window's end (a `{ window: 'end' }` source). */
  windowEnd: K;
  allowedMs: number;
}

/**
 * One ON DUPLICATE KEY UPDATE assignment: `same` leaves the column as it is (a write-once table:
 * `key = key`); `add` adds the new row's value; `min` / `max` take the new row's value when it is
 * not NULL and less / greater (or the column is NULL); `newest` takes the new row's value when its
 * `by` column is greater; `newestOrFirst` also when the column is still NULL; `oldest` when its
 * `by` column is not '' and less (or the current one is '').
 */
export type Assignment =
  | { column: string; merge: 'same' | 'add' | 'min' | 'max'; by?: undefined }
  | { column: string; merge: 'newest' | 'newestOrFirst' | 'oldest'; by: string };

/** A defined table. (Column names are plain strings here, so any table is a `Table`.) */
export interface Table<C extends Columns = Columns> {
  readonly name: string;
  readonly columns: C;
  readonly key: readonly string[];
  /** How each merged column merges (state tables); others keep their first value. */
  readonly merge: Readonly<Record<string, Merge>>;
  /** Columns the sink writes, in statement order. */
  readonly written: readonly string[];
  /** The ON DUPLICATE KEY UPDATE assignments, in order (the dialect writes them). */
  readonly assignments: readonly Assignment[];
  /**
   * Several rows with one key can be merged into one before they are sent (combineRows), with the
   * effect of sending them in order: true unless a column merges `newestOrFirst`, whose outcome
   * depends on the row it lands on.
   */
  readonly combinable: boolean;
  readonly lateness?: Lateness;
}

type RequiredKeys<C extends Columns> = {
  [K in keyof C]: C[K] extends Column<ColumnKind, boolean, false, true> ? K : never;
}[keyof C];
type OptionalKeys<C extends Columns> = {
  [K in keyof C]: C[K] extends Column<ColumnKind, boolean, true, true> ? K : never;
}[keyof C];

/** A row of table `T`: every required column, any optional one, nothing else. */
export type RowOf<T extends { columns: Columns }> = {
  [K in RequiredKeys<T['columns']>]: T['columns'][K]['__value'];
} & {
  [K in OptionalKeys<T['columns']>]?: T['columns'][K]['__value'];
};

/** A row on its way to the sink, its type erased. */
export type Row = Record<string, SqlValue | undefined>;

declare const checked: unique symbol;

/** A row and its table, made only by rowOf (checked by the compiler) or checkedRow. */
export interface TableRow {
  readonly table: Table;
  readonly row: Row;
  readonly [checked]: true;
}

/** A row of `table`, checked against its definition by the compiler. */
export function rowOf<C extends Columns>(table: Table<C>, row: RowOf<Table<C>>): TableRow {
  return { table, row } as unknown as TableRow;
}

/** A row whose columns were checked another way (a declarative definition, when it compiled). */
export function checkedRow(table: Table, row: Row): TableRow {
  return { table, row } as unknown as TableRow;
}

/** A name MySQL and MariaDB take unquoted: letters, digits and underscores, at most 64 characters. */
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

export function defineTable<const C extends Columns>(definition: TableDefinition<C>): Table<C> {
  const { name, columns, key, merge = {}, lateness } = definition;
  const problem = (message: string) => new Error(`table ${name}: ${message}`);
  const plainName = (what: string, id: string) => {
    if (!IDENTIFIER.test(id)) {
      throw problem(
        `${what} ${JSON.stringify(id)} must be 1-64 letters, digits or underscores, not starting with a digit`,
      );
    }
    if (isReservedWord(id)) {
      throw problem(`${what} ${id} is a reserved word in MySQL 8.4 or MariaDB; choose another name`);
    }
  };
  plainName('table name', name);
  // The MySQL dialect's row alias for the new row (dialect.ts, ROW_ALIAS) must not be the table's name.
  if (name.toLowerCase() === 'new') throw problem('a table may not be named new (the upsert row alias)');
  for (const col of Object.keys(columns)) plainName('column name', col);
  if (key.length === 0) throw problem('has no key');
  for (const k of key) if (!columns[k]) throw problem(`key column ${k} is not a column`);
  if (lateness) {
    if (!key.includes(lateness.windowEnd) || columns[lateness.windowEnd]?.kind !== 'datetime')
      throw problem(`lateness: ${lateness.windowEnd} is not a DATETIME key column`);
    if (!Number.isSafeInteger(lateness.allowedMs) || lateness.allowedMs < 0)
      throw problem('lateness: allowedMs must be a whole number of milliseconds, 0 or more');
  }
  const merges = Object.entries(merge) as Array<[string, Merge]>;
  const orderKeys = checkMerges(merges, columns, key, problem);
  const assignment = (column: string, m: Merge): Assignment => {
    if (m === 'add' || m === 'min' || m === 'max') return { column, merge: m };
    if (m === 'newestOrFirst') return { column, merge: 'newestOrFirst', by: LAST_EVENT_KEY };
    const by = orderKeyOf(m)!;
    return { column, merge: typeof m === 'object' && 'firstValue' in m ? 'oldest' : 'newest', by };
  };
  // Order keys last (each after the columns it orders), last_event_key very last.
  const rank = (col: string) => (col === LAST_EVENT_KEY ? 2 : orderKeys.has(col) ? 1 : 0);
  const assignments = merges
    .filter(([col]) => !orderKeys.has(col))
    .map(([col, m]) => assignment(col, m))
    .concat(
      [...orderKeys]
        .sort(([a], [b]) => rank(a) - rank(b))
        .map(([col, oldest]) => assignment(col, oldest ? { firstValue: col } : { newestBy: col })),
    );
  return {
    name,
    columns,
    key,
    merge: merge as Record<string, Merge>,
    written: Object.entries(columns)
      .filter(([, c]) => c.written)
      .map(([col]) => col),
    assignments: assignments.length > 0 ? assignments : [{ column: key[0]!, merge: 'same' }],
    combinable: merges.every(([, m]) => m !== 'newestOrFirst'),
    ...(lateness && { lateness: { windowEnd: lateness.windowEnd, allowedMs: lateness.allowedMs } }),
  };
}

/**
 * Checks a table's merges against its columns; returns its order keys, each with whether it orders
 * oldest first (firstValue).
 */
function checkMerges(
  merges: ReadonlyArray<[string, Merge]>,
  columns: Columns,
  key: readonly string[],
  problem: (message: string) => Error,
): Map<string, boolean> {
  const orderKeys = new Map<string, boolean>();
  const owned = new Map<string, string>();
  for (const [col, m] of merges) {
    const spec = columns[col];
    if (!spec) throw problem(`merge names ${col}, which is not a column`);
    if (key.includes(col)) throw problem(`merge names key column ${col}`);
    if ((m === 'min' || m === 'max') && !(NUMERIC_OR_TIME.has(spec.kind) && spec.nullable)) {
      throw problem(`${col} merges ${m}: a nullable number or time column, not ${spec.sqlType}`);
    }
    const by = orderKeyOf(m);
    if (!by) continue;
    if (!columns[by]) throw problem(`${col} merges newest by ${by}, which is not a column`);
    if (ownOrderKey(m)) {
      if (!spec.nullable) throw problem(`${col} merges ${show(m)}: a nullable column (NULLs are skipped)`);
      if (owned.has(by) || merges.some(([c, o]) => c !== col && orderKeyOf(o) === by)) {
        throw problem(`${col} merges ${show(m)}: its order key ${by} must order no other column`);
      }
      owned.set(by, col);
    }
    orderKeys.set(by, typeof m === 'object' && 'firstValue' in m);
  }
  return orderKeys;
}

const NUMERIC_OR_TIME = new Set<ColumnKind>(['int', 'bigint', 'decimal', 'datetime']);
const show = (m: Merge) => JSON.stringify(m);

/**
 * Orders events for "newest wins": event time, then payload version, then event id, as one string
 * that compares correctly byte by byte (the key columns have a binary collation).
 */
export function eventOrderKey(timestamp: number, version: string, eventId: string): string {
  const [major = '0', minor = '0'] = version.split('.');
  return `${String(timestamp).padStart(15, '0')}|${major.padStart(4, '0')}.${minor.padStart(4, '0')}|${eventId}`;
}
