/** db:migrate against the real database: idempotent, and clear about states it must not touch. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate, readMigrations } from '../../db/migrate.ts';
import { freshDatabase, type TestDatabase } from '../support/database.ts';

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

  it('refuses an applied migration whose file changed', async () => {
    const changed = readMigrations().map((m) => (m.version === 2 ? { ...m, checksum: 'edited' } : m));
    await expect(migrate(db.conn, changed)).rejects.toThrow(
      /002_event_wide\.sql changed after it was applied/,
    );
  });
});
