/** The dimension tables events are enriched from, and their MySQL loaders. */
import type { Database } from '../mysql/database.ts';
import { DimensionCache, type DimensionCacheSettings, type DimensionLoader } from './dimension-cache.ts';

export interface UserDimension {
  user_name: string | null;
  user_level: string | null;
  region: string | null;
}

export interface ProductDimension {
  product_name: string | null;
  category: string | null;
  brand: string | null;
  price: string | null;
}

export const DIMENSION_TABLES = {
  user: { table: 'dim_user', key: 'user_id', columns: ['user_name', 'user_level', 'region'] },
  product: {
    table: 'dim_product',
    key: 'product_id',
    columns: ['product_name', 'category', 'brand', 'price'],
  },
} as const;

export type DimensionName = keyof typeof DIMENSION_TABLES;

export interface Dimensions {
  user: DimensionCache<UserDimension>;
  product: DimensionCache<ProductDimension>;
}

const MAX_KEYS_PER_QUERY = 1_000;

/** Loads rows of one dimension table: `WHERE key IN (...)` for a batch's misses, or the whole table. */
export function mysqlDimensionLoader<V>(db: Database, name: DimensionName): DimensionLoader<V> {
  const { table, key, columns } = DIMENSION_TABLES[name];
  const select = `SELECT ${key} AS dim_key, ${columns.join(', ')} FROM ${table}`;
  const toMap = (rows: Array<Record<string, unknown>>) => {
    const out = new Map<string, V>();
    for (const { dim_key, ...value } of rows) out.set(String(dim_key), value as V);
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

export function createDimensions(
  db: Database,
  settings: Record<DimensionName, Partial<DimensionCacheSettings>>,
): Dimensions {
  return {
    user: new DimensionCache<UserDimension>('user', mysqlDimensionLoader(db, 'user'), settings.user),
    product: new DimensionCache<ProductDimension>(
      'product',
      mysqlDimensionLoader(db, 'product'),
      settings.product,
    ),
  };
}
