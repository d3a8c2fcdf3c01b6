/**
 * Per-partition bookkeeping of the local ESM, free of I/O so it can be tested alone: the records
 * received but not yet committed, which of them the next batch may carry, what an invocation's
 * outcome does to them, and which offset is safe to commit.
 *
 * A partition's pending records are always in offset order. A batch carries a contiguous run from
 * the head of each partition it touches (filtered-out records are skipped, never delivered), so
 * whatever succeeds is a prefix, and the commit position only ever moves forward past records that
 * succeeded, were filtered out, or were handed to the on-failure destination.
 */
import type { KafkaEventRecord } from '../shared/pipeline/lambda-event.ts';
import { partitionKey } from '../shared/pipeline/lambda-event.ts';
import type { FailedRecord, FailureCondition } from './on-failure.ts';

export interface PendingRecord {
  readonly record: KafkaEventRecord;
  readonly offset: bigint;
  /** Size inside the invocation payload. */
  readonly bytes: number;
  /** The leader epoch of the record's batch, sent with a commit (KIP-320). */
  readonly leaderEpoch: number;
  /** Dropped by the ESM filter: never delivered, done once everything before it is. */
  readonly filteredOut: boolean;
  /** Invocations that carried it. */
  invokeCount: number;
  /** Failed invocations that count toward MaximumRetryAttempts. */
  failures: number;
  lastFunctionError: 'Unhandled' | undefined;
}

export interface Discarded extends FailedRecord {
  pending: PendingRecord;
}

export class PartitionQueue {
  readonly topic: string;
  readonly partition: number;
  readonly key: string;
  readonly pending: PendingRecord[] = [];
  /** The next offset this queue accepts: a re-fetch after a rebalance repeats what we hold. */
  nextOffset: bigint | undefined;
  /** No delivery before this time (retry backoff). */
  retryAt = 0;
  /** A batch carrying records of this partition is being invoked: no second one until it settles. */
  inFlight = false;
  /** The last record that is done and not yet committed. */
  committable: PendingRecord | undefined;
  /** The offset committed last (next offset to read), when known. */
  committedOffset: bigint | undefined;

  constructor(topic: string, partition: number) {
    this.topic = topic;
    this.partition = partition;
    this.key = partitionKey(topic, partition);
  }

  /** Adds a record in offset order; false for a repeat of one already held or done. */
  accept(record: PendingRecord): boolean {
    if (this.nextOffset !== undefined && record.offset < this.nextOffset) return false;
    this.nextOffset = record.offset + 1n;
    this.pending.push(record);
    this.#popFilteredHead();
    return true;
  }

  /**
   * Records the next batch may carry from this partition, in order: none while a batch of it is in
   * flight (order within a partition) or while it backs off after a failure.
   */
  deliverable(now: number): PendingRecord[] {
    if (this.inFlight || now < this.retryAt) return [];
    return this.pending.filter((r) => !r.filteredOut);
  }

  get deliverableCount(): number {
    return this.pending.reduce((n, r) => n + (r.filteredOut ? 0 : 1), 0);
  }

  /**
   * Applies an invocation's outcome to the records this partition had in the batch.
   * `resumeAt` undefined = all succeeded; a number = that offset and later failed; `'all'` = all failed.
   * `countsAsRetry` is false while a function error only bisects the batch.
   */
  settle(
    delivered: readonly PendingRecord[],
    resumeAt: number | 'all' | undefined,
    options: { countsAsRetry: boolean; functionError: 'Unhandled' | undefined; maxRetryAttempts: number },
  ): { succeeded: number; failed: number; discarded: Discarded[] } {
    const failedFrom = resumeAt === 'all' ? -Infinity : (resumeAt ?? Infinity);
    const done = new Set(delivered.filter((r) => r.record.offset < failedFrom));
    const failed = delivered.filter((r) => r.record.offset >= failedFrom);
    while (this.pending.length > 0 && (done.has(this.pending[0]!) || this.pending[0]!.filteredOut)) {
      this.committable = this.pending.shift();
    }
    for (const record of failed) {
      if (options.countsAsRetry) record.failures += 1;
      record.lastFunctionError = options.functionError;
    }
    const discarded: Discarded[] = [];
    const max = options.maxRetryAttempts;
    while (max >= 0 && this.#head() && this.#head()!.failures > max) {
      discarded.push(this.#discardHead('RetryAttemptsExhausted'));
    }
    return { succeeded: done.size, failed: failed.length, discarded };
  }

  /** Discards head records older than the maximum record age (checked before delivery, as AWS does). */
  expire(now: number, maxRecordAgeMs: number): Discarded[] {
    const discarded: Discarded[] = [];
    while (this.#head() && now - this.#head()!.record.timestamp > maxRecordAgeMs) {
      discarded.push(this.#discardHead('RecordAgeExceeded'));
    }
    return discarded;
  }

  /** Discards the head record because it alone exceeds the invocation payload limit. */
  discardOversizedHead(): Discarded {
    return this.#discardHead('MaximumPayloadSizeExceeded');
  }

  /** The commit to make now, if the commit position moved; marks it as committed. */
  takeCommit(): PendingRecord | undefined {
    const record = this.committable;
    if (!record) return undefined;
    this.committable = undefined;
    this.committedOffset = record.offset + 1n;
    return record;
  }

  /**
   * Where a new owner must start reading when this partition is given up: the first record not yet
   * done (nothing before it is left undone), or past the last record done. Committing it never skips
   * an unprocessed record, and gives the partition a committed offset even before its first commit.
   */
  releasePosition(): { offset: bigint; leaderEpoch: number } | undefined {
    const head = this.pending[0];
    if (head) return { offset: head.offset, leaderEpoch: head.leaderEpoch };
    const done = this.committable;
    return done ? { offset: done.offset + 1n, leaderEpoch: done.leaderEpoch } : undefined;
  }

  /** The first record a batch would carry (filtered-out heads are already popped). */
  #head(): PendingRecord | undefined {
    return this.pending[0];
  }

  #discardHead(condition: FailureCondition): Discarded {
    const pending = this.pending.shift()!;
    this.committable = pending;
    this.#popFilteredHead();
    return {
      pending,
      record: pending.record,
      condition,
      invokeCount: pending.invokeCount,
      lastFunctionError: pending.lastFunctionError,
    };
  }

  #popFilteredHead(): void {
    while (this.pending.length > 0 && this.pending[0]!.filteredOut) this.committable = this.pending.shift();
  }
}
