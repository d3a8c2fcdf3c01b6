/**
 * Versioned SQL migrations: db/migrations/NNN_name.sql, applied in order, each recorded in
 * `schema_migrations` with its checksum. Idempotent: applied versions are skipped. MySQL commits
 * DDL implicitly, so a migration is marked `started` before it runs and `applied` after; a
 * `started` row left behind (a crash half-way), an applied file since edited, or an applied
 * version this code does not know all stop the run with a message saying what to do.
 *
 *   npm run db:migrate            # DB_* variables, or DB_SECRET_ID through Secrets Manager
 *   npm run db:migrate -- --seed  # also loads db/seed/*.sql (local dimension data)
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Connection } from 'mysql2/promise';

const here = dirname(fileURLToPath(import.meta.url));
export const MIGRATIONS_DIR = join(here, 'migrations');
export const SEED_DIR = join(here, 'seed');

export interface Migration {
  version: number;
  name: string;
  sql: string;
  checksum: string;
}

export function readMigrations(dir = MIGRATIONS_DIR): Migration[] {
  const migrations = readdirSync(dir)
    .filter((file) => file.endsWith('.sql'))
    .map((file) => {
      const match = /^(\d+)_([a-z0-9_]+)\.sql$/.exec(file);
      if (!match) throw new Error(`migration file name must look like 001_name.sql: ${file}`);
      const sql = readFileSync(join(dir, file), 'utf8');
      return {
        version: Number(match[1]),
        name: match[2]!,
        sql,
        checksum: createHash('sha256').update(sql).digest('hex'),
      };
    });
  migrations.sort((a, b) => a.version - b.version);
  const versions = new Set<number>();
  for (const m of migrations) {
    if (versions.has(m.version)) throw new Error(`two migrations with version ${m.version}`);
    versions.add(m.version);
  }
  return migrations;
}

/** A lock name per database, within MySQL's 64-character limit however long the name. */
const MIGRATION_LOCK = "CONCAT('lrt.migrate.', MD5(DATABASE()))";

export class MigrationError extends Error {
  override readonly name = 'MigrationError';
}

export interface MigrateResult {
  applied: string[];
  skipped: string[];
}

/** Applies pending migrations to the connection's current database. */
export async function migrate(conn: Connection, migrations = readMigrations()): Promise<MigrateResult> {
  await conn.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version    INT          NOT NULL PRIMARY KEY,
    name       VARCHAR(128) NOT NULL,
    checksum   CHAR(64)     NOT NULL,
    status     VARCHAR(16)  NOT NULL,
    applied_at DATETIME(3)  NOT NULL DEFAULT CURRENT_TIMESTAMP(3)
  ) ENGINE=InnoDB`);
  // One migrator at a time per database (two deploys, two test workers).
  const [[lock]] = (await conn.query(`SELECT GET_LOCK(${MIGRATION_LOCK}, 60) AS got`)) as unknown as [
    [{ got: number }],
  ];
  if (lock?.got !== 1) throw new MigrationError('another migration run holds the lock; try again');
  try {
    const [rows] = (await conn.query(
      'SELECT version, name, checksum, status FROM schema_migrations',
    )) as unknown as [Array<{ version: number; name: string; checksum: string; status: string }>];
    const known = new Map(migrations.map((m) => [m.version, m]));
    for (const row of rows) {
      const file = `${String(row.version).padStart(3, '0')}_${row.name}.sql`;
      if (row.status !== 'applied') {
        throw new MigrationError(
          `migration ${file} was started but never finished (status ${row.status}): check the schema by hand, ` +
            `complete or undo it, then delete its row from schema_migrations and run again`,
        );
      }
      const migration = known.get(row.version);
      if (!migration) {
        throw new MigrationError(
          `the database has migration ${file}, which this code does not know: deploy newer code`,
        );
      }
      if (migration.checksum !== row.checksum) {
        throw new MigrationError(
          `migration ${file} changed after it was applied: add a new migration instead`,
        );
      }
    }
    const done = new Set(rows.map((r) => r.version));
    const result: MigrateResult = { applied: [], skipped: [] };
    for (const m of migrations) {
      const label = `${String(m.version).padStart(3, '0')}_${m.name}`;
      if (done.has(m.version)) {
        result.skipped.push(label);
        continue;
      }
      await conn.query(
        'INSERT INTO schema_migrations (version, name, checksum, status) VALUES (?, ?, ?, ?)',
        [m.version, m.name, m.checksum, 'started'],
      );
      for (const statement of splitStatements(m.sql)) await conn.query(statement);
      await conn.query(
        `UPDATE schema_migrations SET status = 'applied', applied_at = CURRENT_TIMESTAMP(3) WHERE version = ?`,
        [m.version],
      );
      result.applied.push(label);
    }
    return result;
  } finally {
    await conn.query(`SELECT RELEASE_LOCK(${MIGRATION_LOCK})`);
  }
}

/** Loads the local seed data (dimension rows); each file is idempotent. */
export async function seed(conn: Connection, dir = SEED_DIR): Promise<string[]> {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.sql'))
    .sort();
  for (const file of files) {
    for (const statement of splitStatements(readFileSync(join(dir, file), 'utf8')))
      await conn.query(statement);
  }
  return files;
}

/** Splits a migration file into statements: at semicolons ending a line, comments dropped. */
export function splitStatements(sql: string): string[] {
  return sql
    .split('\n')
    .filter((line) => !line.trim().startsWith('--'))
    .join('\n')
    .split(/;\s*(?:\n|$)/)
    .map((s) => s.trim())
    .filter(Boolean);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { connectionFromEnv } = await import('./connection.ts');
  const conn = await connectionFromEnv(process.env);
  try {
    const result = await migrate(conn);
    console.log(
      `migrations applied: ${result.applied.join(', ') || 'none'}; already applied: ${result.skipped.length}`,
    );
    if (process.argv.includes('--seed')) console.log(`seed data loaded: ${(await seed(conn)).join(', ')}`);
  } catch (error) {
    console.error(`db:migrate failed: ${(error as Error).message}`);
    process.exitCode = 1;
  } finally {
    await conn.end();
  }
}
