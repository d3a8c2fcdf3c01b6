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

/** The record itself is bad; retrying cannot help. */
export class PermanentEventError extends Error {
  override readonly name = 'PermanentEventError';
  readonly reason: PermanentReason;

  constructor(reason: PermanentReason, message: string, options?: ErrorOptions) {
    super(message, options);
    this.reason = reason;
  }
}

/** Something outside the record failed (database, network, timeout, throttling); retry later. */
export class TransientError extends Error {
  override readonly name = 'TransientError';
}

/**
 * The store refused a value the schemas let through (too long, out of range): permanent for the
 * event carrying it. The sink raises it; the pipeline then isolates that event as a dead letter.
 */
export class DataRejectedError extends Error {
  override readonly name = 'DataRejectedError';
}
