/**
 * What a MySQL/MariaDB error means for a batch. Codes from the MySQL and MariaDB error references;
 * mysql2 puts the server's number in `errno` and its own network failures in `code`.
 */
export type DbErrorKind =
  /** Another transaction won a lock race: retry the transaction. */
  | 'lock_conflict'
  /** Credentials refused: the secret may have rotated. */
  | 'access_denied'
  /** The connection is gone or the server is unavailable: reconnect, later retry. */
  | 'connection'
  /** A value the table does not accept: permanent for the record carrying it. */
  | 'data'
  /** Anything else: treated as transient, never as the record's fault. */
  | 'other';

/**
 * Another transaction committed some of this batch's events while this one was writing them (the
 * sink's step 2, shared/sink/sink.ts): a lock conflict, retried as one.
 */
export class ConcurrentWriteError extends Error {
  override readonly name = 'ConcurrentWriteError';
  constructor(duplicates: number) {
    super(`${duplicates} event(s) of the batch were committed by another writer meanwhile`);
  }
}

const LOCK_CONFLICT = new Set([1213, 1205]);
const ACCESS_DENIED = new Set([1045, 1044, 1698]);
// too many connections, server shutdown, gone away, lost, killed, interrupted, read-only (failover),
// network read/write errors, and MySQL 8's notice before it closes an idle session (4031)
const CONNECTION_ERRNO = new Set([
  1040, 1053, 2002, 2003, 2006, 2013, 1927, 1317, 1290, 1836, 3100, 1158, 1159, 1160, 1161, 4031,
]);
const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'PROTOCOL_ENQUEUE_AFTER_FATAL_ERROR',
  'PROTOCOL_ENQUEUE_AFTER_QUIT',
  'ERR_SOCKET_CLOSED',
]);
// data too long, out of range, incorrect value/datetime, null into NOT NULL, invalid JSON, CHECK
const DATA_ERRNO = new Set([1406, 1264, 1366, 1292, 1048, 1265, 3140, 4025, 3819]);

export function classifyDbError(error: unknown): DbErrorKind {
  if (error instanceof ConcurrentWriteError) return 'lock_conflict';
  const { errno, code } = (error ?? {}) as { errno?: number; code?: string };
  if (typeof errno === 'number') {
    if (LOCK_CONFLICT.has(errno)) return 'lock_conflict';
    if (ACCESS_DENIED.has(errno)) return 'access_denied';
    if (CONNECTION_ERRNO.has(errno)) return 'connection';
    if (DATA_ERRNO.has(errno)) return 'data';
  }
  if (typeof code === 'string' && CONNECTION_CODES.has(code)) return 'connection';
  if (
    /connect ETIMEDOUT|Connection lost|closed state|Pool is closed/i.test((error as Error)?.message ?? '')
  ) {
    return 'connection';
  }
  return 'other';
}
