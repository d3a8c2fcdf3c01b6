/**
 * What a deployed stack's database looks like from inside its VPC, as `npm run smoke` reports it
 * (the schema-migration function's `verify` action, db/migrate-handler.ts). Each check is a row:
 *
 *   server          the version, and MySQL 8.4's `authentication_policy`
 *   <setting>       each pinned server setting (infra/config/mysql-server-settings.ts) as the server has it
 *   tls             the app user's connection is TLS, with the certificate and host name verified
 *   session         the sink's own check on that connection: READ-COMMITTED, UTC, and a no-op
 *                   upsert counting 0 affected rows (shared/sink/session-check.ts)
 *   grants          the users' grants are exactly what db/users.ts derives (nothing to grant or revoke)
 *   schema drift    the tables are what the code defines (db/schema-drift.ts)
 *   smoke event     the event `npm run smoke` sent through a domain function is in its wide table,
 *                   then deleted again
 *
 * Every check runs whatever the others found; the caller prints the table and fails on any `ok: false`.
 */
import type { Connection } from 'mysql2/promise';
import { MYSQL_SERVER_SETTINGS } from '../infra/config/mysql-server-settings.ts';
import type { Database, Queryable } from '../shared/sink/database.ts';
import { checkSession } from '../shared/sink/session-check.ts';
import type { Table } from '../shared/tables/table.ts';
import { schemaDrift } from './schema-drift.ts';
import { type DatabaseUsers, usersDrift } from './users.ts';

/** A row the smoke event wrote: its table and key, found and then removed by `verify`. */
export interface SmokeRow {
  table: string;
  key: Record<string, string>;
}

export interface VerifyOptions {
  /** The administrator on the instance, the database selected. */
  admin: () => Promise<Connection>;
  /** The database as the functions reach it (their pool), and whether TLS is verified on it. */
  app: { database: Database; verified: boolean };
  tables: readonly Table[];
  dimensions: readonly { table: Pick<Table, 'name'> }[];
  /** The users as their secrets name them (passwords unused). */
  users: DatabaseUsers;
  smokeRows: readonly SmokeRow[];
}

/** Every check, in the order `npm run smoke` prints them. */
export async function verifyDeployment(options: VerifyOptions): Promise<Check[]> {
  const checks: Check[] = [];
  let admin: Connection | undefined;
  const { app } = options;
  try {
    checks.push(
      ...(await safely('administrator', async () => {
        admin = await options.admin();
        return checkServer(await readServerVariables(admin));
      })),
    );
    checks.push(
      ...(await safely('tls', async () => {
        return app.database.run((conn) => checkTls(conn, app.verified));
      })),
    );
    checks.push(
      ...(await safely('session', async () => {
        const dialect = await app.database.run((conn) => checkSession(conn));
        return {
          check: 'session',
          ok: true,
          detail: `READ-COMMITTED, UTC, a no-op upsert counts 0 affected rows; ${dialect.name} SQL`,
        };
      })),
    );
    if (admin) {
      const conn = admin;
      checks.push(
        ...(await safely('grants', async () => {
          const problems = await usersDrift(conn, options.users, options.tables, options.dimensions);
          return { check: 'grants', ok: problems.length === 0, detail: problems.join('; ') || 'as defined' };
        })),
      );
      checks.push(
        ...(await safely('schema drift', async () => {
          const problems = await schemaDrift(conn, options.tables);
          return { check: 'schema drift', ok: problems.length === 0, detail: problems.join('; ') || 'none' };
        })),
      );
      if (options.smokeRows.length > 0) {
        checks.push(
          ...(await safely('smoke event', () => checkSmokeRows(conn, options.tables, options.smokeRows))),
        );
      }
    }
  } finally {
    await admin?.end().catch(() => {});
    await app.database.close();
  }
  return checks;
}

export interface Check {
  check: string;
  ok: boolean;
  detail: string;
}

/** The server's variables by name (SHOW VARIABLES: names a server lacks are simply absent). */
export type ServerVariables = ReadonlyMap<string, string>;

/** What the checks read of the server, in one round trip each. */
export async function readServerVariables(conn: Connection): Promise<ServerVariables> {
  const names = [
    'version',
    'version_comment',
    'authentication_policy',
    'log_bin',
    'tx_isolation',
    ...Object.keys(MYSQL_SERVER_SETTINGS),
  ];
  const [rows] = (await conn.query(
    `SHOW GLOBAL VARIABLES WHERE Variable_name IN (${names.map(() => '?').join(', ')})`,
    names,
  )) as unknown as [Array<{ Variable_name: string; Value: string }>];
  return new Map(rows.map((r) => [r.Variable_name, r.Value]));
}

const isMariaDb = (vars: ServerVariables) => /mariadb/i.test(vars.get('version') ?? '');

/**
 * The server row and one row per pinned setting. Values are compared as the server prints them:
 * `ON`/`1`, a `sql_mode` list holding at least the pinned modes, a UTC zone by any of its names,
 * and MariaDB's `tx_isolation` for MySQL's `transaction_isolation`.
 */
