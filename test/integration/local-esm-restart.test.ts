/**
 * The local event source mapping and a real function together: a runner killed mid-batch and
 * restarted loses nothing, and the records it delivers twice are absorbed by the sink (checked in
 * the database, counters included).
 */
import { Admin, Producer } from '@platformatic/kafka';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { eventSource } from '../../infra/config/event-sources.ts';
import { EsmRunner } from '../../local-esm/index.ts';
import type { KafkaHandler } from '../../shared/pipeline/lambda-event.ts';
import { domainHandler, dump, freshDatabase, type TestDatabase } from '../support/database.ts';
import { businessEvent, type Json } from '../support/events.ts';
import { services, uniqueName } from '../support/services.ts';

let db: TestDatabase;
beforeAll(async () => {
  db = await freshDatabase();
});
afterAll(async () => {
  await db?.drop();
});

async function until(condition: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

it('killed mid-batch and restarted, writes every event exactly once', async () => {
  const brokers = services().kafkaBrokers;
  const topic = uniqueName('esm_db');
  const admin = new Admin({ clientId: 'esm-db-admin', bootstrapBrokers: brokers });
  await admin.createTopics({ topics: [topic, `${topic}-failures`], partitions: 3, replicas: 1 });
  await admin.close();

  const types = ['user_login', 'user_view', 'user_purchase'];
  const events: Json[] = Array.from({ length: 300 }, (_, i) =>
    businessEvent(types[i % 3]!, {}, { userId: `u${i % 10}`, amount: '2.5' }),
  );
  const sent = [...events, ...events.slice(0, 20)]; // a producer's retries: 20 duplicates
  const producer = new Producer({ clientId: 'esm-db-producer', bootstrapBrokers: brokers, idempotent: true });
  await producer.send({
    messages: sent.map((e) => ({
      topic,
      key: Buffer.from(String((e.payload as { userId: string }).userId)),
      value: Buffer.from(JSON.stringify(e)),
    })),
  });
  await producer.close();

  const settings = eventSource({
    topics: [topic],
    batchSize: 40,
    maximumBatchingWindowInSeconds: 0,
    onFailureTopic: `${topic}-failures`,
    consumerGroupId: uniqueName('esm_db_group'),
  });
  const function_ = domainHandler('user', db);
  const real = function_ as unknown as KafkaHandler;
  let calls = 0;
  let reachedGate: () => void = () => {};
  const gateReached = new Promise<void>((resolve) => {
    reachedGate = resolve;
  });
  let openGate: () => void = () => {};
  const gate = new Promise<void>((resolve) => {
    openGate = resolve;
  });
  const gated: KafkaHandler = async (event, context) => {
    if (++calls === 3) {
      reachedGate();
      await gate; // the poller dies while this invocation runs; it still finishes, late
    }
    return real(event, context);
  };

  const first = new EsmRunner({ handler: gated, brokers, settings, backoff: { initialMs: 50, maxMs: 200 } });
  await first.start();
  await gateReached;
  await first.stop({ inFlight: 'abandon' });
  openGate();

  const second = new EsmRunner({ handler: real, brokers, settings, backoff: { initialMs: 50, maxMs: 200 } });
  await second.start();
  const count = async () => {
    const [[row]] = (await db.conn.query('SELECT COUNT(*) AS n FROM user_event_wide')) as unknown as [
      [{ n: number }],
    ];
    return Number(row.n);
  };
  await until(
    async () => (await count()) === events.length && (await second.lag()).toString() !== '',
    30_000,
    'all events',
  );
  await until(async () => Object.values(await second.lag()).every((lag) => lag === 0), 30_000, 'lag 0');
  await second.stop();

  expect(second.stats.recordsConsumed).toBeGreaterThan(0);
  // The 20 re-sent events and the abandoned batch (delivered again after the restart) were absorbed.
  const absorbed = function_.logs
    .map((line) => JSON.parse(line) as { DuplicatesAbsorbed?: number })
    .reduce((sum, entry) => sum + (entry.DuplicatesAbsorbed ?? 0), 0);
  expect(absorbed).toBeGreaterThanOrEqual(20 + 40);
  expect(await count()).toBe(events.length);
  const profiles = await dump(db.conn, 'user_profile_wide', 'user_id');
  expect(profiles).toHaveLength(10);
  for (const profile of profiles) {
    const mine = events.filter((e) => (e.payload as { userId: string }).userId === profile.user_id);
    expect(profile).toMatchObject({
      login_count: String(mine.filter((e) => e.type === 'user_login').length),
      view_count: String(mine.filter((e) => e.type === 'user_view').length),
      purchase_count: String(mine.filter((e) => e.type === 'user_purchase').length),
    });
  }
}, 90_000);
