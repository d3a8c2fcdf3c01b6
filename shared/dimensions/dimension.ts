/**
 * Dimension tables, declared: the table (its name is the dimension's one name), its key, the
 * columns a lookup returns, and cache defaults. From the declaration come its table definition,
 * its lookups (one `WHERE key IN (…)` query for a batch's misses, or the whole table in FULL
 * mode), its warm cache, the column group and row part of the event tables it enriches
 * (`enrichment`), and its configuration variables `DIM_<NAME>_TTL_SECONDS` (`dim_user`:
 * `DIM_USER_TTL_SECONDS`), `_STALE_SECONDS`, `_NEGATIVE_TTL_SECONDS`, `_MAX_ENTRIES`, `_PRELOAD`
 * and `_RELOAD_SECONDS`. Adding a dimension table is a declaration (shared/domains/dimensions.ts)
 * and a migration; nothing in the pipeline, the handler factory or the config loader changes.
 */
import type { Database } from '../sink/database.ts';
import { type Columns, defineTable, type Table } from '../tables/table.ts';
import { DimensionCache, type DimensionCacheSettings, type DimensionLoader } from './dimension-cache.ts';

/** A dimension table as the runtime holds it. */
export interface Dimension {
  /**
   * Its MySQL table's name, the one name it has everywhere: SQL joins it, processors look rows up
   * by it (`dims.get('dim_user', …)`), its variables are named after it (`DIM_USER_…`).
   */
  readonly name: string;
  readonly table: { readonly name: string; readonly columns: Columns };
  readonly key: string;
  /** The columns a lookup returns. */
  readonly columns: readonly string[];
  /** This table's cache defaults; the variables override them. */
  readonly cache: Partial<DimensionCacheSettings>;
}

/** A declared dimension table, typed by its table's columns. */
export interface DimensionOf<C extends Columns, V extends keyof C & string, N extends string>
  extends Dimension {
  readonly name: N;
  readonly table: Table<C>;
  readonly key: keyof C & string;
  readonly columns: readonly V[];
}

/** What a lookup of dimension `D` returns. */
export type DimensionRow<D> =
  D extends DimensionOf<infer C, infer V, string> ? { [K in V]: C[K]['__value'] | null } : never;

/** A dimension's declaration: its table (name, every column, key) and the columns a lookup returns. */
export interface DimensionDeclaration<N extends string, C extends Columns, V extends keyof C & string> {
  /** The MySQL table's name (`dim_<what>`). */
  name: N;
  /** Every column of the table, as in its migration. */
  columns: C;
  key: keyof C & string;
  /** The columns a lookup returns (and events are enriched with). */
  returns: readonly V[];
  cache?: Partial<DimensionCacheSettings>;
}

export function defineDimension<
  const N extends string,
  const C extends Columns,
  const V extends keyof C & string,
>(declaration: DimensionDeclaration<N, C, V>): DimensionOf<C, V, N> {
  const { name, columns, key, returns, cache = {} } = declaration;
  const problem = (message: string) => new Error(`dimension ${name}: ${message}`);
  if ('table' in declaration) {
    const table = (declaration as { table: { name?: string } }).table;
    throw problem(
      `a dimension is named by its table now: declare { name: '${table.name}', columns, key, returns } ` +
        `and look it up as '${table.name}' (dims.get, dimensionKeys)`,
    );
  }
  if (!/^[a-z][a-z0-9_]{0,31}$/.test(name)) throw problem('name must be lower case');
  const table = defineTable({ name, columns, key: [key] });
  for (const column of [key, ...returns]) {
    if (!table.columns[column]) throw problem(`${column} is not a column of ${name}`);
  }
  return { name, table, key, columns: returns, cache };
}

/**
 * The columns of dimension `d` an event table copies (all it returns, or `only` those), and the
 * row part filling them from a lookup's row (NULL when the row is missing).
 */
export function enrichment<C extends Columns, V extends keyof C & string, const K extends V = V>(
  d: DimensionOf<C, V, string>,
  only?: readonly K[],
) {
  const names = (only ?? d.columns) as readonly K[];
  const columns = Object.fromEntries(names.map((n) => [n, d.table.columns[n]])) as { [P in K]: C[P] };
  const row = (found: { readonly [P in K]: C[P]['__value'] | null } | null) =>
    Object.fromEntries(names.map((n) => [n, found?.[n] ?? null])) as { [P in K]: C[P]['__value'] | null };
  return { columns, row };
}

/** Cache settings variables of a dimension, each with the setting it sets and its unit. */
export function dimensionVariables(name: string) {
  // dim_user: DIM_USER_…, not DIM_DIM_USER_…
  const p = `DIM_${name.toUpperCase().replace(/^DIM_/, '')}_`;
  return {
    ttlMs: `${p}TTL_SECONDS`,
    staleMs: `${p}STALE_SECONDS`,
    negativeTtlMs: `${p}NEGATIVE_TTL_SECONDS`,
    maxEntries: `${p}MAX_ENTRIES`,
    preload: `${p}PRELOAD`,
    reloadMs: `${p}RELOAD_SECONDS`,
  } as const satisfies Record<keyof DimensionCacheSettings, string>;
}

const MAX_KEYS_PER_QUERY = 1_000;

/** Loads rows of one dimension table: `WHERE key IN (...)` for a batch's misses, or the whole table. */
function mysqlDimensionLoader(db: Database, dimension: Dimension): DimensionLoader<object> {
  const { table, key, columns } = dimension;
  const select = `SELECT ${key} AS dim_key, ${columns.join(', ')} FROM ${table.name}`;
  const toMap = (rows: Array<Record<string, unknown>>) => {
    const out = new Map<string, object>();
    for (const { dim_key, ...value } of rows) out.set(String(dim_key), value);
    return out;
  };
  return {
    load: (keys) =>
      db.run(async (conn) => {
        const rows: Array<Record<string, unknown>> = [];
        for (let i = 0; i < keys.length; i += MAX_KEYS_PER_QUERY) {
          rows.push(
            ...(await conn.query<typeof rows>(`${select} WHERE ${key} IN (?)`, [
              keys.slice(i, i + MAX_KEYS_PER_QUERY),
            ])),
          );
        }
        return toMap(rows);
      }),
    loadAll: () => db.run(async (conn) => toMap(await conn.query(select))),
  };
}

/** One warm cache per declared dimension, by name. */
export type DimensionCaches = ReadonlyMap<string, DimensionCache<object>>;

export function createDimensionCaches(
  db: Database,
  dimensions: readonly Dimension[],
  settings: Readonly<Record<string, Partial<DimensionCacheSettings>>>,
): DimensionCaches {
  return new Map(
    dimensions.map((d) => [
      d.name,
      new DimensionCache(d.name, mysqlDimensionLoader(db, d), { ...d.cache, ...settings[d.name] }),
    ]),
  );
}
