/**
 * The product domain: views, searches and recommendations, each a row of product_event_wide (no
 * state table). Its processors are declared, not coded.
 */
import { z } from 'zod';
import { id, text } from '../events/catalog.ts';
import type { EventMapping } from '../pipeline/declarative.ts';
import { defineDomain } from '../pipeline/domain.ts';
import { defineTable, int, json, varchar } from '../tables/table.ts';
import { declared, EVENT_COLUMNS, idColumn, KAFKA_COLUMNS, PRODUCT_COLUMNS, USER_COLUMNS } from './common.ts';

// ---------------------------------------------------------------------------------- payloads
export const productViewV1 = z.object({
  productId: id,
  userId: id.optional(),
  referrer: text(255).optional(),
});
export const productSearchV1 = z.object({
  keyword: text(255).min(1),
  resultCount: z.number().int().min(0).max(2_147_483_647),
  userId: id.optional(),
});
export const productRecommendV1 = z.object({
  userId: id,
  productIds: z.array(id).min(1).max(100),
  scene: text(64).min(1),
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
  { type: 'product_view', version: '1.0', payload: productViewV1 },
  { type: 'product_search', version: '1.0', payload: productSearchV1 },
  { type: 'product_recommend', version: '1.0', payload: productRecommendV1 },
];
const tables = [productEventWide];

/** Every product event is enriched with its product (if any) and its user (if any). */
const PRODUCT_AND_USER = {
  product_name: { dimension: 'product', column: 'product_name' },
  category: { dimension: 'product', column: 'category' },
  brand: { dimension: 'product', column: 'brand' },
  user_name: { dimension: 'user', column: 'user_name' },
  user_level: { dimension: 'user', column: 'user_level' },
  region: { dimension: 'user', column: 'region' },
} as const;

const PRODUCT_MAPPINGS: EventMapping[] = [
  {
    type: 'product_view',
    into: 'product_event_wide',
    joins: [
      { dimension: 'product', on: 'productId' },
      { dimension: 'user', on: 'userId' },
    ],
    columns: {
      product_id: { payload: 'productId' },
      user_id: { payload: 'userId' },
      referrer: { payload: 'referrer' },
      ...PRODUCT_AND_USER,
    },
  },
  {
    type: 'product_search',
    into: 'product_event_wide',
    joins: [{ dimension: 'user', on: 'userId' }],
    columns: {
      user_id: { payload: 'userId' },
      keyword: { payload: 'keyword' },
      result_count: { payload: 'resultCount' },
      user_name: { dimension: 'user', column: 'user_name' },
      user_level: { dimension: 'user', column: 'user_level' },
      region: { dimension: 'user', column: 'region' },
    },
  },
  {
    type: 'product_recommend',
    into: 'product_event_wide',
    joins: [{ dimension: 'user', on: 'userId' }],
    columns: {
      user_id: { payload: 'userId' },
      scene: { payload: 'scene' },
      recommended_product_ids: { payload: 'productIds' },
      user_name: { dimension: 'user', column: 'user_name' },
      user_level: { dimension: 'user', column: 'user_level' },
      region: { dimension: 'user', column: 'region' },
    },
  },
];

export const product = defineDomain({
  name: 'product',
  events,
  tables,
  processors: declared(PRODUCT_MAPPINGS, { tables, events }),
});
