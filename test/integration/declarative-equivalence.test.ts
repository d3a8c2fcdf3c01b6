/**
 * The declarative form of a processor writes exactly what its code form writes: the same batches,
 * through each form's handler into its own schema, leave identical tables, row by row. The code
 * forms here are the processors the product domain had before it was declared.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { eventRow, productRow, userRow } from '../../shared/domains/common.ts';
import type { Dimensions } from '../../shared/domains/dimensions.ts';
import {
  product,
  productEventWide,
  type productRecommendV1,
  type productSearchV1,
  type productViewV1,
} from '../../shared/domains/product.ts';
import { defineDomain } from '../../shared/pipeline/domain.ts';
import { defineProcessor } from '../../shared/pipeline/processor.ts';
import { rowOf } from '../../shared/tables/table.ts';
import { domainHandler, dump, freshDatabase, type TestDatabase } from '../support/database.ts';
import { businessEvent, type Json, kafkaEvent, kafkaRecord, lambdaContext } from '../support/events.ts';

type Product = Dimensions['product'];

function productWrite(
  e: { eventId: string; payload: { userId?: string | undefined } },
  base: ReturnType<typeof eventRow>,
  dims: {
    get(n: 'product', k: string | undefined): Product | null;
    get(n: 'user', k: string | undefined): Dimensions['user'] | null;
  },
  productId: string | undefined,
  columns: {
    referrer?: string | null;
    keyword?: string;
    result_count?: number;
    scene?: string;
    recommended_product_ids?: string;
  },
) {
  return {
    eventId: e.eventId,
    event: rowOf(productEventWide, {
      ...base,
      product_id: productId ?? null,
      user_id: e.payload.userId ?? null,
      ...productRow(dims.get('product', productId)),
      ...userRow(dims.get('user', e.payload.userId)),
      ...columns,
    }),
    state: [],
  };
}

const productCode = defineDomain({
  ...product,
  processors: [
    defineProcessor<z.output<typeof productViewV1>, Dimensions>({
      type: 'product_view',
      dimensionKeys: (e) => ({ user: e.payload.userId, product: e.payload.productId }),
      toWrite: (e, dims, record) =>
        productWrite(e, eventRow(e, record), dims, e.payload.productId, {
          referrer: e.payload.referrer ?? null,
        }),
    }),
    defineProcessor<z.output<typeof productSearchV1>, Dimensions>({
      type: 'product_search',
      dimensionKeys: (e) => ({ user: e.payload.userId }),
      toWrite: (e, dims, record) =>
        productWrite(e, eventRow(e, record), dims, undefined, {
          keyword: e.payload.keyword,
          result_count: e.payload.resultCount,
        }),
    }),
    defineProcessor<z.output<typeof productRecommendV1>, Dimensions>({
      type: 'product_recommend',
      dimensionKeys: (e) => ({ user: e.payload.userId }),
      toWrite: (e, dims, record) =>
        productWrite(e, eventRow(e, record), dims, undefined, {
          scene: e.payload.scene,
          recommended_product_ids: JSON.stringify(e.payload.productIds),
        }),
    }),
  ],
});

/** Events of every product type, with and without their optional fields, known and unknown keys. */
function productEvents(): Json[] {
  const out: Json[] = [];
  for (let i = 0; i < 60; i++) {
    const userId = i % 4 === 0 ? {} : { userId: `u${i % 9}` };
    out.push(
      businessEvent(
        'product_view',
        {},
        { productId: `p${i % 7}`, ...userId, ...(i % 3 ? { referrer: 'ad' } : {}) },
      ),
    );
    const search = businessEvent('product_search', {}, { keyword: `k${i}`, resultCount: i });
    delete (search.payload as Record<string, unknown>).userId;
    Object.assign(search.payload as object, userId);
    out.push(search);
    out.push(
      businessEvent(
        'product_recommend',
        {},
        { userId: `u${i % 9}`, productIds: [`p${i % 7}`, 'p1'], scene: 'cart' },
      ),
    );
  }
  return out;
}

const SEED = [
  `INSERT INTO dim_user (user_id, user_name, user_level, region) VALUES
    ('u1','Ann','gold','west'),('u2','Bo',NULL,'east'),('u3','Cy','silver',NULL)`,
  `INSERT INTO dim_product (product_id, product_name, category, brand, price) VALUES
    ('p1','Lamp','home','Lux',19.99),('p2','Desk','office',NULL,99.00),('p3','Pen',NULL,'Ink',1.50)`,
];

let code: TestDatabase;
let declared: TestDatabase;
beforeAll(async () => {
  [code, declared] = await Promise.all([freshDatabase('lrt_code'), freshDatabase('lrt_decl')]);
  for (const sql of SEED) await Promise.all([code.conn.query(sql), declared.conn.query(sql)]);
});
afterAll(async () => {
  await Promise.all([code?.drop(), declared?.drop()]);
});

describe('product domain: declared vs code', () => {
  it('writes identical product_event_wide rows, in one batch and replayed', async () => {
    const records = productEvents().map((value, i) =>
      kafkaRecord({ partition: i % 3, offset: 100 + i, value }),
    );
    const event = kafkaEvent(records);
    for (const [domain, db] of [
      [productCode, code],
      [product, declared],
    ] as const) {
      const handler = domainHandler(domain, db);
      for (let i = 0; i < 2; i++)
        expect((await handler(event, lambdaContext())).batchItemFailures).toEqual([]);
    }
    const codeRows = await dump(code.conn, 'product_event_wide', 'event_id');
    expect(codeRows).toHaveLength(records.length);
    expect(await dump(declared.conn, 'product_event_wide', 'event_id')).toEqual(codeRows);
    expect(codeRows.some((r) => r.product_name === 'Lamp' && r.user_name === 'Ann')).toBe(true);
    expect(codeRows.some((r) => r.user_id === null && r.user_name === null)).toBe(true);
  });
});
