/**
 * The local Kafka event source mapping: what Lambda's Kafka ESM does in AWS, for a handler running
 * in this process (docs/architecture.md, "Local invocation"). LocalStack's Kafka ESM is a paid feature, and
 * tests written against this runner must hold in AWS, so it follows the AWS documentation:
 *
 * - One consumer group per function (`settings.consumerGroupId`); a new group starts at
 *   TRIM_HORIZON (earliest) or LATEST, an existing one at its committed offsets.
 * - Batches of up to `batchSize` records, gathered for at most the batching window (unset = 500 ms,
 *   the Kafka default: API_EventSourceMappingConfiguration MaximumBatchingWindowInSeconds), and
 *   never above the 6 MB invocation payload.
 * - The exact Lambda Kafka event (contract 2), invoked in-process with a Lambda `Context`.
 * - Partial batch responses per partition (contract 3, ./batch-response.ts): only what succeeded is
 *   committed; each reported partition resumes from its first reported record, with backoff, while
 *   other partitions go on. A thrown error, a timeout or an invalid response fails the whole batch.
 * - MaximumRetryAttempts, MaximumRecordAgeInSeconds, BisectBatchOnFunctionError
 *   (kafka-retry-configurations.html): -1 retries with an on-failure destination means 10
 *   (kafka-on-failure-destination.html); a function error on a batch of more than one record splits
 *   it in two without counting a retry (services-kinesis-batchfailurereporting.html: bisected
 *   "regardless of MaximumRetryAttempts"); a record out of retries or too old goes to the on-failure
 *   destination (./on-failure.ts), and the partition commits past it and goes on.
 * - Optional ESM value filters (./event-filter.ts); filtered-out records are committed, never delivered.
 *
 * Differences from AWS: one invocation at a time per runner (AWS may run one per partition
 * concurrently; order within a partition is the same); a bisected batch is re-formed from the
 * partition heads with half the size rather than replaying the exact half; the runner assumes it is
 * the only member of its consumer group (a rebalance drops what revoked partitions held, which the
 * next owner re-reads from the committed offset).
 */
import {
  Consumer,
  type Consumer as KafkaConsumer,
  type Message,
  type MessagesStream,
} from '@platformatic/kafka';
import type { Context } from 'aws-lambda';
import type { EventSourceSettings } from '../../infra/config/event-sources.ts';
import type { KafkaBatchResponse, KafkaEvent, KafkaHandler } from '../../shared/pipeline/lambda-event.ts';
import { interpretBatchResponse } from './batch-response.ts';
import { compileFilterCriteria, type FilterCriteria, type RecordFilter } from './event-filter.ts';
import {
  buildKafkaEvent,
  type EventSourceForm,
  envelopePayloadBytes,
  MAX_INVOCATION_PAYLOAD_BYTES,
  partitionKeyPayloadBytes,
  recordPayloadBytes,
  toEventRecord,
} from './kafka-event.ts';
import {
  createLambdaContext,
  functionArn,
  type LambdaFunctionIdentity,
  newLogStreamName,
} from './lambda-context.ts';
import {
  createOnFailureDestination,
  failureDocument,
  type OnFailureDestination,
  type OnFailureTarget,
} from './on-failure.ts';
import { assembleBatch, type Discarded, PartitionQueue, type PendingRecord } from './partition-queue.ts';

/** AWS's default batching window for Kafka when MaximumBatchingWindowInSeconds is unset. */
export const DEFAULT_KAFKA_BATCHING_WINDOW_MS = 500;
/** With an on-failure destination, AWS caps "infinite" (-1) retries at 10. */
export const RETRIES_WITH_DESTINATION_WHEN_INFINITE = 10;

export type EsmRunnerSettings = EventSourceSettings & { consumerGroupId: string };

export interface BackoffOptions {
  /** First retry delay (default 1000 ms). */
  initialMs?: number;
  /** Cap (default 30,000 ms). */
  maxMs?: number;
  /** Growth per failed attempt (default 2). */
  multiplier?: number;
}

