/**
 * The database handle a warm container keeps: a small mysql2 pool created lazily on first use,
 * with the recovery rules users rely on —
 *  - lock conflicts (deadlock, lock wait timeout) retry the whole transaction a bounded number of
 *    times, then surface as transient;
 *  - a lost connection (a container thawed after its sockets died, a failover) retries once on a
 *    new pool; the old one closes once nobody uses it;
 *  - access denied (a rotated secret, an expired IAM token) fetches the credentials again, rebuilds
 *    the pool and retries once;
 *  - a connection path set up wrongly (TLS refused or unverifiable) surfaces as DatabaseConfigError;
 *  - anything else that is not the data's fault surfaces as TransientError.
 * Sessions send no SET: the time zone (UTC) and READ COMMITTED are the server's own settings (RDS's
 * parameter group; scripts/services/mysql-server.cnf locally), since RDS Proxy pins a session that
 * runs one. It still pins a session for a multi-row statement over 16 KB, so it pools connections
 * rather than multiplexing them.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import {
  createPool,
  format,
  type Pool,
  type PoolConnection,
  type PoolOptions,
  type SslOptions,
} from 'mysql2/promise';
import {
  DatabaseConfigError,
  DataRejectedError,
  isDatabaseConfigError,
  isTransientError,
  TransientError,
} from '../pipeline/errors.ts';
import type { CredentialsProvider, DbCredentials } from './credentials.ts';
import { classifyDbError } from './db-errors.ts';

/**
 * TLS to RDS, the server's certificate chain verified against Node's CA store — no `ca` option,
 * which would replace the store — and its name against the host connected to (`verifyIdentity`:
 * mysql2 checks the chain alone without it):
 *  - RDS Proxy presents an AWS Certificate Manager certificate, which chains to the Amazon Root CAs
 *    in Node's own store (docs.aws.amazon.com/AmazonRDS/latest/UserGuide/rds-proxy.howitworks.html,
 *    "Using TLS/SSL with RDS Proxy"; UsingWithRDS.SSL-certificate-rotation.html: "RDS Proxy ... use
 *    certificates from the AWS Certificate Manager (ACM)").
 *  - An RDS instance presents one signed by an Amazon RDS CA (rds-ca-rsa2048-g1 and the others),
 *    which Node lacks: the functions' environment adds those through NODE_EXTRA_CA_CERTS, as AWS
 *    recommends for Node.js 20 and later runtimes (docs.aws.amazon.com/lambda/latest/dg/
 *    lambda-nodejs.html, "CA certificate loading": bundle only the certificates you need and point
 *    NODE_EXTRA_CA_CERTS at them). The file ships beside index.mjs (infra/lib/function-code.ts,
 *    RDS_CA_FILE); elsewhere (a migration run from a workstation against an instance) set
 *    NODE_EXTRA_CA_CERTS to a built copy, dist/functions/<name>/certificates/rds-ca.pem.
 * Node reads that file when it first builds its CA store (the first TLS connection, Secrets
 * Manager's), not at start-up; the bundle no longer carries the certificates (177 KiB) as code.
 */
export const RDS_TLS: SslOptions = { rejectUnauthorized: true, verifyIdentity: true };

/**
 * How connections reach the server (DB_TLS, shared/runtime/config.ts): `off`, plain; `rds`, verified
 * TLS against Node's CA store (RDS_TLS); `{ ca }`, verified TLS, chain and host name, against these
 * CA certificates only (PEM: the local services' own CA, DB_TLS=verify with DB_TLS_CA).
 */
export type DbTls = 'off' | 'rds' | { ca: string };

/** mysql2's `ssl` option for `tls`; undefined for a plain connection. */
export function sslOptions(tls: DbTls | undefined): SslOptions | undefined {
  if (tls === undefined || tls === 'off') return undefined;
  return tls === 'rds' ? RDS_TLS : { ca: tls.ca, rejectUnauthorized: true, verifyIdentity: true };
}

/**
 * mysql2's options that differ by credentials and TLS, shared by the pool here and db/connection.ts:
 * `ssl`, and for an IAM auth token mysql2's own mysql_clear_password plugin (the server asks for the
 * token in clear, which mysql2 refuses unless enabled) — only ever over TLS.
 */
export function connectionSecurity(
  credentials: DbCredentials,
  tls: DbTls | undefined,
): Pick<PoolOptions, 'ssl' | 'enableCleartextPlugin'> {
  const ssl = sslOptions(tls);
  if (credentials.authToken && !ssl) {
    throw new DatabaseConfigError(
      'an IAM auth token is sent in clear text and so only over TLS: set DB_TLS to rds or verify',
    );
  }
  return { ...(ssl ? { ssl } : {}), ...(credentials.authToken ? { enableCleartextPlugin: true } : {}) };
}

