/**
 * Batch assembly, the middle part of the local ESM: what a consumed message becomes (its payload
 * size, whether the ESM filter drops it) and when the records held make a batch — `BatchSize`
 * reached, the batching window elapsed (`MaximumBatchingWindowInSeconds`, 500 ms for Kafka when
 * unset), or the 6 MB invocation payload full — and which records it carries.
 *
 * AWS: docs.aws.amazon.com/lambda/latest/dg/invocation-eventsourcemapping.html#invocation-eventsourcemapping-batching
 * ("Lambda invokes your function when one of the following is met: the batching window reaches its
 * maximum value, the batch size is met, or the payload size reaches 6 MB").
 */
import type { RecordFilter } from './event-filter.ts';
import {
  type ConsumedMessage,
  type EventSourceForm,
  envelopePayloadBytes,
  MAX_INVOCATION_PAYLOAD_BYTES,
  partitionKeyPayloadBytes,
  recordPayloadBytes,
  toEventRecord,
} from './kafka-event.ts';
import type { PartitionQueue, PendingRecord } from './partition-queue.ts';

/** AWS's default batching window for Kafka when MaximumBatchingWindowInSeconds is unset. */
export const DEFAULT_KAFKA_BATCHING_WINDOW_MS = 500;

/** A consumed message as the queue holds it: the event record, its size, and the filter's verdict. */
export function toPendingRecord(
  message: ConsumedMessage & { leaderEpoch?: number },
  filter: RecordFilter | undefined,
): PendingRecord {
  const record = toEventRecord(message);
  return {
    record,
    offset: message.offset,
    bytes: recordPayloadBytes(record),
    leaderEpoch: message.leaderEpoch ?? -1,
    filteredOut: filter ? !filter(record) : false,
    invokeCount: 0,
    failures: 0,
    lastFunctionError: undefined,
  };
}

export interface BatchLimits {
  maxRecords: number;
  maxBytes: number;
  /** Bytes of the event without records, and per partition key. */
  envelopeBytes: number;
  keyBytes: (key: string) => number;
}

export interface AssembledBatch {
  records: Array<{ queue: PartitionQueue; pending: PendingRecord }>;
  /** Partitions whose head record alone exceeds the payload cap: it must be discarded, not wait forever. */
  oversized: PartitionQueue[];
}

/**
 * Picks the next batch: whole runs from the head of each ready partition (not in flight, not backing
 * off), starting at `start` and going round, until the record count or payload cap is reached. A head
 * record too big to fit even alone is returned as `oversized` so it can be discarded rather than block
 * its partition forever.
 */
export function assembleBatch(
  queues: readonly PartitionQueue[],
  limits: BatchLimits,
  now: number,
  start: number,
): AssembledBatch {
  const records: AssembledBatch['records'] = [];
  const oversized: PartitionQueue[] = [];
  let bytes = limits.envelopeBytes;
  for (let i = 0; i < queues.length && records.length < limits.maxRecords; i++) {
    const queue = queues[(start + i) % queues.length]!;
    const ready = queue.deliverable(now);
    if (ready.length === 0) continue;
    const keyBytes = limits.keyBytes(queue.key);
    if (limits.envelopeBytes + keyBytes + ready[0]!.bytes > limits.maxBytes) {
      oversized.push(queue);
      continue;
    }
    if (bytes + keyBytes + ready[0]!.bytes > limits.maxBytes) break;
    bytes += keyBytes;
    for (const pending of ready) {
      if (records.length >= limits.maxRecords || bytes + pending.bytes > limits.maxBytes) break;
      bytes += pending.bytes;
      records.push({ queue, pending });
    }
  }
  return { records, oversized };
}

/** Partitions a bisected batch is re-formed from, and the batch sizes still planned for them. */
export interface BisectPlan {
  keys: ReadonlySet<string>;
  sizes: number[];
}

export type NextBatch =
  | { kind: 'batch'; batch: AssembledBatch; limit: number; plan: BisectPlan | undefined }
  /** Nothing to send yet: look again after `ms` (or sooner, when something changes). */
  | { kind: 'wait'; ms: number };

/**
 * Decides, each time the runner looks, whether a batch goes now. The batching window opens when the
 * first deliverable record is seen and closes when a batch leaves; a full batch, or one that could
 * not take every ready record (the payload cap), leaves at once.
 */
export class BatchAssembler {
  readonly #batchSize: number;
  readonly #windowMs: number;
  readonly #envelopeBytes: number;
  #windowStart: number | undefined;

  constructor(options: {
    batchSize: number;
    maximumBatchingWindowInSeconds: number | undefined;
    source: EventSourceForm;
    bootstrapServers: string;
  }) {
    this.#batchSize = options.batchSize;
    const window = options.maximumBatchingWindowInSeconds;
    this.#windowMs = window === undefined ? DEFAULT_KAFKA_BATCHING_WINDOW_MS : window * 1000;
    this.#envelopeBytes = envelopePayloadBytes(options.source, options.bootstrapServers);
  }

  get windowMs(): number {
    return this.#windowMs;
  }

  /**
   * The next batch from `queues`, or how long to wait. A bisection plan takes precedence for its own
   * partitions (the halves of a failed batch are re-formed from them with the planned size); other
   * partitions are batched as usual.
   */
  next(
    queues: readonly PartitionQueue[],
    now: number,
    rotation: number,
    plans: readonly BisectPlan[],
  ): NextBatch {
    for (const plan of plans) {
      const own = queues.filter((q) => plan.keys.has(q.key));
      const limit = plan.sizes[0]!;
      const batch = assembleBatch(own, this.#limits(limit), now, 0);
      // A half goes at once: its records were gathered already.
      if (batch.records.length > 0 || batch.oversized.length > 0)
        return { kind: 'batch', batch, limit, plan };
    }
    const planned = new Set(plans.flatMap((p) => [...p.keys]));
    const free = queues.filter((q) => !planned.has(q.key));
    const ready = free.reduce((n, q) => n + q.deliverable(now).length, 0);
    if (ready === 0) {
      this.#windowStart = undefined;
      const retries = queues.filter((q) => !q.inFlight && q.deliverableCount > 0).map((q) => q.retryAt);
      const nextRetry = Math.min(...retries);
      return { kind: 'wait', ms: Number.isFinite(nextRetry) ? Math.max(1, nextRetry - now) : 60_000 };
    }
    this.#windowStart ??= now;
    const batch = assembleBatch(free, this.#limits(this.#batchSize), now, rotation);
    const full = batch.records.length >= this.#batchSize || batch.records.length < ready;
    if (!full && batch.oversized.length === 0 && now < this.#windowStart + this.#windowMs) {
      return { kind: 'wait', ms: this.#windowStart + this.#windowMs - now };
    }
    this.#windowStart = undefined;
    return { kind: 'batch', batch, limit: this.#batchSize, plan: undefined };
  }

  #limits(maxRecords: number): BatchLimits {
    return {
      maxRecords,
      maxBytes: MAX_INVOCATION_PAYLOAD_BYTES,
      envelopeBytes: this.#envelopeBytes,
      keyBytes: partitionKeyPayloadBytes,
    };
  }
}