export interface EsmRunnerOptions {
  handler: KafkaHandler;
  brokers: string[];
  settings: EsmRunnerSettings;
  /** Function name for the Context and the failure document (default: the consumer group id). */
  functionName?: string;
  /** Event form (default MSK, `aws:kafka`, with a local cluster ARN). */
  eventSource?: EventSourceForm;
  /** Default: the Kafka topic `settings.onFailureTopic`. */
  onFailure?: OnFailureTarget;
  filterCriteria?: FilterCriteria;
  backoff?: BackoffOptions;
  /** The function's timeout: an invocation running longer is a function error (default 60 s). */
  functionTimeoutSeconds?: number;
  memoryLimitInMB?: number;
  region?: string;
  accountId?: string;
  /** Progress and diagnostics; called synchronously, must not throw. */
  onEvent?: (event: EsmRunnerEvent) => void;
  /** Records held in memory before fetching pauses (default max(2 × batchSize, 1000)). */
  maxBufferedRecords?: number;
}

export type EsmRunnerEvent =
  | { type: 'started'; groupId: string; topics: string[]; assignments: string[] }
  | { type: 'invoke'; requestId: string; size: number; partitions: Record<string, number[]> }
  | {
      type: 'result';
      requestId: string;
      outcome: 'success' | 'partial' | 'failure';
      reason?: string;
      succeeded: number;
      failed: number;
      durationMs: number;
    }
  | { type: 'bisect'; size: number; nextSize: number }
  | { type: 'on-failure'; partition: string; offset: number; condition: string; destination: string }
  | { type: 'commit'; partition: string; offset: string }
  | { type: 'error'; message: string; error: unknown }
  | { type: 'stopped'; abandoned: boolean };

export interface EsmRunnerStats {
  recordsConsumed: number;
  recordsFilteredOut: number;
  invocations: number;
  /** Sizes of the batches the handler got, in order (the last 10,000). */
  batchSizes: number[];
  recordsSucceeded: number;
  /** Records in a failed outcome: reported (and everything after them) or in a failed batch. */
  recordsReportedForRetry: number;
  /** Deliveries of a record that had been delivered before. */
  recordsRetried: number;
  fullBatchFailures: number;
  bisections: number;
  recordsSentToOnFailure: number;
  commits: number;
}

export interface StopOptions {
  /**
   * `finish` (default): let the in-flight invocation end, settle and commit it.
   * `abandon`: do not wait; its records stay uncommitted and come back on restart, like a Lambda
   * whose poller died mid-invocation.
   */
  inFlight?: 'finish' | 'abandon';
}

export class EsmRunnerError extends Error {
  override name = 'EsmRunnerError';
}

type InvocationResult = { response: unknown } | { error: unknown } | { abandoned: true };

export class EsmRunner {
  readonly stats: EsmRunnerStats = {
    recordsConsumed: 0,
    recordsFilteredOut: 0,
    invocations: 0,
    batchSizes: [],
    recordsSucceeded: 0,
    recordsReportedForRetry: 0,
    recordsRetried: 0,
    fullBatchFailures: 0,
    bisections: 0,
    recordsSentToOnFailure: 0,
    commits: 0,
  };

  readonly #options: EsmRunnerOptions;
  readonly #settings: EsmRunnerSettings;
  readonly #identity: LambdaFunctionIdentity;
  readonly #source: EventSourceForm;
  readonly #bootstrapServers: string;
  readonly #filter: RecordFilter | undefined;
  readonly #destination: OnFailureDestination;
  readonly #maxRetryAttempts: number;
  readonly #windowMs: number;
  readonly #maxBuffered: number;
  readonly #logStreamName = newLogStreamName();
  readonly #queues = new Map<string, PartitionQueue>();
  /** Batch sizes forced by bisection, front first. */
  readonly #bisectPlan: number[] = [];
  #consumer: KafkaConsumer | undefined;
  #stream: MessagesStream<Buffer, Buffer, Buffer, Buffer> | undefined;
  #loop: Promise<void> | undefined;
  #stopping = false;
  #abandon: (() => void) | undefined;
  #wake: (() => void) | undefined;
  #rotation = 0;
  #fatal: unknown;

