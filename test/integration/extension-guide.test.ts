/**
 * The README's extension guide, followed once: a new event type (`user_signup`) added to the user
 * domain with its payload schema, its table and its processor — no handler code touched.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { z } from 'zod';
import {
  EVENT_COLUMNS,
  eventRow,
  KAFKA_COLUMNS,
  USER_COLUMNS,
  userRow,
} from '../../shared/domains/common.ts';
import type { Dimensions } from '../../shared/domains/dimensions.ts';
import { user } from '../../shared/domains/user.ts';
import { defineDomain } from '../../shared/pipeline/domain.ts';
import { defineProcessor } from '../../shared/pipeline/processor.ts';
import { defineTable, rowOf, varchar } from '../../shared/tables/table.ts';
import { domainHandler, dump, freshDatabase, type TestDatabase } from '../support/database.ts';
import { businessEvent, type Json, kafkaEvent, kafkaRecord, lambdaContext } from '../support/events.ts';

// 1. The payload schema.
const userSignupV1 = z.object({ userId: z.string().min(1).max(64), channel: z.string().min(1).max(32) });

// 2. Its table (and, in real life, its migration in db/migrations).
const SIGNUP_DDL = `CREATE TABLE user_signup_wide (
  event_id VARCHAR(64) NOT NULL PRIMARY KEY, event_type VARCHAR(64) NOT NULL, event_time DATETIME(3) NOT NULL,
  event_version VARCHAR(9) NOT NULL, source VARCHAR(64) NOT NULL, user_id VARCHAR(64) NOT NULL,
  channel VARCHAR(32) NOT NULL, user_name VARCHAR(128) NULL, user_level VARCHAR(32) NULL, region VARCHAR(64) NULL,
  kafka_topic VARCHAR(249) NOT NULL, kafka_partition INT NOT NULL, kafka_offset BIGINT NOT NULL,
  processed_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3))`;
const userSignupWide = defineTable({
  name: 'user_signup_wide',
  columns: {
    ...EVENT_COLUMNS,
    user_id: varchar(64),
    channel: varchar(32),
    ...USER_COLUMNS,
    ...KAFKA_COLUMNS,
  },
  key: ['event_id'],
});

// 3. The processor.
const userSignup = defineProcessor<z.output<typeof userSignupV1>, Dimensions>({
  type: 'user_signup',
  dimensionKeys: (e) => ({ user: e.payload.userId }),
  toWrite: (e, dims, record) => ({
    eventId: e.eventId,
    event: rowOf(userSignupWide, {
      ...eventRow(e, record),
      user_id: e.payload.userId,
      channel: e.payload.channel,
      ...userRow(dims.get('user', e.payload.userId)),
    }),
    state: [],
  }),
});

// 4. All three added to the domain.
const userWithSignup = defineDomain({
  ...user,
  events: [...user.events, { type: 'user_signup', version: '1.0', payload: userSignupV1 }],
  tables: [...user.tables, userSignupWide],
  processors: [...user.processors, userSignup],
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
  const handler = domainHandler(userWithSignup, db);
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
