/**
 * The ports the batch pipeline (batch.ts) needs from the outside: where a batch's writes go
 * (implemented by shared/sink/) and batched dimension lookups (implemented by shared/dimensions/).
 * They live here, not in the orchestrator, so the adapters import the port and nothing else.
 */
import type { PermanentEventError } from './errors.ts';
import type { KafkaEventRecord } from './lambda-event.ts';
import type { EventWrite } from './processor.ts';

/** A record that can never be processed, on its way to the dead letters. */
export interface DeadLetter {
  record: KafkaEventRecord;
  error: PermanentEventError;
  /** The function's domain. */
  domain: string;
  eventId: string | undefined;
}

/** One batch's writes, applied in one transaction. */
export interface BatchWrites {
  events: EventWrite[];
  deadLetters: DeadLetter[];
}

export interface ApplyResult {
  /** Events written for the first time. */
  applied: number;
  /** Events already written before (replays, duplicates in the batch): absorbed. */
  duplicates: number;
  deadLettered: number;
}

/** Where a batch's writes go. It raises DataRejectedError when a value is refused. */
export interface BatchSink {
  apply(writes: BatchWrites): Promise<ApplyResult>;
}

/** Batched lookups of one dimension table (the warm cache in a function). */
export interface DimensionLookup {
  getMany(keys: Iterable<string>): Promise<Map<string, object | null>>;
}
