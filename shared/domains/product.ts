/**
 * The product domain: views, searches and recommendations, each a row of product_event_wide (no
 * state table). Its processors are written in SQL, not code.
 */

import { id, text } from '../events/catalog.ts';
import * as z from '../events/zod.ts';
import { defineDomain } from '../pipeline/domain.ts';
import { defineTable, int, json, varchar } from '../tables/table.ts';
import { EVENT_COLUMNS, idColumn, KAFKA_COLUMNS, PRODUCT_COLUMNS, sql, USER_COLUMNS } from './common.ts';

// ---------------------------------------------------------------------------------- payloads
export const productViewV1 = z.object({
  productId: id,
  userId: z.optional(id),
  referrer: z.optional(text(255)),
});
export const productSearchV1 = z.object({
  keyword: text(255).check(z.minLength(1)),
  resultCount: z.number().check(z.int(), z.gte(0), z.lte(2_147_483_647)),
  userId: z.optional(id),
});
export const productRecommendV1 = z.object({
  userId: id,
  productIds: z.array(id).check(z.minLength(1), z.maxLength(100)),
  scene: text(64).check(z.minLength(1)),
});

// ------------------------------------------------------------------------------------ tables
export const productEventWide = defineTable({
  name: 'product_event_wide',
  columns: {
    ...EVENT_COLUMNS,
    product_id: idColumn().null(),
    user_id: idColumn().null(),
    referrer: varchar(255).null(),
    keyword: varchar(255).null(),
    result_count: int().null(),
    scene: varchar(64).null(),
    recommended_product_ids: json().null(),
    ...PRODUCT_COLUMNS,
    ...USER_COLUMNS,
    ...KAFKA_COLUMNS,
  },
  key: ['event_id'],
});

// -------------------------------------------------------------------------------- processors
const events = [
  {
    type: 'product_view',
    version: '1.0',
    payload: productViewV1,
    sample: (i: number) => ({ productId: `p${i % 5}`, userId: `u${i % 7}`, referrer: 'search' }),
  },
  {
    type: 'product_search',
    version: '1.0',
    payload: productSearchV1,
    sample: (i: number) => ({ keyword: 'lamp', resultCount: 12, userId: `u${i % 7}` }),
  },
  {
    type: 'product_recommend',
    version: '1.0',
    payload: productRecommendV1,
    sample: (i: number) => ({ userId: `u${i % 7}`, productIds: ['p1', 'p2'], scene: 'home' }),
  },
];
const tables = [productEventWide];

/** Flink SQL-style: one INSERT … SELECT per event type, dimensions joined through the warm cache. */
const PRODUCT_SQL = `
INSERT INTO product_event_wide
SELECT e.productId AS product_id, e.userId AS user_id, e.referrer,
       p.product_name, p.category, p.brand, u.user_name, u.user_level, u.region
FROM product_view e
LEFT JOIN dim_product p ON p.product_id = e.productId
LEFT JOIN dim_user u ON u.user_id = e.userId;

INSERT INTO product_event_wide
SELECT e.userId AS user_id, e.keyword, e.resultCount AS result_count,
       u.user_name, u.user_level, u.region
FROM product_search e
LEFT JOIN dim_user u ON u.user_id = e.userId;

INSERT INTO product_event_wide
SELECT e.userId AS user_id, e.scene, e.productIds AS recommended_product_ids,
       u.user_name, u.user_level, u.region
FROM product_recommend e
LEFT JOIN dim_user u ON u.user_id = e.userId;
`;

export const product = defineDomain({
  name: 'product',
  events,
  tables,
  processors: sql(PRODUCT_SQL, { tables, events }),
});
