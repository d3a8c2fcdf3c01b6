/**
 * A fresh schema per test file on the shared real MySQL, deployed as AWS deploys it (users,
 * migrations as the migrator, the app user's grants: db/deploy-schema.ts), and handlers wired to
 * it that run as the restricted app user, so a privilege the functions lack fails here first.
 * Every connection uses the server's TLS (the local services take TLS connections only).
 */
import { createHash } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Connection, createConnection } from 'mysql2/promise';
import { deploySchema } from '../../db/deploy-schema.ts';
import { CLONE_SUFFIX, type DatabaseUsers, type Login } from '../../db/users.ts';
import type { DbTlsVariables, ServiceEndpoints } from '../../scripts/services/find-services.ts';
import { createDimensionCaches } from '../../shared/dimensions/dimension.ts';
import {
  DIMENSIONS,
  type DomainName,
  domain as registryDomain,
  TABLES,
} from '../../shared/domains/registry.ts';
import type { Domain } from '../../shared/pipeline/domain.ts';
import { createHandler, type HandlerOptions, type Runtime } from '../../shared/runtime/create-handler.ts';
import { StaticCredentials } from '../../shared/sink/credentials.ts';
import { Database, type DbTls } from '../../shared/sink/database.ts';
import { MySqlSink } from '../../shared/sink/sink.ts';
import { services, uniqueName } from './services.ts';

export interface TestDatabase {
  name: string;
  /** An administrator's connection to the schema, for setting up and reading back. */
  conn: Connection;
  /** The schema's users: the functions run as `app`, the migrations as `migrator`. */
  users: DatabaseUsers;
  /** DB_* variables pointing at the schema, as the app user. */
  env: Record<string, string>;
  /** Removes every row the tests wrote (dimension rows included). */
  truncate(): Promise<void>;
  /**
   * Creates a test's own table (`CREATE TABLE name (definition)`) and grants the app user what it
   * has on the registry's tables (db/users.ts grantTables), which cover only those.
   */
  addTable(name: string, definition: string): Promise<void>;
  drop(): Promise<void>;
}

/**
 * Users are server-wide: each schema gets its own pair, named after it (its random tail), ≤ 10
 * characters so that the rotation twin fits in 16 (db/users.ts MAX_CLONE_NAME_LENGTH).
 */
function usersFor(name: string): DatabaseUsers {
  const suffix = name.slice(-6);
  const login = (role: string): Login => ({ user: `${role}_${suffix}`, password: `${role}-Pw-${suffix}` });
  return { database: name, app: login('app'), migrator: login('mig') };
}

/** The functions' TLS setting (Database's `tls`) for the test run's MySQL, or `db`. */
export function databaseTls(db: ServiceEndpoints['db'] = services().db): DbTls {
  if (!db.ssl) return 'off';
  return db.ssl.ca ? { ca: String(db.ssl.ca) } : 'rds';
}

/**
 * The functions' TLS variables (DB_TLS, DB_TLS_CA) for the test run's MySQL, or for `db` (its CA
 * then written to a file named after it, for scripts outside vitest that pass their own server).
 */
export function tlsVariables(db?: ServiceEndpoints['db']): DbTlsVariables {
  if (!db) return services().dbTls;
  const tls = databaseTls(db);
  if (typeof tls === 'string') return { DB_TLS: tls };
  const file = join(tmpdir(), `lrt-ca-${createHash('sha256').update(tls.ca).digest('hex').slice(0, 16)}.pem`);
  if (!existsSync(file)) writeFileSync(file, tls.ca);
  return { DB_TLS: 'verify', DB_TLS_CA: file };
}

/** A connection to `database` as `login` (on the test run's MySQL unless `db` names another). */
export function connectAs(
  login: Login,
  database: string,
  db: Pick<ServiceEndpoints['db'], 'host' | 'port' | 'ssl'> = services().db,
): Promise<Connection> {
  return createConnection({
    host: db.host,
    port: db.port,
    user: login.user,
    password: login.password,
    database,
    timezone: 'Z',
    ...(db.ssl ? { ssl: db.ssl } : {}),
  });
}