/**
 * The server's refusal of a login over a plain connection, with what to check: a server that takes
 * TLS connections only refuses a plain one as if the password were wrong (MariaDB: access denied,
 * 1045; MySQL says so, 3159, ER_SECURE_TRANSPORT_REQUIRED).
 */
export function plainLoginRefused(error: unknown): DatabaseConfigError {
  return new DatabaseConfigError(
    `database refused a login over a plain connection (DB_TLS=off): if the server takes TLS connections only (require_secure_transport, as RDS and the local services do), set DB_TLS to rds or verify; otherwise check the credentials: ${(error as Error).message}`,
    { cause: error },
  );
}

export interface DatabaseOptions {
  credentials: CredentialsProvider;
  /** `rds` or `{ ca }`: verified TLS (chain and host name); `off` (default): plain. */
  tls?: DbTls;
  poolSize?: number;
  connectTimeoutMs?: number;
  /** Retries of a transaction that lost a lock race (deadlock, lock wait timeout). */
  lockRetries?: number;
  /** Called with every statement sent (tests count them; metrics could). */
  onStatement?: (sql: string) => void;
  /** Called once per round trip to the server (several statements may share one: `commitAll`). */
  onRoundTrip?: () => void;
  log?: (level: 'warn' | 'info', message: string, fields?: Record<string, unknown>) => void;
}

export class Database {
  readonly #options: DatabaseOptions;
  #pool: OpenPool | undefined;
  #opening: Promise<OpenPool> | undefined;
  #rotating: Promise<boolean> | undefined;
  readonly #checks: Array<(conn: Queryable) => Promise<void>> = [];

  constructor(options: DatabaseOptions) {
    this.#options = options;
  }

  /**
   * Adds a check of the connection path run once per pool, on its first connection, before any
   * work (the sink's: shared/sink/session-check.ts). A check that fails refuses the work as
   * DatabaseConfigError and retires the pool, so the next call checks a new one; a lost connection
   * or refused login during the check follows the rules above.
   */
  verifyEachPool(check: (conn: Queryable) => Promise<void>): void {
    this.#checks.push(check);
  }

