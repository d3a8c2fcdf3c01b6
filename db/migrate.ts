/**
 * Versioned SQL migrations: db/migrations/NNN_name.sql, applied in order, each recorded in
 * `schema_migrations` with its checksum. Idempotent: applied versions are skipped. MySQL commits
 * DDL implicitly, so a migration is marked `started` before it runs and `applied` after; a
 * `started` row left behind (a crash or an error after some of its statements ran), an applied
 * file since edited, or an applied version this code does not know all stop the run with a
 * message saying what to do. A migration whose first statement fails changed nothing — a failed
 * InnoDB statement is rolled back, DDL included ("either committed … or is rolled back",
 * https://dev.mysql.com/doc/refman/8.4/en/atomic-ddl.html) — so its row is removed and the
 * corrected file simply runs next time.
 *
 * Versions newer than any this code knows are refused by default; the deployment's schema step
 * leaves them alone instead (`newer: 'leave'`): when a deployment fails after its migrations ran,
 * CloudFormation's rollback runs the previous code's schema step, which must not fail on them.
 *
 *   npm run db:migrate            # DB_* variables, or DB_SECRET_ID through Secrets Manager
 *   npm run db:migrate -- --seed  # also loads db/seed/*.sql (local dimension data)
 *
 * In AWS every deployment runs them, as the migrator, in the schema-migration function
 * (db/migrate-handler.ts, db/deploy-schema.ts).
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Connection } from 'mysql2/promise';

const here = dirname(fileURLToPath(import.meta.url));
export const MIGRATIONS_DIR = join(here, 'migrations');
export const SEED_DIR = join(here, 'seed');

/**
 * Checksums applied migrations may carry besides their file's own: files whose comments were
 * corrected after they were applied, statements unchanged. 001's first line cited a DESIGN.md
 * that was never in the repository.
 */
const CORRECTED_COMMENTS: Readonly<Record<number, readonly string[]>> = {
  1: ['3883d58e02c57eb582220677b91aace3f5d6f6be8818c67844631f37fec09d17'],
};

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
  /** Versions in the database newer than this code's, left alone (`newer: 'leave'` only). */
  newer?: string[];
}

export interface MigrateOptions {
  /**
   * What to do with versions in the database newer than every migration this code has:
   * `refuse` (default) stops the run; `leave` reports them in `newer` and goes on.
   */
  newer?: 'refuse' | 'leave';
}

const label = (version: number, name: string) => `${String(version).padStart(3, '0')}_${name}`;

/** Applies pending migrations to the connection's current database. */
export async function migrate(
  conn: Connection,
  migrations = readMigrations(),
  options: MigrateOptions = {},
): Promise<MigrateResult> {
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
    const newest = Math.max(0, ...migrations.map((m) => m.version));
    const newer: string[] = [];
    for (const row of rows) {
      const file = `${label(row.version, row.name)}.sql`;
      if (options.newer === 'leave' && row.version > newest) {
        newer.push(
          row.status === 'applied'
            ? label(row.version, row.name)
            : `${label(row.version, row.name)} (${row.status})`,
        );
        continue;
      }
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
      if (migration.checksum !== row.checksum && !CORRECTED_COMMENTS[row.version]?.includes(row.checksum)) {
        throw new MigrationError(
          `migration ${file} changed after it was applied: add a new migration instead`,
        );
      }
    }
    const done = new Set(rows.map((r) => r.version));
    const result: MigrateResult = {
      applied: [],
      skipped: [],
      ...(options.newer === 'leave' ? { newer } : {}),
    };
    for (const m of migrations) {
      const name = label(m.version, m.name);
      if (done.has(m.version)) {
        result.skipped.push(name);
        continue;
      }
      await conn.query(
        'INSERT INTO schema_migrations (version, name, checksum, status) VALUES (?, ?, ?, ?)',
        [m.version, m.name, m.checksum, 'started'],
      );
      const statements = splitStatements(m.sql);
      for (const [index, statement] of statements.entries()) {
        try {
          await conn.query(statement);
        } catch (error) {
          const message = (error as Error).message;
          if (index === 0) {
            await conn.query('DELETE FROM schema_migrations WHERE version = ?', [m.version]);
            throw new MigrationError(
              `${message} (migration ${name}.sql, its first statement: nothing was applied; fix the file and run again)`,
              { cause: error },
            );
          }
          throw new MigrationError(
            `${message} (migration ${name}.sql, statement ${index + 1} of ${statements.length}: the statements before it ` +
              `were applied and the migration stays marked started; check the schema by hand)`,
            { cause: error },
          );
        }
      }
      await conn.query(
        `UPDATE schema_migrations SET status = 'applied', applied_at = CURRENT_TIMESTAMP(3) WHERE version = ?`,
        [m.version],
      );
      result.applied.push(name);
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
