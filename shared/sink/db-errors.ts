/**
 * What a MySQL/MariaDB error means for a batch. Codes from the MySQL and MariaDB error references;
 * mysql2 puts the server's number in `errno` and its own network failures in `code`.
 */
import { brand, errorKind } from '../pipeline/errors.ts';

export type DbErrorKind =
  /** Another transaction won a lock race: retry the transaction. */
  | 'lock_conflict'
  /** Credentials refused: the secret may have rotated. */
  | 'access_denied'
  /** The connection is gone or the server is unavailable: reconnect, later retry. */
  | 'connection'
  /** A value the table does not accept: permanent for the record carrying it. */
  | 'data'
  /**
   * The connection path is set up wrongly (an insecure transport refused, a server certificate that
   * does not verify or names another host, TLS asked of a server without it): an operator must act.
   */
  | 'configuration'
  /** Anything else: treated as transient, never as the record's fault. */
  | 'other';

/**
 * Another transaction committed some of this batch's events after this one read which exist (the
 * sink's plain insert of them failed on a duplicate key, shared/sink/sink.ts): a lock conflict,
 * retried as one.
 */
export class ConcurrentWriteError extends Error {
  override readonly name = 'ConcurrentWriteError';
  constructor(cause: unknown) {
    super('an event of the batch was committed by another writer meanwhile', { cause });
    brand(this, 'concurrent_write');
  }
}

/** MySQL's and MariaDB's ER_DUP_ENTRY: an INSERT met a key that exists. */
export function isDuplicateKey(error: unknown): boolean {
  return (error as { errno?: unknown } | undefined)?.errno === 1062;
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
// MySQL's ER_SECURE_TRANSPORT_REQUIRED: "Connections using insecure transport are prohibited while
// --require_secure_transport=ON" (MySQL 8.4 server error reference). Retrying cannot help.
// (MariaDB 10.11 refuses the login instead, as access denied: 1045, told apart by the caller, which
// knows it connected without TLS: shared/sink/database.ts, plainLoginRefused.)
const CONFIGURATION_ERRNO = new Set([3159]);
// mysql2's own: TLS asked of a server that offers none; the TLS handshake failed. mysql2 gives every
// TLS handshake failure the second code, so only a certificate that did not verify (chain, expiry,
// host name: Node's messages) counts as set up wrongly; a connection lost mid-handshake is one lost.
const NO_TLS_CODE = 'HANDSHAKE_NO_SSL_SUPPORT';
const TLS_FAILED_CODE = 'HANDSHAKE_SSL_ERROR';
const CERTIFICATE_REFUSED = /certificate|altnames|self[- ]signed/i;

export function classifyDbError(error: unknown): DbErrorKind {
  if (errorKind(error) === 'concurrent_write') return 'lock_conflict';
  const { errno, code } = (error ?? {}) as { errno?: number; code?: string };
  if (typeof errno === 'number') {
    if (LOCK_CONFLICT.has(errno)) return 'lock_conflict';
    if (ACCESS_DENIED.has(errno)) return 'access_denied';
    if (CONNECTION_ERRNO.has(errno)) return 'connection';
    if (DATA_ERRNO.has(errno)) return 'data';
    if (CONFIGURATION_ERRNO.has(errno)) return 'configuration';
  }
  if (code === NO_TLS_CODE) return 'configuration';
  if (code === TLS_FAILED_CODE) {
    return CERTIFICATE_REFUSED.test((error as Error).message ?? '') ? 'configuration' : 'connection';
  }
  if (typeof code === 'string' && CONNECTION_CODES.has(code)) return 'connection';
  if (
    /connect ETIMEDOUT|Connection lost|closed state|Pool is closed/i.test((error as Error)?.message ?? '')
  ) {
    return 'connection';
  }
  return 'other';
}
