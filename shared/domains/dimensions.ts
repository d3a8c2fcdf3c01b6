/**
 * The dimension tables events are enriched from. Maintained by the business systems; lambda-realtime
 * only reads them. To add one: declare it here and add its migration (db/migrations).
 */
import { type DimensionRow, defineDimension, enrichment } from '../dimensions/dimension.ts';
import { decimal, timestamp, varchar } from '../tables/table.ts';

export const userDimension = defineDimension({
  name: 'dim_user',
  columns: {
    user_id: varchar(64),
    user_name: varchar(128).null(),
    user_level: varchar(32).null(),
    region: varchar(64).null(),
    updated_at: timestamp().byDatabase(),
  },
  key: 'user_id',
  returns: ['user_name', 'user_level', 'region'],
});

export const productDimension = defineDimension({
  name: 'dim_product',
  columns: {
    product_id: varchar(64),
    product_name: varchar(255).null(),
    category: varchar(64).null(),
    brand: varchar(64).null(),
    price: decimal(18, 4).null(),
    updated_at: timestamp().byDatabase(),
  },
  key: 'product_id',
  returns: ['product_name', 'category', 'brand', 'price'],
});

export const DIMENSIONS = [userDimension, productDimension] as const;

export type UserRow = DimensionRow<typeof userDimension>;
export type ProductRow = DimensionRow<typeof productDimension>;

/** What a lookup returns, by dimension name: the type code processors see. */
export type Dimensions = { [D in (typeof DIMENSIONS)[number] as D['name']]: DimensionRow<D> };

/** The user columns event tables copy, and their row part. */
export const USER_ENRICHMENT = enrichment(userDimension);
/** The product columns event tables copy (the price is looked up for SQL, not copied), and their row part. */
export const PRODUCT_ENRICHMENT = enrichment(productDimension, ['product_name', 'category', 'brand']);
