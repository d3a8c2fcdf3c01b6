/** A fresh, migrated schema per test file on the shared real MySQL, and handlers wired to it. */
import { type Connection, createConnection } from 'mysql2/promise';
import { migrate } from '../../db/migrate.ts';
import type { ServiceEndpoints } from '../../scripts/services/find-services.ts';
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
import { Database } from '../../shared/sink/database.ts';
import { MySqlSink } from '../../shared/sink/sink.ts';
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

/** `server`: the MySQL to use (default: the one the test run found; scripts outside vitest pass theirs). */
export async function freshDatabase(
  prefix = 'lrt_t',
  server?: ServiceEndpoints['db'],
): Promise<TestDatabase> {
  const db = server ?? services().db;
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
      for (const table of TABLES) await conn.query(`DELETE FROM ${table.name}`);
    },
    async drop() {
      await conn.query(`DROP DATABASE ${name}`);
      await conn.end();
    },
  };
}

export type TestDomain = DomainName;

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
