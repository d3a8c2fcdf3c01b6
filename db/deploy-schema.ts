/**
 * The database step of a deployment, in this order:
 *   1. as the administrator: the app and migrator users, created when missing, and the migrator's
 *      privileges on the database (db/users.ts ensureUsers);
 *   2. as the migrator: the pending migrations (db/migrate.ts; idempotent, one run at a time);
 *   3. as the administrator: the app user's per-table privileges, from the registry, on the tables
 *      the migrations just created (db/users.ts grantTables) — GRANT on a table needs the table.
 * The schema-migration function (db/migrate-handler.ts) runs it at every deployment that changes
 * its code (migrations, registry, grants); test support and `npm run local` run it too, so the
 * functions everywhere run as the same restricted user.
 */
import type { Connection } from 'mysql2/promise';
import type { Table } from '../shared/tables/table.ts';
import {
  type MigrateOptions,
  type MigrateResult,
  type Migration,
  migrate,
  readMigrations,
} from './migrate.ts';
import { type DatabaseUsers, ensureUsers, grantTables, type UsersReport } from './users.ts';

export interface DeploySchemaOptions {
  /** An administrator's connection (the RDS master user). */
  admin: Connection;
  /** Opens a connection to `users.database` as `users.migrator`; closed after the migrations. */
  connectMigrator: () => Promise<Connection>;
  users: DatabaseUsers;
  /** The registry's tables and dimensions (shared/domains/registry.ts). */
  tables: readonly Pick<Table, 'name'>[];
  dimensions: readonly { table: Pick<Table, 'name'> }[];
  migrations?: Migration[];
  /** How the migrations treat versions newer than the code's (db/migrate.ts). */
  migrateOptions?: MigrateOptions;
}

export interface DeploySchemaResult {
  migrations: MigrateResult;
  users: UsersReport;
}

/** Runs a step; its error's message is led by the step: `migrations (as <migrator>): <the migration's error>`. */
async function step<T>(label: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw new Error(`${label}: ${(error as Error).message}`, { cause: error });
  }
}

export async function deploySchema(options: DeploySchemaOptions): Promise<DeploySchemaResult> {
  const { admin, users } = options;
  const created = await step(`users (as the administrator)`, () => ensureUsers(admin, users));
  const migrations = await step(`migrations (as ${users.migrator.user})`, async () => {
    const conn = await options.connectMigrator();
    try {
      return await migrate(conn, options.migrations ?? readMigrations(), options.migrateOptions);
    } finally {
      await conn.end().catch(() => {});
    }
  });
  const granted = await step(`grants (as the administrator)`, () =>
    grantTables(admin, users, options.tables, options.dimensions),
  );
  return {
    migrations,
    users: {
      created: created.created,
      granted: [...created.granted, ...granted.granted],
      revoked: [...created.revoked, ...granted.revoked],
    },
  };
}
