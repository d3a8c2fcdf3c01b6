/**
 * The database path as AWS runs it, against the real local MySQL, which serves TLS only with a
 * certificate of its own CA (scripts/services.sh, find-services.ts): verified TLS (chain and host
 * name), plain connections refused with a message that says what to set, and the server's own
 * settings (UTC, READ COMMITTED) in force with no session SET sent.
 */
import { connect as netConnect } from 'node:net';
import { createConnection } from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '../../db/connection.ts';
import { isDatabaseConfigError } from '../../shared/pipeline/errors.ts';
import { type DbCredentials, StaticCredentials } from '../../shared/sink/credentials.ts';
import { connectionSecurity, Database, type DbTls } from '../../shared/sink/database.ts';
import { classifyDbError } from '../../shared/sink/db-errors.ts';
import { databaseTls, domainHandler, freshDatabase, type TestDatabase } from '../support/database.ts';
import { businessEvent, failedIds, kafkaEvent, kafkaRecord, lambdaContext } from '../support/events.ts';
import { services } from '../support/services.ts';

let db: TestDatabase;
let app: DbCredentials;
let tls: DbTls;
beforeAll(async () => {
  db = await freshDatabase('lrt_tls');
  const { host, port } = services().db;
  app = { host, port, user: db.users.app.user, password: db.users.app.password, database: db.name };
  tls = databaseTls();
});
afterAll(async () => {
  await db?.drop();
});

/** What `promise` failed with (it must fail). */
async function failure(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a failure');
}

describe('verified TLS', () => {
  it('is what the local MySQL serves, and what the functions use', async () => {
    expect(tls).not.toBe('off');
    const database = new Database({ credentials: new StaticCredentials(app), tls });
    try {
      const status = await database.run((conn) =>
        conn.query<Array<{ Variable_name: string; Value: string }>>(
          "SHOW SESSION STATUS WHERE Variable_name IN ('Ssl_version', 'Ssl_cipher')",
        ),
      );
      const values = Object.fromEntries(status.map((r) => [r.Variable_name, r.Value]));
      expect(values.Ssl_version).toMatch(/^TLSv1\.[23]$/);
      expect(values.Ssl_cipher).not.toBe('');
      const [required] = await database.run((conn) =>
        conn.query<Array<{ v: string | number }>>('SELECT @@GLOBAL.require_secure_transport AS v'),
      );
      expect(String(required?.v)).toMatch(/^(1|ON)$/);
    } finally {
      await database.close();
    }
  });

  it('refuses a host name the server certificate does not carry (verifyIdentity)', async () => {
    // The options the functions' pool and db/connection.ts connect with, and a stream to the real
    // server: mysql2 checks the certificate against the host it was given, which the certificate
    // lacks. (Given an IP address, mysql2 sends no server name and Node checks for `localhost`:
    // so the local services hand out DB_HOST=localhost, RDS a name.)
    const { host, port } = services().db;
    for (const name of ['mysql.lambda-realtime.invalid', 'db.example.com']) {
      const error = await failure(
        createConnection({
          ...app,
          host: name,
          stream: netConnect(port, host),
          ...connectionSecurity(app, tls),
        }),
      );
      expect(classifyDbError(error)).toBe('configuration');
      expect(error.message).toContain(`Host: ${name}. is not in the cert's altnames`);
    }
    // The same options and the name the certificate carries: accepted.
    const accepted = await createConnection({
      ...app,
      host: 'localhost',
      stream: netConnect(port, host),
      ...connectionSecurity(app, tls),
    });
    await accepted.end();
  });

  it('refuses a server certificate that does not chain to the CA trusted', async () => {
    // `rds` trusts Node's store (and the RDS CAs), not the local CA.
    const database = new Database({ credentials: new StaticCredentials(app), tls: 'rds' });
    try {
      const error = await failure(database.run((conn) => conn.query('SELECT 1')));
      expect(isDatabaseConfigError(error)).toBe(true);
      expect(error.message).toMatch(/certificate/);
    } finally {
      await database.close();
    }
  });
});

