/**
 * The records a reliability scenario produces, what must become of each, and how it is found again
 * in its topic and in the on-failure destination.
 */
import type { DomainName } from '../../shared/domains/registry.ts';
import type { PermanentReason } from '../../shared/pipeline/errors.ts';
import type { ProducedEvent } from './expected-state.ts';

/** What the pipeline must do with a record (docs/architecture.md, "Nothing lost" and "Failure outcomes"). */
export type Expectation =
  /**
   * A valid event of `domain`: its wide-table row, once per eventId (later copies are absorbed).
   * `event` is the event as produced, from which the state tables are recomputed (./expected-state.ts).
   */
  | { kind: 'event'; eventId: string; domain: DomainName; event: ProducedEvent }
  /** Permanently bad: one event_dead_letter row (with this reason, when given). */
  | { kind: 'dead-letter'; reason?: PermanentReason };

export interface RecordSpec {
  /** null: no key. Keys are entity ids (an entity's events share a partition). */
  key: string | null;
  /** JSON text, raw bytes, or null (a tombstone). */
  value: string | Buffer | null;
  /** Headers besides the sequence header. */
  headers?: Array<[string, Buffer]>;
  /** false: no sequence header; the record is found again by its key, which must be unique. */
  seqHeader?: boolean;
  expect: Expectation;
  /** The bad-input case it belongs to. */
  label?: string;
}

/** A record as it is in the topic: where it landed and what was produced. */
export interface TopicRecord {
  partition: number;
  offset: number;
  seq: number;
  spec: RecordSpec;
}

/** One failure document in the on-failure destination: the record it names and who sent it. */
export interface FailureDoc {
  partition: number;
  offset: number;
  functionArn: string;
  condition: string;
}
