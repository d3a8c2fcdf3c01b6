/**
 * The database handle a warm container keeps: a small mysql2 pool created lazily on first use,
 * with the recovery rules users rely on —
 *  - lock conflicts (deadlock, lock wait timeout) retry the whole transaction a bounded number of
 *    times, then surface as transient;
 *  - a lost connection (a container thawed after its sockets died, a failover) retries once on a
 *    new pool; the old one closes once nobody uses it;
 *  - access denied (a rotated secret) fetches the credentials again, rebuilds the pool and retries
 *    once;
 *  - anything else that is not the data's fault surfaces as TransientError.
 * Works through RDS Proxy, though the proxy pins these sessions (multi-row statements over 16 KB,
 * the session time zone), so it pools connections rather than multiplexing them.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { createPool, type Pool, type PoolConnection, type PoolOptions } from 'mysql2/promise';
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
 * which would replace the store (mysql2 checks the host name only with `verifyIdentity`, unset here
 * as before):
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
export const RDS_TLS = { rejectUnauthorized: true };

export interface DatabaseOptions {
  credentials: CredentialsProvider;
  /** `rds`: verified TLS (RDS_TLS: instances and RDS Proxy); `off`: plain. */
  tls?: 'off' | 'rds';
  poolSize?: number;
  connectTimeoutMs?: number;
  /** Retries of a transaction that lost a lock race (deadlock, lock wait timeout). */
  lockRetries?: number;
  /** Called with every statement sent (tests count them; metrics could). */
  onStatement?: (sql: string) => void;
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

  /** Runs `work` in one READ COMMITTED transaction, with the recovery rules above. */
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
        if (kind === 'configuration') {
          throw new DatabaseConfigError(`database set up wrongly: ${(error as Error).message}`, {
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
    const onStatement = this.#options.onStatement;
    return {
      async query<R = unknown>(sql: string, params?: unknown[]): Promise<R> {
        onStatement?.(sql);
        const [rows] = await conn.query(sql, params);
        return rows as R;
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

  #createPool(credentials: DbCredentials): OpenPool {
    const pool = createPool(this.#poolOptions(credentials));
    // Sessions in UTC, so CURRENT_TIMESTAMP defaults agree with the UTC times written from JS
    // (mysql2's `timezone` option converts only the values it sends and reads).
    // The event hands over the callback-style connection, whatever mysql2's promise typings say.
    // READ COMMITTED for the session, so a transaction costs no extra statement (the sink reads
    // the latest commits: shared/sink/sink.ts).
    pool.on('connection', (connection) => {
      const session = connection as unknown as CallbackConnection;
      session.query("SET time_zone = '+00:00'", () => {});
      session.query('SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED', () => {});
    });
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
      dateStrings: false,
      supportBigNumbers: true,
      bigNumberStrings: true,
      decimalNumbers: false,
      charset: 'utf8mb4_unicode_ci',
      ...(this.#options.tls === 'rds' ? { ssl: RDS_TLS } : {}),
    };
  }

  #log(level: 'warn' | 'info', message: string, fields?: Record<string, unknown>): void {
    this.#options.log?.(level, message, fields);
  }
}

interface CallbackConnection {
  query(sql: string, callback: (error: unknown) => void): void;
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

/** The one thing code running inside `transaction`/`run` can do. */
export interface Queryable {
  query<R = unknown>(sql: string, params?: unknown[]): Promise<R>;
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
