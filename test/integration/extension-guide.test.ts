/**
 * The README's extension guide, followed once: a new event type (`user_signup`) added with a
 * payload schema, a processor, one registration and its table — no handler code touched.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { z } from 'zod';
import type { CatalogEntry } from '../../shared/events/catalog.ts';
import type { TableSpec } from '../../shared/mysql/tables.ts';
import { defineProcessor } from '../../shared/processors/processor.ts';
import { eventColumns, userColumns } from '../../shared/processors/rows.ts';
import { USER_PROCESSORS } from '../../shared/processors/user.ts';
import { domainHandler, dump, freshDatabase, type TestDatabase } from '../support/database.ts';
import { businessEvent, type Json, kafkaEvent, kafkaRecord, lambdaContext } from '../support/events.ts';

// 1. The payload schema, registered in the catalog by type and version.
const userSignupV1 = z.object({ userId: z.string().min(1).max(64), channel: z.string().min(1).max(32) });
const signupEntry: CatalogEntry = {
  domain: 'user',
  type: 'user_signup',
  version: '1.0',
  payload: userSignupV1,
};

// 2. Its table (a migration in db/migrations in real life) and its spec for the sink.
const SIGNUP_DDL = `CREATE TABLE user_signup_wide (
  event_id VARCHAR(64) NOT NULL PRIMARY KEY, event_type VARCHAR(64) NOT NULL, event_time DATETIME(3) NOT NULL,
  event_version VARCHAR(9) NOT NULL, source VARCHAR(64) NOT NULL, user_id VARCHAR(64) NOT NULL,
  channel VARCHAR(32) NOT NULL, user_name VARCHAR(128) NULL, user_level VARCHAR(32) NULL, region VARCHAR(64) NULL,
  kafka_topic VARCHAR(249) NOT NULL, kafka_partition INT NOT NULL, kafka_offset BIGINT NOT NULL)`;
const userSignupWide: TableSpec = {
  name: 'user_signup_wide',
  columns: [
    'event_id',
    'event_type',
    'event_time',
    'event_version',
    'source',
    'user_id',
    'channel',
    'user_name',
    'user_level',
    'region',
    'kafka_topic',
    'kafka_partition',
    'kafka_offset',
  ],
  key: ['event_id'],
  merge: 'event_id = event_id',
};

// 3. The processor.
const userSignup = defineProcessor<z.output<typeof userSignupV1>>({
  type: 'user_signup',
  dimensionKeys: (e) => ({ user: e.payload.userId }),
  toWrite: (e, dims, record) => ({
    eventId: e.eventId,
    event: {
      table: userSignupWide,
      row: {
        ...eventColumns(e, record),
        user_id: e.payload.userId,
        channel: e.payload.channel,
        ...userColumns(dims.user(e.payload.userId)),
      },
    },
    state: [],
  }),
});

let db: TestDatabase;
beforeAll(async () => {
  db = await freshDatabase();
  await db.conn.query(SIGNUP_DDL);
  await db.conn.query(
    `INSERT INTO dim_user (user_id, user_name, user_level, region) VALUES ('u5', 'Dee', 'gold', 'west')`,
  );
});
afterAll(async () => {
  await db?.drop();
});

it('a new event type works end to end through the unchanged user handler', async () => {
  // 4. One registration.
  const handler = domainHandler('user', db, {
    processors: [...USER_PROCESSORS, userSignup],
    catalog: [signupEntry],
  });
  const signup: Json = {
    ...businessEvent('user_login', { type: 'user_signup', eventId: 'signup-1' }),
    payload: { userId: 'u5', channel: 'app' },
  };
  const bad = { ...signup, eventId: 'bad-signup', payload: { userId: 'u5' } };
  const event = kafkaEvent([
    kafkaRecord({ offset: 1, value: signup }),
    kafkaRecord({ offset: 2, value: bad }),
    kafkaRecord({ offset: 3, value: businessEvent('user_login', {}, { userId: 'u5' }) }),
  ]);
  for (let i = 0; i < 2; i++) expect((await handler(event, lambdaContext())).batchItemFailures).toEqual([]);

  expect(await dump(db.conn, 'user_signup_wide', 'event_id')).toMatchObject([
    {
      event_id: signup.eventId,
      user_id: 'u5',
      channel: 'app',
      user_name: 'Dee',
      region: 'west',
      kafka_offset: '1',
    },
  ]);
  expect(await dump(db.conn, 'event_dead_letter', 'kafka_offset')).toMatchObject([
    { kafka_offset: '2', reason: 'schema', event_id: 'bad-signup' },
  ]);
  expect(await dump(db.conn, 'user_event_wide', 'event_id')).toHaveLength(1);
});
