/** A dimension's declaration: one name (its table's), and what derives from it. */
import { describe, expect, it } from 'vitest';
import { defineDimension, dimensionVariables, enrichment } from '../../../shared/dimensions/dimension.ts';
import { productDimension, userDimension } from '../../../shared/domains/dimensions.ts';
import { timestamp, varchar } from '../../../shared/tables/table.ts';

describe('defineDimension', () => {
  it('names the dimension, its table and its lookups by the MySQL table name', () => {
    expect(userDimension.name).toBe('dim_user');
    expect(userDimension.table.name).toBe('dim_user');
    expect(userDimension.table.key).toEqual(['user_id']);
    expect(userDimension.columns).toEqual(['user_name', 'user_level', 'region']);
  });

  it('keeps the variables DIM_<WHAT>_… for a dim_<what> table', () => {
    expect(dimensionVariables(userDimension.name).ttlMs).toBe('DIM_USER_TTL_SECONDS');
    expect(dimensionVariables('store').preload).toBe('DIM_STORE_PRELOAD');
  });

  it('tells a declaration of the old form what to write', () => {
    const old = { name: 'store', table: { name: 'dim_store' }, key: 'store_id', columns: [] };
    expect(() => defineDimension(old as never)).toThrow(
      /dimension store: a dimension is named by its table now: declare \{ name: 'dim_store'.*look it up as 'dim_store'/,
    );
  });

  it('refuses a key or a returned column the table does not have', () => {
    const columns = { store_id: varchar(64), updated_at: timestamp().byDatabase() };
    expect(() =>
      defineDimension({ name: 'dim_store', columns, key: 'store_id', returns: ['city' as never] }),
    ).toThrow(/city is not a column of dim_store/);
  });
});

describe('enrichment', () => {
  it('derives the column group and the row part from the declaration', () => {
    const user = enrichment(userDimension);
    expect(Object.keys(user.columns)).toEqual(['user_name', 'user_level', 'region']);
    expect(user.columns.user_name).toBe(userDimension.table.columns.user_name);
    expect(user.row(null)).toEqual({ user_name: null, user_level: null, region: null });
    expect(user.row({ user_name: 'Ann', user_level: null, region: 'north' })).toEqual({
      user_name: 'Ann',
      user_level: null,
      region: 'north',
    });
  });

  it('copies only the columns named', () => {
    const product = enrichment(productDimension, ['product_name', 'brand']);
    expect(Object.keys(product.columns)).toEqual(['product_name', 'brand']);
    const found = { product_name: 'Lamp', category: 'home', brand: 'Acme', price: 10 };
    expect(product.row(found)).toEqual({
      product_name: 'Lamp',
      brand: 'Acme',
    });
  });
});