  /**
   * Runs `work` in one transaction, with the recovery rules above; READ COMMITTED, the server's
   * transaction_isolation (no SET: see above; the sink's session check proves it).
   */
  async transaction<T>(work: (conn: Queryable) => Promise<T>): Promise<T> {
    return this.#withRecovery(async (conn) => {
      await conn.query('START TRANSACTION');
      try {
        const result = await work(conn);
        await conn.query('COMMIT');
        return result;
      } catch (error) {
        await conn.query('ROLLBACK').catch(() => {});
        throw error;
      }
    });
  }

  /** Runs `work` on one pooled connection outside a transaction (reads). */
  async run<T>(work: (conn: Queryable) => Promise<T>): Promise<T> {
    return this.#withRecovery(work);
  }

  async close(): Promise<void> {
    const current = this.#pool;
    this.#pool = undefined;
    if (current && !current.ended) {
      current.ended = true;
      await current.pool.end().catch(() => {});
    }
  }

  async #withRecovery<T>(work: (conn: Queryable) => Promise<T>): Promise<T> {
    const lockRetries = this.#options.lockRetries ?? 3;
    let lockConflicts = 0;
    let reconnected = false;
    let reauthenticated = false;
    for (;;) {
      let opened: OpenPool | undefined;
      let conn: PoolConnection | undefined;
      try {
        opened = await this.#open();
        opened.inUse++;
        conn = await opened.pool.getConnection();
        if (!opened.verified && this.#checks.length > 0) await this.#verify(opened, conn);
        const result = await work(this.#queryable(conn));
        conn.release();
        return result;
      } catch (error) {
        const kind = classifyDbError(error);
        // A connection that failed mid-way may be broken: never hand it out again.
        if (conn) kind === 'connection' ? conn.destroy() : conn.release();
        if (kind === 'data') throw dataRejected(error);
        if (kind === 'lock_conflict' && lockConflicts < lockRetries) {
          lockConflicts++;
          this.#log('warn', 'lock conflict, retrying transaction', {
            attempt: lockConflicts,
            error: (error as Error).message,
          });
          await sleep(20 * 2 ** lockConflicts + Math.random() * 20);
          continue;
        }
        if (kind === 'connection' && !reconnected && opened) {
          reconnected = true;
          this.#log('warn', 'database connection lost, retrying once on a new pool', {
            error: (error as Error).message,
          });
          // The pool's other idle connections likely died too (a thawed container, a failover).
          this.#retire(opened);
          continue;
        }
        if (kind === 'access_denied' && !reauthenticated && opened && (await this.#rotate(opened))) {
          reauthenticated = true;
          continue;
        }
        if (isTransientError(error)) throw error;
        const plain = (this.#options.tls ?? 'off') === 'off';
        if (kind === 'access_denied' && plain) throw plainLoginRefused(error);
        if (kind === 'configuration') {
          const hint = plain ? ' (DB_TLS=off: set DB_TLS to rds or verify)' : '';
          throw new DatabaseConfigError(`database set up wrongly: ${(error as Error).message}${hint}`, {
            cause: error,
          });
        }
        const what = kind === 'other' ? 'error' : kind.replace('_', ' ');
        throw new TransientError(`database ${what}: ${(error as Error).message}`, { cause: error });
      } finally {
        if (opened) {
          opened.inUse--;
          this.#endIfRetired(opened);
        }
      }
    }
  }

  async #verify(opened: OpenPool, conn: PoolConnection): Promise<void> {
    opened.verifying ??= (async () => {
      for (const check of this.#checks) await check(this.#queryable(conn));
    })();
    try {
      await opened.verifying;
      opened.verified = true;
    } catch (error) {
      opened.verifying = undefined;
      const kind = classifyDbError(error);
      if (kind === 'connection' || kind === 'access_denied' || kind === 'lock_conflict') throw error;
      this.#retire(opened);
      if (isDatabaseConfigError(error)) throw error;
      const message = `database set up wrongly: checking the connection failed: ${(error as Error).message}`;
      throw new DatabaseConfigError(message, { cause: error });
    }
  }

  #queryable(conn: PoolConnection): Queryable {
    const { onStatement, onRoundTrip } = this.#options;
    return {
      async query<R = unknown>(sql: string, params?: unknown[]): Promise<R> {
        onStatement?.(sql);
        onRoundTrip?.();
        const [rows] = await conn.query(sql, params);
        return rows as R;
      },
      async commitAll(statements: readonly string[]): Promise<StatementResult[]> {
        if (statements.length === 0) return [];
        const all = ['START TRANSACTION', ...statements, 'COMMIT'];
        for (const sql of all) onStatement?.(sql);
        onRoundTrip?.();
        try {
          const [results] = await conn.query(all.join(';\n'));
          return (results as unknown as StatementResult[]).slice(1, -1);
        } catch (error) {
          // The server ran the statements up to the one that failed and stopped there; what they did
          // is undone here. A connection that failed is destroyed by the caller (#withRecovery).
          onStatement?.('ROLLBACK');
          onRoundTrip?.();
          await conn.query('ROLLBACK').catch(() => {});
          throw error;
        }
      },
    };
  }

  async #open(): Promise<OpenPool> {
    if (this.#pool) return this.#pool;
    this.#opening ??= (async () => {
      const credentials = await this.#options.credentials.get();
      // A rotation may have installed a pool with newer credentials meanwhile: keep that one.
      this.#pool ??= this.#createPool(credentials);
      return this.#pool;
    })().finally(() => {
      this.#opening = undefined;
    });
    return this.#opening;
  }

  /** Takes a pool out of use; it is closed once the callers still using it are done. */
  #retire(pool: OpenPool): void {
    if (this.#pool === pool) this.#pool = undefined;
    pool.retired = true;
    this.#endIfRetired(pool);
  }

  #endIfRetired(pool: OpenPool): void {
    if (pool.retired && pool.inUse === 0 && !pool.ended) {
      pool.ended = true;
      pool.pool.end().catch(() => {});
    }
  }

  /**
   * After `failed`'s credentials were refused: true once a pool with newer credentials is in
   * place. Concurrent callers share one secret fetch and one rebuild.
   */
  async #rotate(failed: OpenPool): Promise<boolean> {
    if (this.#pool && this.#pool !== failed) return true;
    this.#rotating ??= (async () => {
      let rotated: DbCredentials | undefined;
      try {
        rotated = await this.#options.credentials.rotated(failed.credentials);
      } catch (e) {
        const message = `database access denied and the secret could not be read again: ${(e as Error).message}`;
        throw new TransientError(message, { cause: e });
      }
      if (!rotated) return false;
      this.#log('warn', 'database access denied; credentials refreshed, pool rebuilt, retrying once');
      this.#retire(failed);
      this.#pool = this.#createPool(rotated);
      return true;
    })().finally(() => {
      this.#rotating = undefined;
    });
    return this.#rotating;
  }

  /**
   * No session settings are sent: the server's own time zone is UTC, so CURRENT_TIMESTAMP defaults
   * agree with the UTC times written from JS (mysql2's `timezone: 'Z'` converts only the values it
   * sends and reads), and its transaction_isolation is READ COMMITTED, which the sink relies on to
   * read the latest commits (shared/sink/sink.ts).
   */
  #createPool(credentials: DbCredentials): OpenPool {
    const pool = createPool(this.#poolOptions(credentials));
    return { pool, credentials, inUse: 0, retired: false, ended: false, verified: false };
  }

  #poolOptions(c: DbCredentials): PoolOptions {
    return {
      host: c.host,
      port: c.port,
      user: c.user,
      password: c.password,
      database: c.database,
      // affectedRows counts only rows inserted or changed: a duplicate event row left as it was
      // counts 0 (MySQL's CLIENT_FOUND_ROWS, on by default in mysql2, would count it 1).
      flags: ['-FOUND_ROWS'],
      connectionLimit: this.#options.poolSize ?? 2,
      maxIdle: this.#options.poolSize ?? 2,
      idleTimeout: 60_000,
      waitForConnections: true,
      connectTimeout: this.#options.connectTimeoutMs ?? 5_000,
      enableKeepAlive: true,
      timezone: 'Z',
      // Queryable.commitAll sends a transaction's statements in one round trip. Every value in them
      // is escaped by the sink (shared/sink/values-list.ts, byte-identical to mysql2's escaping)
      // and every identifier quoted (shared/tables/dialect.ts): no text from an event reaches SQL
      // unescaped. RDS Proxy lists no pinning condition for it; its statements over 16 KB pin
      // anyway ("Avoiding pinning an RDS Proxy", https://docs.aws.amazon.com/AmazonRDS/latest/
      // UserGuide/rds-proxy-pinning.html).
      multipleStatements: true,
      queryFormat,
      dateStrings: false,
      supportBigNumbers: true,
      bigNumberStrings: true,
      decimalNumbers: false,
      charset: 'utf8mb4_unicode_ci',
      ...connectionSecurity(c, this.#options.tls),
    };
  }

  #log(level: 'warn' | 'info', message: string, fields?: Record<string, unknown>): void {
    this.#options.log?.(level, message, fields);
  }
}

