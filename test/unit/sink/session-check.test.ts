/**
 * The sink's session check against recorded answers: MySQL 8.4's and MariaDB 10.11's variables,
 * the time zones that are UTC, and the affected-rows proof. (test/integration/sink.test.ts runs it
 * against the real database, CLIENT_FOUND_ROWS on and off.)
 */
import { describe, expect, it } from 'vitest';
import { errorKind } from '../../../shared/pipeline/errors.ts';
import type { Queryable } from '../../../shared/sink/database.ts';
import { checkSession } from '../../../shared/sink/session-check.ts';

interface Server {
  version: string;
  isolation?: string;
  timeZone?: string;
  systemTimeZone?: string;
  /** Affected rows of the second, no-op, probe upsert. */
  noOp?: number;
  /** A path (a proxy) that refuses several statements in one query. */
  oneStatementPerQuery?: boolean;
}

function session(server: Server) {
  const sent: string[] = [];
  const conn: Queryable = {
    async commitAll() {
      throw new Error('the session check sends no commitAll');
    },
    async query<R>(sql: string): Promise<R> {
      sent.push(sql);
      if (server.oneStatementPerQuery && sql.startsWith('START TRANSACTION;'))
        throw Object.assign(new Error('You have an error in your SQL syntax'), { errno: 1064 });
      if (sql.startsWith('SELECT VERSION()')) return [{ version: server.version }] as R;
      if (sql.startsWith('SELECT @@SESSION.'))
        return [
          {
            isolation: server.isolation ?? 'READ-COMMITTED',
            time_zone: server.timeZone ?? '+00:00',
            system_time_zone: server.systemTimeZone ?? 'UTC',
          },
        ] as R;
      if (sql.startsWith('START TRANSACTION;'))
        return [{}, { affectedRows: 1 }, { affectedRows: server.noOp ?? 0 }, {}] as R;
      if (server.oneStatementPerQuery && sql.includes(';'))
        throw Object.assign(new Error('You have an error in your SQL syntax'), { errno: 1064 });
      return {} as R;
    },
  };
  return { conn, sent };
}

describe('checkSession', () => {
  it("reads MySQL 8.4's transaction_isolation and probes with the row alias", async () => {
    const { conn, sent } = session({ version: '8.4.8' });
    expect((await checkSession(conn)).name).toBe('mysql');
    expect(sent).toEqual([
      'SELECT VERSION() AS version',
      'SELECT @@SESSION.transaction_isolation AS isolation, @@SESSION.time_zone AS time_zone, @@system_time_zone AS system_time_zone',
      expect.stringMatching(
        /^START TRANSACTION;\nINSERT INTO `affected_rows_probe` \(`id`\) VALUES \((\d+)\) AS `new` ON DUPLICATE KEY UPDATE `id` = `affected_rows_probe`\.`id`;\nINSERT INTO `affected_rows_probe` \(`id`\) VALUES \(\1\) AS `new` ON DUPLICATE KEY UPDATE `id` = `affected_rows_probe`\.`id`;\nROLLBACK$/,
      ),
    ]);
  });

  it("reads MariaDB 10.11's tx_isolation", async () => {
    const { conn, sent } = session({ version: '10.11.6-MariaDB-0+deb12u1' });
    expect((await checkSession(conn)).name).toBe('mariadb');
    expect(sent[1]).toMatch(/^SELECT @@SESSION\.tx_isolation AS isolation/);
    expect(sent[2]).not.toContain(' AS `new`');
  });

  it.each([['+00:00'], ['UTC'], ['Etc/UTC'], ['-00:00']])('takes time zone %s as UTC', async (timeZone) => {
    await expect(checkSession(session({ version: '8.4.8', timeZone }).conn)).resolves.toBeDefined();
  });

  it('takes SYSTEM as UTC only where the system is', async () => {
    await expect(
      checkSession(session({ version: '8.4.8', timeZone: 'SYSTEM', systemTimeZone: 'UTC' }).conn),
    ).resolves.toBeDefined();
    await expect(
      checkSession(session({ version: '8.4.8', timeZone: 'SYSTEM', systemTimeZone: 'GMT' }).conn),
    ).rejects.toThrow(/the session time zone is SYSTEM \(GMT\), not UTC/);
  });

  it('refuses, naming everything wrong at once, as DatabaseConfigError; the probe is rolled back', async () => {
    const { conn, sent } = session({
      version: '8.4.8',
      isolation: 'REPEATABLE-READ',
      timeZone: 'Europe/London',
      noOp: 1,
    });
    const error = await checkSession(conn).catch((e: unknown) => e);
    expect(errorKind(error)).toBe('database_config');
    expect((error as Error).message).toBe(
      'database set up wrongly (mysql 8.4.8), refusing to write: ' +
        "sessions run REPEATABLE-READ (@@transaction_isolation), not READ-COMMITTED: set transaction_isolation in the server's parameter group; " +
        "the session time zone is Europe/London, not UTC: set time_zone in the server's parameter group; " +
        'a no-op upsert reports 1 affected row(s), where MySQL reports 0 without CLIENT_FOUND_ROWS: ' +
        'this connection path (a proxy?) counts found rows, so the duplicates of a batch would be counted as written',
    );
    expect(sent.at(-1)).toMatch(/;\nROLLBACK$/);
  });

  it('refuses a connection path that runs one statement per query, saying so', async () => {
    const { conn, sent } = session({ version: '8.4.8', oneStatementPerQuery: true });
    const error = await checkSession(conn).catch((e: unknown) => e);
    expect(errorKind(error)).toBe('database_config');
    expect((error as Error).message).toMatch(
      /does not run several statements in one query \(CLIENT_MULTI_STATEMENTS\)/,
    );
    expect(sent.at(-1)).toBe('ROLLBACK');
  });

  it('refuses a server whose version says nothing of its dialect', async () => {
    const error = await checkSession(session({ version: 'proxy' }).conn).catch((e: unknown) => e);
    expect(errorKind(error)).toBe('database_config');
    expect((error as Error).message).toMatch(/cannot tell the SQL dialect/);
  });
});
