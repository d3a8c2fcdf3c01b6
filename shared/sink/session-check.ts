/**
 * What the sink proves about its connection path before it writes anything, once per pool
 * (Database.verifyEachPool): the server's SQL dialect, and the session semantics exactly-once rests
 * on. If any of them is wrong the function refuses to write — DatabaseConfigError: the batch is
 * reported for retry (nothing lost), counted as DatabaseConfigErrors, and an alarm pages.
 *
 *  - **Affected rows count changed rows, not found rows.** The sink's concurrent-writer check
 *    (shared/sink/sink.ts, step 2) counts the event rows its upsert inserted: a duplicate left as it
 *    was must count 0. MySQL counts it 1 when the client sets CLIENT_FOUND_ROWS ("If you specify
 *    the CLIENT_FOUND_ROWS flag … the affected-rows value is 1 (not 0) if an existing row is set to
 *    its current values", MySQL 8.4 manual, 15.2.7.2, https://dev.mysql.com/doc/refman/8.4/en/
 *    insert-on-duplicate.html). mysql2 sets it by default and database.ts turns it off, but a proxy
 *    between us and the server may open its own sessions with other flags (ProxySQL did:
 *    sysown/proxysql#2466), and AWS does not document what RDS Proxy does. Then concurrent replays
 *    would count state rows twice, silently. So the same upsert the sink sends is run twice on a
 *    probe row, inside a transaction rolled back: the second must report 0.
 *  - **READ COMMITTED**: the sink's step 1 must see the latest commits. Read from
 *    `@@transaction_isolation` (MariaDB 10.11: `@@tx_isolation`).
 *  - **The session time zone is UTC**, so CURRENT_TIMESTAMP defaults agree with the UTC times
 *    written from JS.
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
        'this connection path (a proxy?) counts found rows, so concurrent replays could count state twice',
    );
  }
  if (problems.length > 0) {
    throw new DatabaseConfigError(
      `database set up wrongly (${dialect.name} ${dialect.version}), refusing to write: ${problems.join('; ')}`,
    );
  }
  return dialect;
}

/** The affected rows of an upsert that changes nothing, as the sink sends it; nothing is kept. */
async function noOpUpsertCount(conn: Queryable, dialect: SqlDialect): Promise<number | undefined> {
  const upsert = dialect.upsert(affectedRowsProbe, '(?)');
  // A random row, so concurrent checks (every container starting at once) do not wait on each other.
  const id = randomInt(1, 2 ** 47);
  await conn.query('START TRANSACTION');
  try {
    const inserted = await conn.query<{ affectedRows?: number }>(upsert, [id]);
    if (inserted.affectedRows !== 1) return inserted.affectedRows;
    return (await conn.query<{ affectedRows?: number }>(upsert, [id])).affectedRows;
  } finally {
    await conn.query('ROLLBACK');
  }
}
