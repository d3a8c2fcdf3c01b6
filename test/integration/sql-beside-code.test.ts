/**
 * A SQL aggregate beside a code processor of the same type, exactly once on MariaDB: the order
 * domain's product_sales_minute (shared/domains/order.ts, PRODUCT_SALES_SQL) is merged with
 * order_wide's code state, anchored by the type's one event row — in one batch and event by event,
 * with late events (older minutes after newer ones), duplicates inside a batch, replays, and
 * functions racing on the same batches.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { order } from '../../shared/domains/order.ts';
import { domainHandler, dump, freshDatabase, type TestDatabase } from '../support/database.ts';
import { businessEvent, type Json, kafkaEvent, kafkaRecord, lambdaContext } from '../support/events.ts';

let db: TestDatabase;
beforeAll(async () => {
  db = await freshDatabase('lrt_sqlagg');
});
afterAll(async () => {
  await db?.drop();
});

const MINUTE = 60_000;
const T0 = 1_790_000_040_000 - (1_790_000_040_000 % MINUTE);

/** 24 orders over three minutes and two products; the newest minute first. */
function orders(): Json[] {
  const out: Json[] = [];
  for (let i = 23; i >= 0; i--) {
    out.push(
      businessEvent(
        'order_create',
        { timestamp: T0 + (i % 3) * MINUTE + i * 100 },
        {
          orderId: `o${i}`,
          userId: `u${i % 4}`,
          productId: `p${i % 2}`,
          quantity: 1 + (i % 3),
          amount: `${i}.25`,
        },
      ),
    );
  }
  return out;
}

describe('product_sales_minute: a SQL aggregate beside the order domain’s code state', () => {
  it('counts every order once per product and minute, replayed, duplicated and raced', async () => {
    await db.truncate();
    const events = orders();
    const records = [...events, events[0]!, events[5]!].map((value, i) =>
      kafkaRecord({ partition: i % 2, offset: i, value }),
    );
    const halves = [records.slice(0, 13), records.slice(13)].map((r) => kafkaEvent(r));
    const handler = domainHandler(order, db);
    for (const batch of halves) expect((await handler(batch, lambdaContext())).batchItemFailures).toEqual([]);
    const raced = await Promise.all(
      [...halves, kafkaEvent(records), ...halves].map((b) => domainHandler(order, db)(b, lambdaContext())),
    );
    expect(raced.map((r) => r.batchItemFailures)).toEqual(raced.map(() => []));

    const want = new Map<string, { order_count: number; quantity: number; gmv: number; max: number }>();
    for (const e of events) {
      const p = e.payload as { productId: string; quantity: number; amount: string };
      const ts = e.timestamp as number;
      const key = `${p.productId} ${new Date(ts - (ts % MINUTE)).toISOString()}`;
      const w = want.get(key) ?? { order_count: 0, quantity: 0, gmv: 0, max: 0 };
      w.order_count += 1;
      w.quantity += p.quantity;
      w.gmv += Number(p.amount);
      w.max = Math.max(w.max, Number(p.amount));
      want.set(key, w);
    }
    const rows = await dump(db.conn, 'product_sales_minute', 'product_id, window_start');
    expect(rows).toHaveLength(want.size);
    for (const row of rows) {
      const w = want.get(`${row.product_id} ${(row.window_start as Date).toISOString()}`)!;
      expect({
        order_count: Number(row.order_count),
        quantity: Number(row.quantity),
        gmv: Number(row.gmv),
        max: Number(row.max_amount),
      }).toEqual(w);
    }
    expect(await dump(db.conn, 'order_wide', 'order_id')).toHaveLength(events.length);
    expect(await dump(db.conn, 'order_event_wide', 'event_id')).toHaveLength(events.length);
  });
});