/**
 * mysql2's own `format` (the escaping it would do with this pool's options), except that a query
 * without values is sent as it is: mysql2 formats every query, and without values its `format`
 * still scans the whole text for a `?` to fill — ~5 % of a handler's CPU on the sink's
 * pre-escaped transactions (shared/sink/values-list.ts), hundreds of kilobytes a batch.
 */
function queryFormat(sql: string, values: unknown): string {
  return values === undefined || (Array.isArray(values) && values.length === 0)
    ? sql
    : format(sql, values as Parameters<typeof format>[1], false, 'Z');
}

interface OpenPool {
  pool: Pool;
  credentials: DbCredentials;
  /** Callers between taking the pool and finishing with it. */
  inUse: number;
  retired: boolean;
  ended: boolean;
  /** The checks (verifyEachPool) passed on this pool; `verifying` while they run. */
  verified: boolean;
  verifying?: Promise<void> | undefined;
}

/** What code running inside `transaction`/`run` can do. */
export interface Queryable {
  query<R = unknown>(sql: string, params?: unknown[]): Promise<R>;
  /**
   * Runs `statements` as one transaction in one round trip: `START TRANSACTION; …; COMMIT`, sent
   * as one multi-statement query (the server stops at the first statement that fails; that
   * transaction is then rolled back, one more round trip, and the error thrown). Returns each
   * statement's result, in order. Outside `transaction` only: it opens its own.
   */
  commitAll(statements: readonly string[]): Promise<StatementResult[]>;
}

/** What a write statement reports. */
export interface StatementResult {
  affectedRows?: number;
}

/**
 * The database's refusal, without the value it refused: the server's message quotes it ("Incorrect
 * datetime value: '…'"), and the message reaches logs and event_dead_letter.error_message.
 */
function dataRejected(error: unknown): DataRejectedError {
  const { errno, code, message = '' } = (error ?? {}) as { errno?: number; code?: string; message?: string };
  // MySQL names the column 'c'; MariaDB `db`.`table`.`c`.
  const column = /column ((?:[`'][^`']{1,64}[`']\.?){1,3})/
    .exec(message)?.[1]
    ?.match(/[^`'.]+/g)
    ?.at(-1);
  return new DataRejectedError(
    `the database refused a value${column ? ` of column ${column}` : ''} (${code ?? 'error'}${errno ? ` ${errno}` : ''})`,
  );
}
