/** db:migrate against the real database: idempotent, and clear about states it must not touch. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate, readMigrations } from '../../db/migrate.ts';
import { freshDatabase, type TestDatabase } from '../support/database.ts';
import { mysqlConnection, uniqueName } from '../support/services.ts';

let db: TestDatabase;
beforeAll(async () => {
  db = await freshDatabase();
});
afterAll(async () => {
  await db?.drop();
});

describe('db:migrate', () => {
  it('applies every migration once and then nothing', async () => {
    const again = await migrate(db.conn);
    expect(again.applied).toEqual([]);
    expect(again.skipped).toHaveLength(readMigrations().length);
  });

  it('refuses a migration left half-applied', async () => {
    await db.conn.query(`UPDATE schema_migrations SET status = 'started' WHERE version = 3`);
    await expect(migrate(db.conn)).rejects.toThrow(/003_state_wide\.sql was started but never finished/);
    await db.conn.query(`UPDATE schema_migrations SET status = 'applied' WHERE version = 3`);
  });

  it('refuses a database migrated by newer code', async () => {
    await db.conn.query(
      `INSERT INTO schema_migrations (version, name, checksum, status) VALUES (999, 'future', 'x', 'applied')`,
    );
    await expect(migrate(db.conn)).rejects.toThrow(/999_future\.sql, which this code does not know/);
    await db.conn.query('DELETE FROM schema_migrations WHERE version = 999');
  });

  it('takes an applied migration whose comments were corrected since (its checksum then listed)', async () => {
    const before = '3883d58e02c57eb582220677b91aace3f5d6f6be8818c67844631f37fec09d17';
    await db.conn.query('UPDATE schema_migrations SET checksum = ? WHERE version = 1', [before]);
    expect((await migrate(db.conn)).applied).toEqual([]);
  });

  it('refuses an applied migration whose file changed', async () => {
    const changed = readMigrations().map((m) => (m.version === 2 ? { ...m, checksum: 'edited' } : m));
    await expect(migrate(db.conn, changed)).rejects.toThrow(
      /002_event_wide\.sql changed after it was applied/,
    );
  });
});

describe('a failing migration', () => {
  const extra = (version: number, sql: string) => {
    const [m] = readMigrations();
    return { ...m!, version, name: `extra_${version}`, sql, checksum: `c${version}-${sql.length}` };
  };
  const statusOf = async (version: number) => {
    const [rows] = (await db.conn.query('SELECT status FROM schema_migrations WHERE version = ?', [
      version,
    ])) as unknown as [Array<{ status: string }>];
    return rows[0]?.status;
  };

  it('whose first statement fails changed nothing: it is forgotten, and the corrected file runs', async () => {
    const broken = extra(500, 'CREATE TABLE probe_first (id INT PRIMARY KEY, id INT)');
    await expect(migrate(db.conn, [...readMigrations(), broken])).rejects.toThrow(
      /^Duplicate column name 'id' \(migration 500_extra_500\.sql, its first statement: nothing was applied/,
    );
    expect(await statusOf(500)).toBeUndefined();
    const fixed = extra(500, 'CREATE TABLE probe_first (id INT PRIMARY KEY)');
    expect((await migrate(db.conn, [...readMigrations(), fixed])).applied).toEqual(['500_extra_500']);
    await db.conn.query('DROP TABLE probe_first');
    await db.conn.query('DELETE FROM schema_migrations WHERE version = 500');
  });

  it('whose later statement fails stays marked started, and the next run says to check by hand', async () => {
    const broken = extra(
      501,
      'CREATE TABLE probe_later (id INT PRIMARY KEY);\nALTER TABLE probe_later ADD COLUMN id INT;\n',
    );
    await expect(migrate(db.conn, [...readMigrations(), broken])).rejects.toThrow(
      /^Duplicate column name 'id' \(migration 501_extra_501\.sql, statement 2 of 2: the statements before it were applied/,
    );
    expect(await statusOf(501)).toBe('started');
    await expect(migrate(db.conn, [...readMigrations(), broken])).rejects.toThrow(
      /501_extra_501\.sql was started but never finished/,
    );
    await db.conn.query('DROP TABLE probe_later');
    await db.conn.query('DELETE FROM schema_migrations WHERE version = 501');
  });
});

describe("newer migrations (a rollback runs the previous code's schema step)", () => {
  it("are left alone with newer: 'leave', applied or half-applied, and still refused by default", async () => {
    await db.conn.query(
      `INSERT INTO schema_migrations (version, name, checksum, status) VALUES (998, 'next', 'x', 'applied'), (999, 'after', 'y', 'started')`,
    );
    const result = await migrate(db.conn, readMigrations(), { newer: 'leave' });
    expect(result).toEqual({
      applied: [],
      skipped: readMigrations().map((m) => `${String(m.version).padStart(3, '0')}_${m.name}`),
      newer: ['998_next', '999_after (started)'],
    });
    await expect(migrate(db.conn)).rejects.toThrow(
      /which this code does not know|was started but never finished/,
    );
    await db.conn.query('DELETE FROM schema_migrations WHERE version IN (998, 999)');
  });

  it("never leave a gap: an unknown version older than the code's newest is refused either way", async () => {
    await db.conn.query(
      `INSERT INTO schema_migrations (version, name, checksum, status) VALUES (0, 'ancient', 'x', 'applied')`,
    );
    await expect(migrate(db.conn, readMigrations(), { newer: 'leave' })).rejects.toThrow(
      /000_ancient\.sql, which this code does not know/,
    );
    await db.conn.query('DELETE FROM schema_migrations WHERE version = 0');
  });
});

describe('007: dead letters keyed by the timestamp in milliseconds', () => {
  it('keeps existing rows, their timestamps as epoch milliseconds, and one row of the repeats a record without a timestamp got', async () => {
    const name = uniqueName('lrt_m7').slice(0, 64);
    await db.conn.query(`CREATE DATABASE ${name} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
    const conn = await mysqlConnection(name);
    try {
      await migrate(
        conn,
        readMigrations().filter((m) => m.version < 7),
      );
      const letter = (offset: number, timestamp: string | null, reason: string) =>
        conn.query(
          `INSERT INTO event_dead_letter (kafka_topic, kafka_partition, kafka_offset, record_timestamp, reason, error_message, function_domain)
           VALUES ('t', 0, ?, ?, ?, '', 'user')`,
          [offset, timestamp, reason],
        );
      await letter(1, '2026-05-01 12:00:00.123', 'first');
      await letter(2, null, 'first');
      await letter(2, null, 'again'); // a record without a timestamp, delivered twice
      await letter(3, '1969-12-31 23:59:59.999', 'first'); // written from Kafka's -1
      // A session far from UTC: the stored DATETIME is UTC whatever the session says.
      await conn.query("SET time_zone = '+05:00'");
      expect(
        (
          await migrate(
            conn,
            readMigrations().filter((m) => m.version <= 7),
          )
        ).applied,
      ).toEqual(['007_dead_letter_timestamp_ms']);
      const [rows] = (await conn.query(
        'SELECT kafka_offset, CAST(record_timestamp_ms AS CHAR) AS ms, reason FROM event_dead_letter ORDER BY id',
      )) as unknown as [Array<Record<string, unknown>>];
      expect(rows).toEqual([
        { kafka_offset: 1, ms: String(Date.UTC(2026, 4, 1, 12, 0, 0, 123)), reason: 'first' },
        { kafka_offset: 2, ms: '-1', reason: 'first' },
        { kafka_offset: 3, ms: '-1', reason: 'first' },
      ]);
      // The key is now the milliseconds: the same record again is refused as a duplicate.
      await expect(
        conn.query(
          `INSERT INTO event_dead_letter (kafka_topic, kafka_partition, kafka_offset, record_timestamp_ms, reason, error_message, function_domain)
           VALUES ('t', 0, 2, -1, 'x', '', 'user')`,
        ),
      ).rejects.toMatchObject({ errno: 1062 });
    } finally {
      await conn.end();
      await db.conn.query(`DROP DATABASE ${name}`);
    }
  });
});

describe('008: LAST_VALUE columns get order keys of their own', () => {
  it('gives each existing value the key of the event that set it, and none to a NULL', async () => {
    const name = uniqueName('lrt_m8').slice(0, 64);
    await db.conn.query(`CREATE DATABASE ${name} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
    const conn = await mysqlConnection(name);
    try {
      await migrate(
        conn,
        readMigrations().filter((m) => m.version < 8),
      );
      await conn.query(
        `INSERT INTO order_wide (order_id, cancel_reason, cancelled_key, region, user_name, created_key, brand, last_event_key)
         VALUES ('o1', 'too slow', 'c1', 'west', NULL, 'k0', 'Lux', 'e9')`,
      );
      await conn.query(
        `INSERT INTO user_profile_wide (user_id, user_name, region, last_event_key) VALUES ('u1', 'Ann', NULL, 'e5')`,
      );
      expect(
        (
          await migrate(
            conn,
            readMigrations().filter((m) => m.version <= 8),
          )
        ).applied,
      ).toEqual(['008_last_value_keys']);
      const [[order]] = (await conn.query(
        'SELECT cancel_reason_key, region_key, user_name_key, brand_key, category_key FROM order_wide',
      )) as unknown as [Array<Record<string, unknown>>];
      expect(order).toEqual({
        cancel_reason_key: 'c1',
        region_key: 'e9',
        user_name_key: '',
        brand_key: 'k0',
        category_key: '',
      });
      const [[profile]] = (await conn.query(
        'SELECT user_name_key, region_key FROM user_profile_wide',
      )) as unknown as [Array<Record<string, unknown>>];
      expect(profile).toEqual({ user_name_key: 'e5', region_key: '' });
    } finally {
      await conn.end();
      await db.conn.query(`DROP DATABASE ${name}`);
    }
  });
});
