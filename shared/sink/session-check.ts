/**
 * What the sink proves about its connection path before it writes anything, once per pool
 * (Database.verifyEachPool): the server's SQL dialect, and the session semantics exactly-once rests
 * on. If any of them is wrong the function refuses to write — DatabaseConfigError: the batch is
 * reported for retry (nothing lost), counted as DatabaseConfigErrors, and an alarm pages.
 *
 *  - **Affected rows count changed rows, not found rows.** A batch of event rows only is written
 *    write-once, and its duplicates are the rows the upsert did not insert (shared/sink/sink.ts):
 *    a duplicate left as it was must count 0. MySQL counts it 1 when the client sets
 *    CLIENT_FOUND_ROWS ("If you specify the CLIENT_FOUND_ROWS flag … the affected-rows value is 1
 *    (not 0) if an existing row is set to its current values", MySQL 8.4 manual, 15.2.7.2,
 *    https://dev.mysql.com/doc/refman/8.4/en/insert-on-duplicate.html). mysql2 sets it by default
 *    and database.ts turns it off, but a proxy between us and the server may open its own sessions
 *    with other flags (ProxySQL did: sysown/proxysql#2466), and AWS does not document what RDS
 *    Proxy does. Then every count the functions report (processed, duplicates) would be wrong. So
 *    the same upsert the sink sends is run twice on a probe row, inside a transaction rolled back:
 *    the second must report 0.
 *  - **READ COMMITTED**: the sink's step 1 must see the latest commits. Read from
 *    `@@transaction_isolation` (MariaDB 10.11: `@@tx_isolation`).
 *  - **The session time zone is UTC**, so CURRENT_TIMESTAMP defaults agree with the UTC times
 *    written from JS.
 *  - **Several statements run in one query** (CLIENT_MULTI_STATEMENTS): the probe above is sent so.
 * Only SELECTs and a rolled-back transaction: nothing here pins an RDS Proxy session, which a SET
 * would ("Avoiding pinning an RDS Proxy", https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/
 * rds-proxy-pinning.html). The settings themselves belong to the server (its parameter group).
 */
import { randomInt } from 'node:crypto';
import { DatabaseConfigError } from '../pipeline/errors.ts';
import { dialectForVersion, type SqlDialect } from '../tables/dialect.ts';
import { bigint, defineTable } from '../tables/table.ts';
import type { Queryable } from './database.ts';

/**
 * A table that stays empty: the affected-rows proof inserts its row inside a transaction it rolls
 * back (db/migrations/006_affected_rows_probe.sql; the app user may SELECT, INSERT, UPDATE it, as
 * every table of the registry).
 */
export const affectedRowsProbe = defineTable({
  name: 'affected_rows_probe',
  columns: { id: bigint() },
  key: ['id'],
});

/** Time zones that are UTC at every instant (not merely now, as Europe/London in winter). */
const UTC_ZONE = /^(?:[+-]0?0:00|UTC|Etc\/UTC|Universal|Etc\/Universal|Zulu|Etc\/Zulu|GMT|Etc\/GMT)$/i;

/**
 * Checks the session on `conn` and returns the server's dialect; throws DatabaseConfigError naming
 * every setting that is wrong.
 */
export async function checkSession(conn: Queryable): Promise<SqlDialect> {
  const [server] = await conn.query<Array<{ version: string }>>('SELECT VERSION() AS version');
  let dialect: SqlDialect;
  try {
    dialect = dialectForVersion(String(server?.version));
  } catch (error) {
    throw new DatabaseConfigError(`database set up wrongly: ${(error as Error).message}`);
  }
  const [settings] = await conn.query<
    Array<{ isolation: string; time_zone: string; system_time_zone: string }>
  >(
    `SELECT @@SESSION.${dialect.isolationVariable} AS isolation, @@SESSION.time_zone AS time_zone, @@system_time_zone AS system_time_zone`,
  );
  const problems: string[] = [];
  if (settings?.isolation !== 'READ-COMMITTED') {
    problems.push(
      `sessions run ${settings?.isolation} (@@${dialect.isolationVariable}), not READ-COMMITTED: set transaction_isolation in the server's parameter group`,
    );
  }
  const zone = settings?.time_zone ?? '';
  if (!(UTC_ZONE.test(zone) || (zone === 'SYSTEM' && settings?.system_time_zone === 'UTC'))) {
    problems.push(
      `the session time zone is ${zone}${zone === 'SYSTEM' ? ` (${settings?.system_time_zone})` : ''}, not UTC: set time_zone in the server's parameter group`,
    );
  }
  const found = await noOpUpsertCount(conn, dialect);
  if (found !== 0) {
    problems.push(
      `a no-op upsert reports ${found} affected row(s), where MySQL reports 0 without CLIENT_FOUND_ROWS: ` +
        'this connection path (a proxy?) counts found rows, so the duplicates of a batch would be counted as written',
    );
  }
  if (problems.length > 0) {
    throw new DatabaseConfigError(
      `database set up wrongly (${dialect.name} ${dialect.version}), refusing to write: ${problems.join('; ')}`,
    );
  }
  return dialect;
}

/**
 * The affected rows of an upsert that changes nothing, as the sink sends it, in a transaction sent
 * as one multi-statement query, as the sink sends its own (Queryable.commitAll) — which this proves
 * the connection path runs; nothing is kept.
 */
async function noOpUpsertCount(conn: Queryable, dialect: SqlDialect): Promise<number | undefined> {
  // A random row, so concurrent checks (every container starting at once) do not wait on each other.
  const upsert = dialect.upsert(affectedRowsProbe, `(${randomInt(1, 2 ** 47)})`);
  let results: Array<{ affectedRows?: number }>;
  try {
    results = await conn.query(['START TRANSACTION', upsert, upsert, 'ROLLBACK'].join(';\n'));
  } catch (error) {
    await conn.query('ROLLBACK').catch(() => {});
    if ((error as { errno?: unknown }).errno !== PARSE_ERROR) throw error;
    throw new DatabaseConfigError(
      `database set up wrongly: this connection path does not run several statements in one query (CLIENT_MULTI_STATEMENTS), which the sink sends each transaction as: ${(error as Error).message}`,
    );
  }
  const [, inserted, again] = results;
  return inserted?.affectedRows !== 1 ? inserted?.affectedRows : again?.affectedRows;
}

/** ER_PARSE_ERROR: what a server that runs one statement per query says of the second. */
const PARSE_ERROR = 1064;