describe('a plain connection', () => {
  it('is refused by the server, and the functions say to set DB_TLS', async () => {
    const database = new Database({ credentials: new StaticCredentials(app), tls: 'off' });
    try {
      const error = await failure(database.run((conn) => conn.query('SELECT 1')));
      expect(isDatabaseConfigError(error)).toBe(true);
      expect(error.message).toContain('over a plain connection (DB_TLS=off)');
      expect(error.message).toContain('set DB_TLS to rds or verify');
      expect(error.message).not.toContain(app.password);
    } finally {
      await database.close();
    }
    // db/connection.ts: the same explanation.
    const direct = await failure(connect(app, 'off'));
    expect(isDatabaseConfigError(direct)).toBe(true);
    expect(direct.message).toContain('DB_TLS');
  });

  it('fails a function batch as DatabaseConfigError: reported for retry, counted, logged as an error', async () => {
    const { DB_TLS_CA: _, ...env } = db.env;
    const handler = domainHandler('order', db, { env: { ...env, DB_TLS: 'off' } });
    const response = await handler(
      kafkaEvent([kafkaRecord({ offset: 5, value: businessEvent('order_create') })]),
      lambdaContext(),
    );
    expect(failedIds(response)).toEqual(['business-events-0@5']);
    const lines = handler.logs.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.some((l) => l._aws && l.DatabaseConfigErrors === 1)).toBe(true);
    const logged = lines.find((l) => l.level === 'ERROR');
    expect(JSON.stringify(logged)).toContain('DB_TLS');
    expect(handler.logs.join('\n')).not.toContain(db.users.app.password);
  });
});

describe("the server's settings, not session SETs", () => {
  it("gives the functions' sessions READ COMMITTED and UTC from the server's configuration", async () => {
    const statements: string[] = [];
    const database = new Database({
      credentials: new StaticCredentials(app),
      tls,
      onStatement: (sql) => statements.push(sql),
    });
    try {
      const session = await database.transaction(async (conn) => {
        // MariaDB before 11.1 names it tx_isolation; MySQL 8.4 transaction_isolation only.
        const variables = await conn.query<Array<{ Variable_name: string; Value: string }>>(
          "SHOW VARIABLES WHERE Variable_name IN ('tx_isolation', 'transaction_isolation', 'time_zone')",
        );
        const global = await conn.query<Array<{ Variable_name: string; Value: string }>>(
          "SHOW GLOBAL VARIABLES WHERE Variable_name IN ('tx_isolation', 'transaction_isolation', 'time_zone')",
        );
        // Com_set_option: the SET statements this session has run — none, not even at connect.
        const [sets] = await conn.query<Array<{ Value: string }>>(
          "SHOW SESSION STATUS LIKE 'Com_set_option'",
        );
        const [clock] = await conn.query<Array<{ skew: number }>>(
          'SELECT TIMESTAMPDIFF(SECOND, UTC_TIMESTAMP(), NOW()) AS skew',
        );
        return {
          variables: Object.fromEntries(variables.map((r) => [r.Variable_name, r.Value])),
          global: Object.fromEntries(global.map((r) => [r.Variable_name, r.Value])),
          sets: Number(sets?.Value),
          skew: Number(clock?.skew),
        };
      });
      const isolation = session.variables.transaction_isolation ?? session.variables.tx_isolation;
      expect(isolation).toBe('READ-COMMITTED');
      expect(['+00:00', 'UTC']).toContain(session.variables.time_zone);
      // The session's values are the server's own.
      expect(session.variables).toEqual(session.global);
      expect(session.skew).toBe(0);
      expect(session.sets).toBe(0);
      expect(statements.filter((sql) => /^\s*SET\b/i.test(sql))).toEqual([]);
    } finally {
      await database.close();
    }
  });
});