export function checkServer(vars: ServerVariables): Check[] {
  const version = vars.get('version') ?? '(unknown)';
  const mariadb = isMariaDb(vars);
  const checks: Check[] = [];
  const policy = vars.get('authentication_policy');
  // MySQL 8.4: `mysql_native_password` is off by default; users need caching_sha2_password
  // (https://dev.mysql.com/doc/refman/8.4/en/caching-sha2-pluggable-authentication.html).
  checks.push({
    check: 'server',
    ok: mariadb || policy === undefined || /^(\*|caching_sha2_password)/.test(policy),
    detail: mariadb
      ? `${version} (MariaDB: no authentication_policy)`
      : `${version}, authentication_policy ${policy ?? '(unset)'}`,
  });
  for (const [name, wanted] of Object.entries(MYSQL_SERVER_SETTINGS)) {
    const actual =
      name === 'transaction_isolation' ? (vars.get(name) ?? vars.get('tx_isolation')) : vars.get(name);
    if (name === 'binlog_format' && vars.get('log_bin') === 'OFF') {
      checks.push({ check: name, ok: true, detail: `${actual ?? '(unset)'} (binary log off)` });
      continue;
    }
    checks.push({
      check: name,
      ok: actual !== undefined && matches(name, wanted, actual),
      detail: actual ?? '(unset)',
    });
  }
  return checks;
}

function matches(name: string, wanted: string, actual: string): boolean {
  switch (name) {
    case 'sql_mode': {
      const modes = new Set(actual.toUpperCase().split(','));
      return wanted.split(',').every((mode) => modes.has(mode));
    }
    case 'time_zone':
      return ['UTC', '+00:00', 'SYSTEM-UTC'].includes(actual.toUpperCase()) || actual === 'Etc/UTC';
    case 'require_secure_transport':
      return ['1', 'ON'].includes(actual.toUpperCase());
    default:
      return actual.toUpperCase() === wanted.toUpperCase();
  }
}

/** The TLS row: the session's cipher and protocol; `verified` is how the connection was made. */
export async function checkTls(conn: Queryable, verified: boolean): Promise<Check> {
  const rows = (await conn.query(
    "SHOW SESSION STATUS WHERE Variable_name IN ('Ssl_cipher', 'Ssl_version')",
  )) as Array<{ Variable_name: string; Value: string }>;
  const status = new Map(rows.map((r) => [r.Variable_name, r.Value]));
  const cipher = status.get('Ssl_cipher') ?? '';
  const ok = cipher !== '' && verified;
  return {
    check: 'tls',
    ok,
    detail:
      cipher === ''
        ? 'not encrypted'
        : `${status.get('Ssl_version') ?? ''} ${cipher}${verified ? ', certificate and host name verified' : ', NOT verified'}`.trim(),
  };
}

/**
 * The smoke event's rows: the first (its event row) must be there; all are then deleted. Tables
 * and key columns are taken only from the definitions, never from the request as they come.
 */
export async function checkSmokeRows(
  admin: Connection,
  tables: readonly Table[],
  rows: readonly SmokeRow[],
): Promise<Check> {
  const where = (row: SmokeRow) => {
    const table = tables.find((t) => t.name === row.table);
    const columns = table?.key ?? [];
    if (!table || columns.length !== Object.keys(row.key).length || columns.some((c) => !(c in row.key))) {
      throw new Error(`not a table and key of this schema: ${row.table} ${JSON.stringify(row.key)}`);
    }
    return {
      sql: `\`${table.name}\` WHERE ${columns.map((c) => `\`${c}\` = ?`).join(' AND ')}`,
      params: columns.map((c) => row.key[c]),
    };
  };
  const first = where(rows[0]!);
  const [found] = (await admin.query(`SELECT 1 FROM ${first.sql}`, first.params)) as unknown as [unknown[]];
  for (const row of rows) {
    const { sql, params } = where(row);
    await admin.query(`DELETE FROM ${sql}`, params);
  }
  const described = `${rows[0]!.table} ${Object.values(rows[0]!.key).join(',')}`;
  return {
    check: 'smoke event',
    ok: found.length === 1,
    detail:
      found.length === 1
        ? `${described} written; ${rows.length} row(s) removed again`
        : `${described} not found`,
  };
}

/** A check that threw is a failed row naming the error, never a missing one. */
export async function safely(check: string, run: () => Promise<Check | Check[]>): Promise<Check[]> {
  try {
    const result = await run();
    return Array.isArray(result) ? result : [result];
  } catch (error) {
    return [{ check, ok: false, detail: (error as Error).message }];
  }
}

/** The report as a table for people, one line per check. */
export function formatChecks(checks: readonly Check[]): string {
  const width = Math.max(...checks.map((c) => c.check.length), 5);
  return checks.map((c) => `${c.ok ? 'ok  ' : 'FAIL'}  ${c.check.padEnd(width)}  ${c.detail}`).join('\n');
}
