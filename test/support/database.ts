/** A fresh, migrated schema per test file on the shared real MySQL, and handlers wired to it. */
import { type Connection, createConnection } from 'mysql2/promise';
import { migrate } from '../../db/migrate.ts';
import { createDimensions } from '../../shared/cache/dimensions.ts';
import { createHandler, type HandlerOptions, type Runtime } from '../../shared/handler/create-handler.ts';
import { StaticCredentials } from '../../shared/mysql/credentials.ts';
import { Database } from '../../shared/mysql/database.ts';
import { MySqlSink } from '../../shared/mysql/sink.ts';
import { PROCESSORS_BY_DOMAIN } from '../../shared/processors/domains.ts';
import { services, uniqueName } from './services.ts';

export interface TestDatabase {
  name: string;
  /** A connection to the schema, for setting up and reading back. */
  conn: Connection;
  /** DB_* variables pointing at the schema. */
  env: Record<string, string>;
  /** Removes every row the tests wrote (dimension rows included). */
  truncate(): Promise<void>;
  drop(): Promise<void>;
}

const WRITTEN_TABLES = [
  'user_event_wide',
  'order_event_wide',
  'product_event_wide',
  'order_wide',
  'user_profile_wide',
  'event_dead_letter',
  'dim_user',
  'dim_product',
];

export async function freshDatabase(prefix = 'lrt_t'): Promise<TestDatabase> {
  const { db } = services();
  const name = uniqueName(prefix).slice(0, 64);
  const admin = await createConnection({ ...db });
  await admin.query(`CREATE DATABASE ${name} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  await admin.end();
  const conn = await createConnection({
    ...db,
    database: name,
    timezone: 'Z',
    supportBigNumbers: true,
    bigNumberStrings: true,
  });
  await migrate(conn);
  return {
    name,
    conn,
    env: {
      DB_HOST: db.host,
      DB_PORT: String(db.port),
      DB_USER: db.user,
      DB_PASSWORD: db.password,
      DB_NAME: name,
    },
    async truncate() {
      for (const table of WRITTEN_TABLES) await conn.query(`DELETE FROM ${table}`);
    },
    async drop() {
      await conn.query(`DROP DATABASE ${name}`);
      await conn.end();
    },
  };
}

export type TestDomain = keyof typeof PROCESSORS_BY_DOMAIN;

/** A real runtime (pool, cache, sink) on the schema, counting the statements it sends. */
export function realRuntime(
  database: TestDatabase,
  options: { poolSize?: number; dimensionTtlMs?: number } = {},
): Runtime & { statements: string[] } {
  const statements: string[] = [];
  const { db } = services();
  const db2 = new Database({
    credentials: new StaticCredentials({ ...db, database: database.name }),
    poolSize: options.poolSize ?? 2,
    onStatement: (sql) => statements.push(sql),
  });
  const ttl = options.dimensionTtlMs === undefined ? {} : { ttlMs: options.dimensionTtlMs, staleMs: 0 };
  return {
    statements,
    database: db2,
    dimensions: createDimensions(db2, { user: ttl, product: ttl }),
    sink: new MySqlSink(db2),
  };
}

/** The domain's handler on the schema; its logs and metrics are collected instead of printed. */
export function domainHandler(
  domain: TestDomain,
  database: TestDatabase,
  extra: Partial<HandlerOptions> = {},
): ReturnType<typeof createHandler> & { logs: string[] } {
  const logs: string[] = [];
  const handler = createHandler({
    domain,
    processors: PROCESSORS_BY_DOMAIN[domain],
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
