/**
 * The product domain: views, searches and recommendations, each a row of product_event_wide (no
 * state table).
 */
import { z } from 'zod';
import type { BusinessEvent } from '../events/business-event.ts';
import { id, text } from '../events/catalog.ts';
import { defineDomain } from '../pipeline/domain.ts';
import { type DimensionView, defineProcessor, type RecordCoordinates } from '../pipeline/processor.ts';
import { defineTable, int, json, type RowOf, rowOf, varchar } from '../tables/table.ts';
import {
  EVENT_COLUMNS,
  eventRow,
  idColumn,
  KAFKA_COLUMNS,
  PRODUCT_COLUMNS,
  productRow,
  USER_COLUMNS,
  userRow,
} from './common.ts';
import type { Dimensions } from './dimensions.ts';

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
type ProductColumns = Omit<
  RowOf<typeof productEventWide>,
  keyof ReturnType<typeof eventRow> | 'product_id' | 'user_id'
>;

function productWrite(
  event: BusinessEvent<{ userId?: string | undefined }>,
  record: RecordCoordinates,
  dims: DimensionView<Dimensions>,
  productId: string | undefined,
  columns: ProductColumns,
) {
  return {
    eventId: event.eventId,
    event: rowOf(productEventWide, {
      ...eventRow(event, record),
      product_id: productId ?? null,
      user_id: event.payload.userId ?? null,
      ...productRow(dims.get('product', productId)),
      ...userRow(dims.get('user', event.payload.userId)),
      ...columns,
    }),
    state: [],
  };
}

export const productView = defineProcessor<z.output<typeof productViewV1>, Dimensions>({
  type: 'product_view',
  dimensionKeys: (e) => ({ user: e.payload.userId, product: e.payload.productId }),
  toWrite: (e, dims, record) =>
    productWrite(e, record, dims, e.payload.productId, { referrer: e.payload.referrer ?? null }),
});

export const productSearch = defineProcessor<z.output<typeof productSearchV1>, Dimensions>({
  type: 'product_search',
  dimensionKeys: (e) => ({ user: e.payload.userId }),
  toWrite: (e, dims, record) =>
    productWrite(e, record, dims, undefined, {
      keyword: e.payload.keyword,
      result_count: e.payload.resultCount,
    }),
});

export const productRecommend = defineProcessor<z.output<typeof productRecommendV1>, Dimensions>({
  type: 'product_recommend',
  dimensionKeys: (e) => ({ user: e.payload.userId }),
  toWrite: (e, dims, record) =>
    productWrite(e, record, dims, undefined, {
      scene: e.payload.scene,
      recommended_product_ids: JSON.stringify(e.payload.productIds),
    }),
});

export const product = defineDomain({
  name: 'product',
  events: [
    { type: 'product_view', version: '1.0', payload: productViewV1 },
    { type: 'product_search', version: '1.0', payload: productSearchV1 },
    { type: 'product_recommend', version: '1.0', payload: productRecommendV1 },
  ],
  tables: [productEventWide],
  processors: [productView, productSearch, productRecommend],
});
