/**
 * The dimension columns of the state tables, each merged as Flink's LAST_VALUE merges it: the
 * newest non-NULL value, by an order key of its own (shared/tables/table.ts, merge lastValue). An
 * event from a user the dimension does not know yet (or whose row has a NULL) leaves the value
 * the older events gave, whatever order the events arrive in.
 */
import type { Merge } from '../tables/table.ts';
import { orderKeyColumn, PRODUCT_COLUMNS, productRow, USER_COLUMNS, userRow } from './common.ts';
import type { ProductRow, UserRow } from './dimensions.ts';

export const USER_STATE_COLUMNS = {
  ...USER_COLUMNS,
  user_name_key: orderKeyColumn(),
  user_level_key: orderKeyColumn(),
  region_key: orderKeyColumn(),
};

export const PRODUCT_STATE_COLUMNS = {
  ...PRODUCT_COLUMNS,
  product_name_key: orderKeyColumn(),
  category_key: orderKeyColumn(),
  brand_key: orderKeyColumn(),
};

/** `{ column: { lastValue: 'column_key' } }` for each column. */
function lastValues<const C extends string>(columns: readonly C[]): Record<C, Merge> {
  return Object.fromEntries(columns.map((c) => [c, { lastValue: `${c}_key` }])) as Record<C, Merge>;
}

export const USER_LAST_VALUES = lastValues(['user_name', 'user_level', 'region']);
export const PRODUCT_LAST_VALUES = lastValues(['product_name', 'category', 'brand']);

/** A state row's user columns and their order keys (a NULL value's key is sent as '', never newer). */
export function userState(user: UserRow | null, key: string) {
  return { ...userRow(user), user_name_key: key, user_level_key: key, region_key: key };
}

/** A state row's product columns and their order keys. */
export function productState(product: ProductRow | null, key: string) {
  return { ...productRow(product), product_name_key: key, category_key: key, brand_key: key };
}
