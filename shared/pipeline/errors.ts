/**
 * The pipeline's errors, all of them. A record fails either permanently — it will fail the same way
 * on every retry, so it goes to `event_dead_letter` and is not reported — or transiently — the
 * database, the network or a timeout may recover, so the record is reported for retry.
 */

export const PERMANENT_REASONS = [
  'no_value',
  'oversize',
  'not_utf8',
  'not_json',
  /** Avro or Protobuf bytes (schema registry, SOURCE format) that do not decode. */
  'not_decodable',
  'schema',
  'unknown_domain',
  /** Of a domain no function reading this topic owns, or its header and its body disagree. */
  'misrouted',
  'unknown_type',
  'unknown_version',
  'rejected_by_database',
] as const;
export type PermanentReason = (typeof PERMANENT_REASONS)[number];

/**
 * How an error is recognised: by a brand, never by `instanceof`. The functions ship as more than
 * one bundle (the SOURCE decoders load lazily from a file of their own, infra/lib/function-code.ts),
 * and each bundle carries its own copy of these classes, so an error thrown in one bundle is no
 * `instanceof` the class of another. A `Symbol.for` key is one per process, whichever copy made it.
 * test/unit/architecture.test.ts refuses `instanceof` on these classes.
 */
const KIND = Symbol.for('lambda-realtime.error-kind');

export type ErrorKind = 'permanent' | 'transient' | 'database_config' | 'data_rejected' | 'concurrent_write';

/** The brand an error carries, if it is one of the project's. */
export function errorKind(error: unknown): ErrorKind | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  return (error as { [KIND]?: ErrorKind })[KIND];
}

/** Sets the brand on an error being constructed (the most derived class's constructor wins). */
export function brand(error: Error, kind: ErrorKind): void {
  Object.defineProperty(error, KIND, { value: kind, enumerable: false, configurable: true, writable: true });
}

/** The record itself is bad; retrying cannot help. */
export class PermanentEventError extends Error {
  override readonly name = 'PermanentEventError';
  readonly reason: PermanentReason;

  constructor(reason: PermanentReason, message: string, options?: ErrorOptions) {
    super(message, options);
    this.reason = reason;
    brand(this, 'permanent');
  }
}

export function isPermanentEventError(error: unknown): error is PermanentEventError {
  return errorKind(error) === 'permanent';
}

/** Something outside the record failed (database, network, timeout, throttling); retry later. */
export class TransientError extends Error {
  override readonly name: string = 'TransientError';

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    brand(this, 'transient');
  }
}

/** Transient, including the database set up wrongly (DatabaseConfigError). */
export function isTransientError(error: unknown): error is TransientError {
  const kind = errorKind(error);
  return kind === 'transient' || kind === 'database_config';
}

/**
 * The path to the store is set up wrongly (TLS refused, a proxy that counts affected rows unlike
 * MySQL, the server's settings not the pinned ones): the batch is reported for retry like any
 * transient failure, so nothing is lost, but no retry succeeds until an operator acts. The handler
 * counts it (DatabaseConfigErrors), and an alarm pages on any.
 */
export class DatabaseConfigError extends TransientError {
  override readonly name: string = 'DatabaseConfigError';

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    brand(this, 'database_config');
  }
}

export function isDatabaseConfigError(error: unknown): error is DatabaseConfigError {
  return errorKind(error) === 'database_config';
}

/**
 * The store refused a value the schemas let through (too long, out of range): permanent for the
 * event carrying it. The sink raises it; the pipeline then isolates that event as a dead letter.
 */
export class DataRejectedError extends Error {
  override readonly name = 'DataRejectedError';

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    brand(this, 'data_rejected');
  }
}

export function isDataRejectedError(error: unknown): error is DataRejectedError {
  return errorKind(error) === 'data_rejected';
}