  constructor(options: EsmRunnerOptions) {
    this.#options = options;
    this.#settings = options.settings;
    this.#identity = {
      functionName: options.functionName ?? options.settings.consumerGroupId,
      region: options.region ?? process.env.AWS_REGION ?? 'us-east-1',
      accountId: options.accountId ?? '000000000000',
      memoryLimitInMB: options.memoryLimitInMB ?? 1024,
      timeoutSeconds: options.functionTimeoutSeconds ?? 60,
    };
    this.#source = options.eventSource ?? {
      type: 'aws:kafka',
      eventSourceArn: `arn:aws:kafka:${this.#identity.region}:${this.#identity.accountId}:cluster/local/00000000-0000-0000-0000-000000000000-1`,
    };
    this.#bootstrapServers = options.brokers.join(',');
    this.#filter = options.filterCriteria ? compileFilterCriteria(options.filterCriteria) : undefined;
    const target = options.onFailure ?? { kind: 'kafka', topic: this.#settings.onFailureTopic };
    if (target.kind === 'kafka' && this.#settings.topics.includes(target.topic)) {
      // AWS refuses a destination that is one of the source topics (recursion).
      throw new EsmRunnerError(`on-failure topic ${target.topic} is also a source topic`);
    }
    this.#destination = createOnFailureDestination(target, options.brokers);
    const retries = this.#settings.maximumRetryAttempts;
    this.#maxRetryAttempts =
      retries === -1 && target.kind !== 'none' ? RETRIES_WITH_DESTINATION_WHEN_INFINITE : retries;
    const window = this.#settings.maximumBatchingWindowInSeconds;
    this.#windowMs = window === undefined ? DEFAULT_KAFKA_BATCHING_WINDOW_MS : window * 1000;
    this.#maxBuffered = options.maxBufferedRecords ?? Math.max(2 * this.#settings.batchSize, 1000);
  }

  get functionArn(): string {
    return functionArn(this.#identity);
  }

  /** Joins the consumer group and starts polling; resolves once partitions are assigned. */
  async start(): Promise<void> {
    if (this.#consumer) throw new EsmRunnerError('already started');
    const consumer = new Consumer({
      clientId: `lrt-esm-${this.#identity.functionName}`,
      groupId: this.#settings.consumerGroupId,
      bootstrapBrokers: this.#options.brokers,
      sessionTimeout: 10_000,
      heartbeatInterval: 1_000,
      maxWaitTime: Math.min(500, Math.max(50, this.#windowMs)),
    });
    this.#consumer = consumer;
    consumer.on('consumer:group:join', () => this.#dropRevokedPartitions());
    const stream = await consumer.consume({
      topics: this.#settings.topics,
      mode: 'committed',
      fallbackMode: this.#settings.startingPosition === 'LATEST' ? 'latest' : 'earliest',
      autocommit: false,
    });
    this.#stream = stream;
    const assigned = new Promise<void>((resolve, reject) => {
      const check = () => {
        if ((consumer.assignments?.length ?? 0) > 0) {
          stream.off('offsets', check);
          resolve();
        }
      };
      stream.on('offsets', check);
      stream.once('error', reject);
      check();
    });
    stream.on('data', (message: Message<Buffer, Buffer, Buffer, Buffer>) => this.#intake(message));
    stream.on('error', (error: Error) => this.#fail(error));
    await withTimeout(assigned, 30_000, `no partitions assigned to group ${this.#settings.consumerGroupId}`);
    this.#emit({
      type: 'started',
      groupId: this.#settings.consumerGroupId,
      topics: this.#settings.topics,
      assignments: this.#assignedKeys(),
    });
    this.#loop = this.#run();
  }

  /** Stops polling, settles or abandons the in-flight invocation, commits what is done, closes. */
  async stop(options: StopOptions = {}): Promise<void> {
    if (!this.#consumer) return;
    this.#stopping = true;
    if (options.inFlight === 'abandon') this.#abandon?.();
    this.#wake?.();
    try {
      await this.#loop;
    } finally {
      if (this.#fatal === undefined)
        await this.#commitProgress().catch((error) => this.#error('commit', error));
      await this.#stream?.close().catch(() => {});
      await this.#consumer.close(true).catch(() => {});
      await this.#destination.close().catch(() => {});
      this.#consumer = undefined;
      this.#emit({ type: 'stopped', abandoned: options.inFlight === 'abandon' });
    }
    if (this.#fatal !== undefined) throw this.#fatal;
  }

  /** Resolves when the runner stops polling; rejects with the error that stopped it. */
  get done(): Promise<void> {
    return (this.#loop ?? Promise.resolve()).then(() => {
      if (this.#fatal !== undefined) throw this.#fatal;
    });
  }

  /** Records not yet committed per `<topic>-<partition>` (high watermark − committed offset). */
  async lag(): Promise<Record<string, number>> {
    if (!this.#consumer) throw new EsmRunnerError('not started');
    const ends = await this.#consumer.listOffsets({ topics: this.#settings.topics });
    const committed = await this.#consumer.listCommittedOffsets({
      topics: this.#settings.topics.map((topic) => ({
        topic,
        partitions: (ends.get(topic) ?? []).map((_, partition) => partition),
      })),
    });
    const lag: Record<string, number> = {};
    for (const [topic, partitions] of ends) {
      partitions.forEach((end, partition) => {
        const done = committed.get(topic)?.[partition] ?? -1n;
        lag[`${topic}-${partition}`] = Number(end - (done < 0n ? 0n : done));
      });
    }
    return lag;
  }

  // ------------------------------------------------------------------------------------ intake

  #intake(message: Message<Buffer, Buffer, Buffer, Buffer>): void {
    const assigned = this.#consumer?.assignments?.some(
      (a) => a.topic === message.topic && a.partitions.includes(message.partition),
    );
    if (!assigned) return;
    const key = `${message.topic}-${message.partition}`;
    let queue = this.#queues.get(key);
    if (!queue) {
      queue = new PartitionQueue(message.topic, message.partition);
      this.#queues.set(key, queue);
    }
    const record = toEventRecord(message);
    const filteredOut = this.#filter ? !this.#filter(record) : false;
    const accepted = queue.accept({
      record,
      offset: message.offset,
      bytes: recordPayloadBytes(record),
      commit: () => message.commit(),
      filteredOut,
      invokeCount: 0,
      failures: 0,
      lastFunctionError: undefined,
    });
    if (!accepted) return;
    this.stats.recordsConsumed += 1;
    if (filteredOut) this.stats.recordsFilteredOut += 1;
    if (this.#buffered() >= this.#maxBuffered && !this.#stream?.isPaused()) this.#stream?.pause();
    this.#wake?.();
  }

  #buffered(): number {
    let n = 0;
    for (const queue of this.#queues.values()) n += queue.pending.length;
    return n;
  }

  #assignedKeys(): string[] {
    return (this.#consumer?.assignments ?? []).flatMap((a) => a.partitions.map((p) => `${a.topic}-${p}`));
  }

  #dropRevokedPartitions(): void {
    const assigned = new Set(this.#assignedKeys());
    for (const key of this.#queues.keys()) if (!assigned.has(key)) this.#queues.delete(key);
  }

  // -------------------------------------------------------------------------------------- loop

  /** The poll loop; never rejects (a fatal error is kept and stops it). */
  async #run(): Promise<void> {
    try {
      await this.#poll();
    } catch (error) {
      this.#fail(error);
    }
  }

  async #poll(): Promise<void> {
    let windowStart: number | undefined;
    while (!this.#stopping) {
      const now = Date.now();
      await this.#discard(this.#expireOldRecords(now));
      const queues = [...this.#queues.values()];
      const limit = this.#bisectPlan[0] ?? this.#settings.batchSize;
      const ready = queues.reduce((n, q) => n + q.deliverable(now).length, 0);
      if (ready === 0) {
        windowStart = undefined;
        const nextRetry = Math.min(...queues.filter((q) => q.deliverableCount > 0).map((q) => q.retryAt));
        await this.#sleep(Number.isFinite(nextRetry) ? Math.max(1, nextRetry - now) : 60_000);
        continue;
      }
      windowStart ??= now;
      const batch = assembleBatch(queues, this.#batchLimits(limit), now, this.#rotation);
      const full = batch.records.length >= limit || batch.records.length < ready;
      if (!full && batch.oversized.length === 0 && now < windowStart + this.#windowMs) {
        await this.#sleep(windowStart + this.#windowMs - now);
        continue;
      }
      windowStart = undefined;
      await this.#discard(batch.oversized.map((queue) => queue.discardOversizedHead()));
      if (batch.records.length > 0) await this.#invoke(batch.records, limit);
      this.#resumeIfDrained();
      await this.#commitProgress();
    }
  }

  #batchLimits(maxRecords: number) {
    return {
      maxRecords,
      maxBytes: MAX_INVOCATION_PAYLOAD_BYTES,
      envelopeBytes: envelopePayloadBytes(this.#source, this.#bootstrapServers),
      keyBytes: partitionKeyPayloadBytes,
    };
  }

  async #invoke(
    batch: Array<{ queue: PartitionQueue; pending: PendingRecord }>,
    limit: number,
  ): Promise<void> {
    const records = batch.map((b) => b.pending.record);
    const event = buildKafkaEvent(this.#source, this.#bootstrapServers, records);
    const context = createLambdaContext(this.#identity, this.#logStreamName);
    for (const { pending } of batch) {
      if (pending.invokeCount > 0) this.stats.recordsRetried += 1;
      pending.invokeCount += 1;
    }
    this.stats.invocations += 1;
    this.stats.batchSizes.push(records.length);
    if (this.stats.batchSizes.length > 10_000) this.stats.batchSizes.shift();
    this.#emit({
      type: 'invoke',
      requestId: context.awsRequestId,
      size: records.length,
      partitions: Object.fromEntries(
        Object.entries(event.records).map(([k, rs]) => [k, rs.map((r) => r.offset)]),
      ),
    });

    const started = Date.now();
    const result = await this.#call(event, context);
    if ('abandoned' in result) return;

    const outcome =
      'error' in result
        ? { kind: 'failure' as const, reason: errorMessage(result.error) }
        : interpretBatchResponse(result.response, records);
    const functionError = outcome.kind === 'failure' ? ('Unhandled' as const) : undefined;
    const bisect =
      outcome.kind === 'failure' && this.#settings.bisectBatchOnFunctionError && records.length > 1;

    const byQueue = new Map<PartitionQueue, PendingRecord[]>();
    for (const { queue, pending } of batch) byQueue.set(queue, [...(byQueue.get(queue) ?? []), pending]);
    const discarded: Discarded[] = [];
    let succeeded = 0;
    let failed = 0;
    for (const [queue, delivered] of byQueue) {
      if (this.#queues.get(queue.key) !== queue) continue; // revoked meanwhile
      const resumeAt =
        outcome.kind === 'failure'
          ? 'all'
          : outcome.kind === 'partial'
            ? outcome.resumeAt.get(queue.key)
            : undefined;
      const settled = queue.settle(delivered, resumeAt, {
        countsAsRetry: !bisect,
        functionError,
        maxRetryAttempts: this.#maxRetryAttempts,
      });
      succeeded += settled.succeeded;
      failed += settled.failed;
      discarded.push(...settled.discarded);
      const head = queue.pending[0];
      if (settled.failed > 0 && !bisect && head && head.failures > 0) {
        queue.retryAt = Date.now() + this.#backoffMs(head.failures);
      }
    }
    this.stats.recordsSucceeded += succeeded;
    this.stats.recordsReportedForRetry += failed;
    if (outcome.kind === 'failure') this.stats.fullBatchFailures += 1;
    this.#emit({
      type: 'result',
      requestId: context.awsRequestId,
      outcome: outcome.kind,
      ...(outcome.kind === 'failure' ? { reason: outcome.reason } : {}),
      succeeded,
      failed,
      durationMs: Date.now() - started,
    });

    // A planned (bisected) size is used up once its records are done or discarded; a single record
    // that keeps failing keeps its size-1 slot while it is retried.
    const planned = this.#bisectPlan.length > 0 && limit === this.#bisectPlan[0];
    if (bisect) {
      if (planned) this.#bisectPlan.shift();
      const first = Math.ceil(records.length / 2);
      this.#bisectPlan.unshift(first, records.length - first);
      this.stats.bisections += 1;
      this.#emit({ type: 'bisect', size: records.length, nextSize: first });
    } else if (planned && (outcome.kind !== 'failure' || discarded.length > 0)) {
      this.#bisectPlan.shift();
    }
    // A failed batch is retried as it was: same partitions first.
    if (outcome.kind !== 'failure' && this.#bisectPlan.length === 0) this.#rotation += 1;
    await this.#discard(discarded);
  }

  async #call(event: KafkaEvent, context: Context): Promise<InvocationResult> {
    const abandoned = new Promise<InvocationResult>((resolve) => {
      this.#abandon = () => resolve({ abandoned: true });
    });
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<InvocationResult>((resolve) => {
      timer = setTimeout(
        () =>
          resolve({
            error: new Error(`Task timed out after ${this.#identity.timeoutSeconds.toFixed(2)} seconds`),
          }),
        this.#identity.timeoutSeconds * 1000,
      );
    });
    const invoked = (async (): Promise<InvocationResult> => {
      try {
        // A deep copy, as the handler would get after JSON (de)serialisation, so it cannot mutate our state.
        const response: KafkaBatchResponse | unknown = await this.#options.handler(
          structuredClone(event),
          context,
        );
        return {
          response: response === undefined ? undefined : JSON.parse(JSON.stringify(response) ?? 'null'),
        };
      } catch (error) {
        return { error };
      }
    })();
    try {
      return await Promise.race([invoked, timedOut, abandoned]);
    } finally {
      clearTimeout(timer);
      this.#abandon = undefined;
    }
  }

  #expireOldRecords(now: number): Discarded[] {
    const maxAge = this.#settings.maximumRecordAgeInSeconds;
    if (maxAge === -1) return [];
    return [...this.#queues.values()].flatMap((queue) => queue.expire(now, maxAge * 1000));
  }

  /** Sends discarded records to the on-failure destination; the commit position already moved past them. */
  async #discard(discarded: Discarded[]): Promise<void> {
    for (const failed of discarded) {
      const document = failureDocument(failed, {
        functionArn: this.functionArn,
        source: this.#source,
        bootstrapServers: this.#bootstrapServers,
      });
      try {
        await this.#destination.send(document);
      } catch (error) {
        // Committing past a record the destination did not take would lose it: stop instead.
        this.#fail(
          new EsmRunnerError(
            `on-failure destination ${this.#destination.description} refused ${failed.record.topic}-${failed.record.partition}@${failed.record.offset}: ${errorMessage(error)}`,
            { cause: error },
          ),
        );
        return;
      }
      this.stats.recordsSentToOnFailure += 1;
      this.#emit({
        type: 'on-failure',
        partition: `${failed.record.topic}-${failed.record.partition}`,
        offset: failed.record.offset,
        condition: failed.condition,
        destination: this.#destination.description,
      });
    }
  }

  async #commitProgress(): Promise<void> {
    // After a fatal error (a destination refusing a record) nothing more is committed.
    if (this.#fatal !== undefined) return;
    const commits: Array<Promise<void>> = [];
    for (const queue of this.#queues.values()) {
      const record = queue.takeCommit();
      if (!record) continue;
      commits.push(
        (async () => {
          await record.commit();
          this.stats.commits += 1;
          this.#emit({ type: 'commit', partition: queue.key, offset: String(record.offset + 1n) });
        })(),
      );
    }
    const results = await Promise.allSettled(commits);
    for (const result of results) {
      if (result.status === 'rejected') this.#error('commit', result.reason);
    }
  }

  #resumeIfDrained(): void {
    if (this.#stream?.isPaused() && this.#buffered() < this.#maxBuffered / 2) this.#stream.resume();
  }

  #backoffMs(failures: number): number {
    const { initialMs = 1_000, maxMs = 30_000, multiplier = 2 } = this.#options.backoff ?? {};
    return Math.min(maxMs, initialMs * multiplier ** Math.max(0, failures - 1));
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.#wake = () => {
        this.#wake = undefined;
        done();
      };
    });
  }

  #fail(error: unknown): void {
    if (this.#fatal !== undefined) return;
    this.#fatal = error;
    this.#stopping = true;
    this.#error('fatal', error);
    this.#wake?.();
  }

  #error(what: string, error: unknown): void {
    this.#emit({ type: 'error', message: `${what}: ${errorMessage(error)}`, error });
  }

  #emit(event: EsmRunnerEvent): void {
    this.#options.onEvent?.(event);
  }
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

async function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new EsmRunnerError(message)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
