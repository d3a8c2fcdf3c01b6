/**
 * LAST_VALUE skips NULLs, as Flink's does (shared/tables/table.ts, merge lastValue), exactly once
 * and whatever order the events arrive in. The repro of issue 19: two order_cancel events for one
 * order, the newer with no reason and from a user the dimension does not know; order_wide keeps
 * 'too slow' and the region — in order, newest first, in one batch, replayed and raced.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { order } from '../../shared/domains/order.ts';
import { domainHandler, dump, freshDatabase, type TestDatabase } from '../support/database.ts';
import { businessEvent, type Json, kafkaEvent, kafkaRecord, lambdaContext } from '../support/events.ts';

let db: TestDatabase;
beforeAll(async () => {
  db = await freshDatabase('lrt_lastv');
});
afterAll(async () => {
  await db?.drop();
});

const T0 = 1_790_000_000_000;
const created = businessEvent(
  'order_create',
  { timestamp: T0 },
  { orderId: 'o1', userId: 'u1', productId: 'p1', quantity: 1, amount: '9.50' },
);
const cancelled = businessEvent(
  'order_cancel',
  { timestamp: T0 + 1_000 },
  { orderId: 'o1', userId: 'u1', reason: 'too slow' },
);
const cancelledAgain = businessEvent(
  'order_cancel',
  { timestamp: T0 + 2_000 },
  { orderId: 'o1', userId: 'u-new' },
);
delete (cancelledAgain.payload as Json).reason;

const batch = (events: Json[], partition: number) =>
  kafkaEvent(events.map((value, i) => kafkaRecord({ partition, offset: i, value })));

describe('order_wide: LAST_VALUE skips NULLs', () => {
  for (const [name, batches] of [
    ['in order, one event a batch', [[created], [cancelled], [cancelledAgain]]],
    ['newest first, one event a batch', [[cancelledAgain], [cancelled], [created]]],
    ['in one batch', [[cancelledAgain, created, cancelled]]],
  ] as const) {
    it(`keeps the reason and the region: ${name}, replayed and raced`, async () => {
      await db.truncate();
      await db.conn.query(
        `INSERT INTO dim_user (user_id, user_name, user_level, region) VALUES ('u1', 'Ann', 'gold', 'west')`,
      );
      const handler = domainHandler(order, db);
      const kafka = batches.map((events, i) => batch([...events], i));
      for (const b of kafka) expect((await handler(b, lambdaContext())).batchItemFailures).toEqual([]);
      const raced = await Promise.all(
        [...kafka, ...kafka].map((b) => domainHandler(order, db)(b, lambdaContext())),
      );
      expect(raced.map((r) => r.batchItemFailures)).toEqual(raced.map(() => []));
      const [row] = await dump(db.conn, 'order_wide', 'order_id');
      expect(row).toMatchObject({
        order_id: 'o1',
        status: 'CANCELLED',
        cancel_reason: 'too slow',
        cancelled_at: new Date(T0 + 2_000),
        user_name: 'Ann',
        user_level: 'gold',
        region: 'west',
        quantity: 1,
      });
      expect(await dump(db.conn, 'order_event_wide', 'event_id')).toHaveLength(3);
    });
  }
});