/** `server`: the MySQL to use (default: the one the test run found; scripts outside vitest pass theirs). */
export async function freshDatabase(
  prefix = 'lrt_t',
  server?: ServiceEndpoints['db'],
): Promise<TestDatabase> {
  const db = server ?? services().db;
  const { database: _, ...admin } = db;
  const name = uniqueName(prefix).slice(0, 64);
  const conn = await createConnection({
    ...admin,
    timezone: 'Z',
    supportBigNumbers: true,
    bigNumberStrings: true,
  });
  await conn.query(`CREATE DATABASE ${name} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  await conn.query(`USE ${name}`);
  const users = usersFor(name);
  await deploySchema({
    admin: conn,
    connectMigrator: () => connectAs(users.migrator, name, db),
    users,
    tables: TABLES,
    dimensions: DIMENSIONS,
  });
  return {
    name,
    conn,
    users,
    env: {
      DB_HOST: db.host,
      DB_PORT: String(db.port),
      DB_USER: users.app.user,
      DB_PASSWORD: users.app.password,
      DB_NAME: name,
      ...tlsVariables(server),
    },
    async truncate() {
      for (const table of TABLES) await conn.query(`DELETE FROM ${table.name}`);
    },
    async addTable(table, definition) {
      await conn.query(`CREATE TABLE ${table} (${definition})`);
      await conn.query(`GRANT SELECT, INSERT, UPDATE ON ${name}.${table} TO ?@'%'`, [users.app.user]);
    },
    async drop() {
      await conn.query(`DROP DATABASE ${name}`);
      for (const { user } of [users.app, users.migrator]) {
        for (const name of [user, `${user}${CLONE_SUFFIX}`])
          await conn.query(`DROP USER IF EXISTS ?@'%'`, [name]);
      }
      await conn.end();
    },
  };
}

export type TestDomain = DomainName;

/** A real runtime (pool, cache, sink) on the schema, as the app user, counting the statements it sends and its round trips. */
export function realRuntime(
  database: TestDatabase,
  options: { poolSize?: number; dimensionTtlMs?: number } = {},
): Runtime & { statements: string[]; roundTrips: { count: number } } {
  const statements: string[] = [];
  const roundTrips = { count: 0 };
  const { db } = services();
  const db2 = new Database({
    credentials: new StaticCredentials({
      host: db.host,
      port: db.port,
      user: database.users.app.user,
      password: database.users.app.password,
      database: database.name,
    }),
    tls: databaseTls(db),
    poolSize: options.poolSize ?? 2,
    onStatement: (sql) => statements.push(sql),
    onRoundTrip: () => void roundTrips.count++,
  });
  const ttl = options.dimensionTtlMs === undefined ? {} : { ttlMs: options.dimensionTtlMs, staleMs: 0 };
  return {
    statements,
    roundTrips,
    database: db2,
    dimensions: createDimensionCaches(
      db2,
      DIMENSIONS,
      Object.fromEntries(DIMENSIONS.map((d) => [d.name, ttl])),
    ),
    sink: new MySqlSink(db2),
  };
}

/** The domain's handler on the schema; its logs and metrics are collected instead of printed. */
export function domainHandler(
  domain: TestDomain | Domain,
  database: TestDatabase,
  extra: Partial<HandlerOptions> = {},
): ReturnType<typeof createHandler> & { logs: string[] } {
  const logs: string[] = [];
  const handler = createHandler(typeof domain === 'string' ? registryDomain(domain) : domain, {
    env: database.env,
    writeLog: (line) => logs.push(line),
    ...extra,
  });
  return Object.assign(handler, { logs });
}

/** Rows of a table, ordered, without the columns that record when they were written. */
export async function dump(
  conn: Connection,
  table: string,
  orderBy: string,
): Promise<Array<Record<string, unknown>>> {
  const [rows] = await conn.query(`SELECT * FROM ${table} ORDER BY ${orderBy}`);
  return (rows as Array<Record<string, unknown>>).map(
    ({ processed_at, updated_at, first_seen_at, ...rest }) => rest,
  );
}
