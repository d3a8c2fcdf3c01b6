/**
 * The local database as AWS has it: the app and migrator users and their grants, the migrations
 * run as the migrator (db/deploy-schema.ts, the schema-migration function's own step), so the
 * functions run locally as the same restricted user as in AWS. The services' user (`lrt`, or root
 * in a container) stands in for the RDS master user; the seed data is loaded with it, as the
 * business systems that own the dimension tables would.
 */
import { type Connection, createConnection } from 'mysql2/promise';
import { type DeploySchemaResult, deploySchema } from '../../db/deploy-schema.ts';
import { seed } from '../../db/migrate.ts';
import type { DatabaseUsers, Login } from '../../db/users.ts';
import { APP_USER, MIGRATOR_USER } from '../../infra/config/database-users.ts';
import { DIMENSIONS, TABLES } from '../../shared/domains/registry.ts';
import type { ServiceEndpoints } from '../services/find-services.ts';

/**
 * The local users (server-wide; the same for every local checkout, like the services' own user),
 * ≤ 10 characters each, as db/users.ts requires of every user (the rotation twin fits in 16).
 */
export function localUsers(database: string): DatabaseUsers {
  return {
    database,
    app: { user: APP_USER, password: 'lrt-app-local-password' },
    migrator: { user: MIGRATOR_USER, password: 'lrt-migrator-local-password' },
  };
}

export interface LocalDatabase extends DeploySchemaResult {
  /** The services' administrator connection to the database (seeding, summaries). */
  admin: Connection;
  /** What the functions log in as. */
  app: Login;
}

/** Users, migrations and grants; with `withSeed`, the demo dimension rows too. */
export async function deployLocalDatabase(
  db: ServiceEndpoints['db'],
  options: { withSeed?: boolean } = {},
): Promise<LocalDatabase> {
  const users = localUsers(db.database);
  const admin = await createConnection({ ...db, timezone: 'Z' });
  const result = await deploySchema({
    admin,
    connectMigrator: () =>
      createConnection({
        host: db.host,
        port: db.port,
        user: users.migrator.user,
        password: users.migrator.password,
        database: db.database,
        timezone: 'Z',
      }),
    users,
    tables: TABLES,
    dimensions: DIMENSIONS,
  });
  if (options.withSeed) await seed(admin);
  return { ...result, admin, app: users.app };
}
