/**
 * `npm run invoke` needs only what one invocation uses: with the database's DB_* variables it runs
 * with no Kafka reachable and no AWS API emulator, and the event lands in the database.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { freshDatabase, type TestDatabase } from '../support/database.ts';

const run = promisify(execFile);
let db: TestDatabase;
beforeAll(async () => {
  db = await freshDatabase();
});
afterAll(async () => {
  await db?.drop();
});

it('invokes a function with only the database reachable: no Kafka, no AWS API', async () => {
  const {
    KAFKA_BROKERS,
    AWS_ENDPOINT_URL,
    AWS_ACCESS_KEY_ID,
    AWS_SECRET_ACCESS_KEY,
    AWS_REGION,
    DB_SECRET_ID,
    ...rest
  } = process.env;
  const { stdout } = await run(
    process.execPath,
    ['scripts/local/invoke.ts', 'order', 'examples/order_create.json'],
    {
      env: {
        ...rest,
        ...db.env,
        // Nothing answers there: a tool that needed Kafka would fail.
        KAFKA_BROKERS: '127.0.0.1:1',
        LRT_NO_PROVISION: '1',
      },
      timeout: 60_000,
    },
  );
  expect(JSON.parse(stdout)).toEqual({ batchItemFailures: [] });
  const { eventId } = JSON.parse(readFileSync('examples/order_create.json', 'utf8')) as { eventId: string };
  const [rows] = (await db.conn.query('SELECT event_id FROM order_event_wide WHERE event_id = ?', [
    eventId,
  ])) as unknown as [Array<{ event_id: string }>];
  expect(rows).toHaveLength(1);
}, 90_000);
