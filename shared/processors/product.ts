/** Processors of the product domain: rows of product_event_wide (no state table). */
import type { BusinessEvent } from '../events/business-event.ts';
import type { ProductRecommend, ProductSearch, ProductView } from '../events/catalog.ts';
import type { EventWrite } from '../mysql/sink.ts';
import { productEventWide, type Row } from '../mysql/tables.ts';
import { type DimensionView, defineProcessor, type RecordCoordinates } from './processor.ts';
import { eventColumns, productColumns, userColumns } from './rows.ts';

function productWrite(
  event: BusinessEvent<{ userId?: string | undefined }>,
  record: RecordCoordinates,
  dims: DimensionView,
  productId: string | undefined,
  columns: Row,
): EventWrite {
  return {
    eventId: event.eventId,
    event: {
      table: productEventWide,
      row: {
        ...eventColumns(event, record),
        product_id: productId ?? null,
        user_id: event.payload.userId ?? null,
        ...productColumns(dims.product(productId)),
        ...userColumns(dims.user(event.payload.userId)),
        ...columns,
      },
    },
    state: [],
  };
}

export const productView = defineProcessor<ProductView>({
  type: 'product_view',
  dimensionKeys: (e) => ({ user: e.payload.userId, product: e.payload.productId }),
  toWrite: (e, dims, record) =>
    productWrite(e, record, dims, e.payload.productId, { referrer: e.payload.referrer ?? null }),
});

export const productSearch = defineProcessor<ProductSearch>({
  type: 'product_search',
  dimensionKeys: (e) => ({ user: e.payload.userId }),
  toWrite: (e, dims, record) =>
    productWrite(e, record, dims, undefined, {
      keyword: e.payload.keyword,
      result_count: e.payload.resultCount,
    }),
});

export const productRecommend = defineProcessor<ProductRecommend>({
  type: 'product_recommend',
  dimensionKeys: (e) => ({ user: e.payload.userId }),
  toWrite: (e, dims, record) =>
    productWrite(e, record, dims, undefined, {
      scene: e.payload.scene,
      recommended_product_ids: JSON.stringify(e.payload.productIds),
    }),
});

export const PRODUCT_PROCESSORS = [productView, productSearch, productRecommend];
