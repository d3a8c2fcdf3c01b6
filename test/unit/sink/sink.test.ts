/**
 * The sink's statements, against a recording stand-in for the database: dead letters sorted by
 * their unique key, identifiers quoted, nothing sent before the session check.
 */
import { describe, expect, it } from 'vitest';
import { PermanentEventError } from '../../../shared/pipeline/errors.ts';
import type { BatchWrites, DeadLetter } from '../../../shared/pipeline/ports.ts';
import type { Queryable } from '../../../shared/sink/database.ts';
import { MySqlSink, type SinkDatabase } from '../../../shared/sink/sink.ts';
import { kafkaRecord } from '../../support/events.ts';

/** A database that answers the session check as a well set-up MariaDB would and records the rest. */
function recordingDatabase(version = '10.11.6-MariaDB') {
  const sent: Array<{ sql: string; params: unknown[] }> = [];
  const checks: Array<(conn: Queryable) => Promise<void>> = [];
  const conn: Queryable = {
    async query<R>(sql: string, params: unknown[] = []): Promise<R> {
      if (sql.startsWith('SELECT VERSION()')) return [{ version }] as R;
      if (sql.startsWith('SELECT @@SESSION.'))
        return [{ isolation: 'READ-COMMITTED', time_zone: '+00:00', system_time_zone: 'UTC' }] as R;
      if (sql.includes('`affected_rows_probe`'))
        return [{}, { affectedRows: 1 }, { affectedRows: 0 }, {}] as R;
      sent.push({ sql, params });
      return [] as R;
    },
    async commitAll(statements) {
      for (const sql of statements) sent.push({ sql, params: [] });
      return statements.map(() => ({ affectedRows: 1 }));
    },
  };
  let checked = false;
  const db: SinkDatabase = {
    verifyEachPool: (check) => void checks.push(check),
    async run(work) {
      if (!checked) for (const check of checks) await check(conn);
      checked = true;
      return work(conn);
    },
  };
  return { db, sent };
}

const poison = (topic: string, partition: number, offset: number, timestamp: number): DeadLetter => ({
  record: kafkaRecord({ topic, partition, offset, timestamp, value: 'not json' }),
  error: new PermanentEventError('not_json', 'not JSON'),
  domain: 'user',
  eventId: undefined,
});

describe('MySqlSink', () => {
  it('writes dead letters sorted by their unique key, whatever order the batch had them in', async () => {
    const { db, sent } = recordingDatabase();
    const writes: BatchWrites = {
      events: [],
      deadLetters: [
        poison('shared', 1, 7, 2_000),
        poison('shared', 0, 9, 1_000),
        poison('other', 3, 1, 1_000),
        poison('shared', 1, 7, 1_000),
        poison('shared', 0, 10, 1_000),
        poison('shared', 1, 6, 3_000),
      ],
    };
    await new MySqlSink(db).apply(writes);
    const insert = sent.find((s) => s.sql.startsWith('INSERT INTO `event_dead_letter`'))!;
    // The values are in the statement (shared/sink/values-list.ts); each tuple starts with the key's
    // topic, partition and offset, then record_timestamp and record_timestamp_ms.
    const tuple = /\('([^']*)', (\d+), (\d+), (?:'[^']*'|NULL), (-?\d+),/g;
    const keys = [...insert.sql.matchAll(tuple)].map(([, topic, partition, offset, timestamp]) => [
      topic,
      Number(partition),
      Number(offset),
      Number(timestamp),
    ]);
    expect(keys).toEqual([
      ['other', 3, 1, 1_000],
      ['shared', 0, 9, 1_000],
      ['shared', 0, 10, 1_000],
      ['shared', 1, 6, 3_000],
      ['shared', 1, 7, 1_000],
      ['shared', 1, 7, 2_000],
    ]);
  });

  it("sends the server's dialect, chosen by the session check: the row alias on MySQL 8.4", async () => {
    for (const [version, expected] of [
      ['8.4.8', /\) AS `new` ON DUPLICATE KEY UPDATE `kafka_topic` = `event_dead_letter`\.`kafka_topic`$/],
      ['10.11.6-MariaDB', /\) ON DUPLICATE KEY UPDATE `kafka_topic` = `event_dead_letter`\.`kafka_topic`$/],
    ] as const) {
      const { db, sent } = recordingDatabase(version);
      await new MySqlSink(db).apply({ events: [], deadLetters: [poison('t', 0, 1, 1)] });
      const inserts = sent.map((s) => s.sql).filter((sql) => sql.startsWith('INSERT'));
      expect(inserts).toEqual([expect.stringMatching(expected)]);
    }
  });
});
