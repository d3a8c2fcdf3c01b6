/**
 * The local Kafka event source mapping: what Lambda's Kafka ESM does in AWS, for a handler running in
 * this process (local-esm/README.md says which AWS pages each behaviour follows and where it differs).
 * It ties the three parts together:
 *
 * - intake (./intake.ts): the consumer in the function's consumer group, rebalances, commits;
 * - batch assembly (./batch-assembly.ts): size, batching window, 6 MB payload, filters;
 * - invocation and settlement (./invocation.ts): invoke, read the response, retry, bisect, discard;
 *
 * and runs up to N batches at once (N = provisioned pollers maximum × 5: each event poller "supports
 * up to 5 concurrent Lambda invocations", with-kafka-low-latency.html), never two batches of one
 * partition, so order within a partition is kept and a partition commits only past what succeeded.
 */
import type { EventSourceSettings } from '../infra/config/event-sources.ts';
import type { KafkaHandler } from '../shared/pipeline/lambda-event.ts';
import { type AssembledBatch, BatchAssembler, type BisectPlan, toPendingRecord } from './batch-assembly.ts';
import { compileFilterCriteria, type FilterCriteria, type RecordFilter } from './event-filter.ts';
import { type CommitOffset, KafkaIntake, type KafkaMessage } from './intake.ts';
import { errorMessage, Invoker, RETRIES_WITH_DESTINATION_WHEN_INFINITE } from './invocation.ts';
import { type EventSourceForm, recordPayloadBytes } from './kafka-event.ts';
import { functionArn, type LambdaFunctionIdentity, newLogStreamName } from './lambda-context.ts';
import { type EsmMetrics, emptyMetrics, type OffsetLag, offsetLag } from './metrics.ts';
import {
  createOnFailureDestination,
  failureDocument,
  type OnFailureDestination,
  type OnFailureTarget,
} from './on-failure.ts';
import { type Discarded, PartitionQueue, type PendingRecord } from './partition-queue.ts';
import { SchemaRegistryStage } from './schema-registry.ts';

/** AWS: "Each event poller supports up to 5 concurrent Lambda invocations" (with-kafka-low-latency.html). */
export const INVOCATIONS_PER_POLLER = 5;

/** How far past maxBufferedRecords fetching goes on while a partition that could take a batch holds nothing. */
const STARVED_BUFFER_FACTOR = 4;

export type EsmRunnerSettings = EventSourceSettings;

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
  /**
   * The schema registry's URL when `settings.schemaRegistry` is set, instead of its `uri` (the local
   * pipeline and the tests point it at the local registry).
   */
  schemaRegistryUrl?: string;
  backoff?: BackoffOptions;
  /** The function's timeout: an invocation running longer is a function error (default 60 s). */
  functionTimeoutSeconds?: number;
  memoryLimitInMB?: number;
  region?: string;
  accountId?: string;
  /**
   * Batches in flight at once for this function (default: `settings.provisionedPollers.maximum` × 5).
   * Never more than one per partition, so at most the number of assigned partitions is reached.
   */
  maxConcurrentBatches?: number;
  /** Consumer group session timeout (default 10 s): how soon the group notices a runner that died. */
  sessionTimeoutMs?: number;
  /** Progress and diagnostics; called synchronously, must not throw. */
  onEvent?: (event: EsmRunnerEvent) => void;
  /** Records held in memory before fetching pauses (default max(2 × batchSize × concurrency, 1000)). */
  maxBufferedRecords?: number;
}

export type EsmRunnerEvent =
  | { type: 'started'; groupId: string; topics: string[]; assignments: string[]; maxConcurrency: number }
  | {
      type: 'invoke';
      requestId: string;
      size: number;
      partitions: Record<string, number[]>;
      /** Batches in flight, this one included. */
      inFlight: number;
    }
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
  /** The schema registry could not resolve or deserialise a record (sent to the on-failure destination). */
  | { type: 'schema-failure'; partition: string; offset: number; reason: string; detail: string }
  | { type: 'commit'; partition: string; offset: string }
  /** The group is rebalancing: these partitions were finished, committed and given up. */
  | { type: 'revoked'; partitions: string[]; abandonedBatches: number }
  | { type: 'assigned'; partitions: string[] }
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
  /** The most batches that were in flight at once. */
  maxConcurrentBatches: number;
  rebalances: number;
}

export interface StopOptions {
  /**
   * `finish` (default): let the in-flight invocations end, settle and commit them.
   * `abandon`: do not wait; their records stay uncommitted and come back on restart, like a Lambda
   * whose poller died mid-invocation.
   */
  inFlight?: 'finish' | 'abandon';
}

export class EsmRunnerError extends Error {
  override name = 'EsmRunnerError';
}

interface InFlightBatch {
  task: Promise<void>;
  abandon: () => void;
}

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
    maxConcurrentBatches: 0,
    rebalances: 0,
  };
  /** The ESM metrics (./metrics.ts), running totals. */
  readonly metrics: EsmMetrics = emptyMetrics();
  /** Batches this runner may have in flight at once. */
  readonly maxConcurrency: number;

  readonly #options: EsmRunnerOptions;
  readonly #settings: EsmRunnerSettings;
  readonly #identity: LambdaFunctionIdentity;
  readonly #source: EventSourceForm;
  readonly #bootstrapServers: string;
  readonly #filter: RecordFilter | undefined;
  readonly #registry: SchemaRegistryStage | undefined;
  /** Records pass the registry one at a time, in the order consumed (its schema fetches are async). */
  #registryChain: Promise<void> = Promise.resolve();
  readonly #destination: OnFailureDestination;
  readonly #dropsToNowhere: boolean;
  readonly #maxBuffered: number;
  readonly #sessionTimeoutMs: number;
  readonly #assembler: BatchAssembler;
  readonly #invoker: Invoker;
  readonly #queues = new Map<string, PartitionQueue>();
  readonly #inFlight = new Set<InFlightBatch>();
  #intake: KafkaIntake | undefined;
  #loop: Promise<void> | undefined;
  #stopping = false;
  #revoking = false;
  #wake: (() => void) | undefined;
  #rotation = 0;
  #commits: Promise<void> = Promise.resolve();
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
    this.#registry = this.#settings.schemaRegistry
      ? new SchemaRegistryStage(this.#settings.schemaRegistry, options.schemaRegistryUrl)
      : undefined;
    const target = options.onFailure ?? { kind: 'kafka', topic: this.#settings.onFailureTopic };
    if (target.kind === 'kafka' && this.#settings.topics.includes(target.topic)) {
      // AWS refuses a destination that is one of the source topics (recursion).
      throw new EsmRunnerError(`on-failure topic ${target.topic} is also a source topic`);
    }
    this.#destination = createOnFailureDestination(target, options.brokers);
    this.#dropsToNowhere = target.kind === 'none';
    const retries = this.#settings.maximumRetryAttempts;
    const maxRetryAttempts =
      retries === -1 && target.kind !== 'none' ? RETRIES_WITH_DESTINATION_WHEN_INFINITE : retries;
    this.maxConcurrency =
      options.maxConcurrentBatches ?? this.#settings.provisionedPollers.maximum * INVOCATIONS_PER_POLLER;
    if (!Number.isInteger(this.maxConcurrency) || this.maxConcurrency < 1) {
      throw new EsmRunnerError(`maxConcurrentBatches must be a positive integer, got ${this.maxConcurrency}`);
    }
    this.#maxBuffered =
      options.maxBufferedRecords ??
      Math.max(2 * this.#settings.batchSize * Math.min(this.maxConcurrency, 8), 1000);
    this.#sessionTimeoutMs = options.sessionTimeoutMs ?? 10_000;
    this.#assembler = new BatchAssembler({
      batchSize: this.#settings.batchSize,
      maximumBatchingWindowInSeconds: this.#settings.maximumBatchingWindowInSeconds,
      source: this.#source,
      bootstrapServers: this.#bootstrapServers,
    });
    this.#invoker = new Invoker({
      handler: options.handler,
      identity: this.#identity,
      logStreamName: newLogStreamName(),
      source: this.#source,
      bootstrapServers: this.#bootstrapServers,
      bisectBatchOnFunctionError: this.#settings.bisectBatchOnFunctionError,
      maxRetryAttempts,
      backoffMs: (failures) => this.#backoffMs(failures),
      isCurrent: (queue) => this.#queues.get(queue.key) === queue,
      metrics: this.metrics,
      hooks: {
        invoked: (info) => {
          this.stats.invocations += 1;
          this.stats.batchSizes.push(info.size);
          if (this.stats.batchSizes.length > 10_000) this.stats.batchSizes.shift();
          this.#emit({ type: 'invoke', ...info, inFlight: this.#inFlight.size });
        },
        settled: ({ retried, ...info }) => {
          this.stats.recordsRetried += retried;
          this.stats.recordsSucceeded += info.succeeded;
          this.stats.recordsReportedForRetry += info.failed;
          if (info.outcome === 'failure') this.stats.fullBatchFailures += 1;
          this.#emit({ type: 'result', ...info });
        },
        bisected: (info) => {
          this.stats.bisections += 1;
          this.#emit({ type: 'bisect', ...info });
        },
      },
    });
  }

  get functionArn(): string {
    return functionArn(this.#identity);
  }

  /** Batches in flight now. */
  get inFlight(): number {
    return this.#inFlight.size;
  }

  /** Joins the consumer group and starts polling; resolves once the assigned partitions can be read. */
  async start(): Promise<void> {
    if (this.#intake) throw new EsmRunnerError('already started');
    const intake = new KafkaIntake({
      brokers: this.#options.brokers,
      groupId: this.#settings.consumerGroupId,
      clientId: `lrt-esm-${this.#identity.functionName}`,
      topics: this.#settings.topics,
      startingPosition: this.#settings.startingPosition,
      maxWaitTimeMs: Math.min(500, Math.max(50, this.#assembler.windowMs)),
      sessionTimeoutMs: this.#sessionTimeoutMs,
      listener: {
        message: (message) => this.#accept(message),
        revoke: () => this.#revoke(),
        assigned: (partitions) => this.#assigned(partitions),
        fatal: (error) => this.#fail(error),
        error: (what, error) => this.#error(what, error),
      },
    });
    this.#intake = intake;
    await intake.start();
    this.#emit({
      type: 'started',
      groupId: this.#settings.consumerGroupId,
      topics: this.#settings.topics,
      assignments: intake.assignments,
      maxConcurrency: this.maxConcurrency,
    });
    this.#loop = this.#run();
  }

  /** Stops polling, settles or abandons the in-flight invocations, commits what is done, closes. */
  async stop(options: StopOptions = {}): Promise<void> {
    const intake = this.#intake;
    if (!intake) return;
    this.#stopping = true;
    if (options.inFlight === 'abandon') for (const batch of this.#inFlight) batch.abandon();
    this.#wake?.();
    try {
      await this.#loop;
      // Records still passing the schema registry: their failure documents must land before the close.
      await this.#registryChain;
      await Promise.allSettled([...this.#inFlight].map((b) => b.task));
    } finally {
      await this.#commits;
      if (this.#fatal === undefined) await this.#commitProgress().catch(() => {});
      await intake.close();
      await this.#destination.close().catch(() => {});
      this.#intake = undefined;
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

  /** Records not yet committed by the group per `<topic>-<partition>` (high watermark − committed offset). */
  async lag(): Promise<Record<string, number>> {
    if (!this.#intake) throw new EsmRunnerError('not started');
    return this.#intake.lag();
  }

  /** KafkaMetrics' OffsetLag for this function's consumer group. */
  async offsetLag(): Promise<OffsetLag> {
    return offsetLag(await this.lag());
  }

  // ------------------------------------------------------------------------------------ intake

  #accept(message: KafkaMessage): void {
    if (this.#registry) {
      const registry = this.#registry;
      this.#registryChain = this.#registryChain
        .then(() => this.#acceptThroughRegistry(message, registry))
        .catch((error) =>
          this.#fail(new EsmRunnerError(`schema registry: ${errorMessage(error)}`, { cause: error })),
        );
      return;
    }
    this.#enqueue(message, toPendingRecord(message, this.#filter));
  }

  /**
   * With a schema registry (local-esm/schema-registry.ts): the record converted (JSON) or stripped of
   * its framing (SOURCE) is what batches carry; one the registry cannot resolve or deserialise goes
   * to the on-failure destination first and then only holds its place in the partition (never
   * delivered, committed once everything before it is).
   */
  async #acceptThroughRegistry(message: KafkaMessage, registry: SchemaRegistryStage): Promise<void> {
    if (this.#revoking || this.#stopping || !this.#intake?.isAssigned(message.topic, message.partition))
      return;
    const original = toPendingRecord(message, this.#filter);
    await registry.prepare(original.record);
    const queue = this.#queues.get(`${message.topic}-${message.partition}`);
    if (queue?.nextOffset !== undefined && message.offset < queue.nextOffset) return; // a repeat
    const verdict = registry.convert(original.record);
    if (verdict.kind === 'ok') {
      const record = verdict.record;
      this.#enqueue(message, { ...original, record, bytes: recordPayloadBytes(record) });
      return;
    }
    const placeholder = { ...original, filteredOut: true };
    await this.#discard([
      {
        record: original.record,
        condition: verdict.reason,
        invokeCount: 0,
        lastFunctionError: undefined,
        pending: placeholder,
      },
    ]);
    this.#emit({
      type: 'schema-failure',
      partition: `${message.topic}-${message.partition}`,
      offset: original.record.offset,
      reason: verdict.reason,
      detail: verdict.detail,
    });
    this.#enqueue(message, placeholder, { schemaFailure: true });
  }

  #enqueue(message: KafkaMessage, pending: PendingRecord, options: { schemaFailure?: boolean } = {}): void {
    if (this.#revoking || this.#stopping || !this.#intake?.isAssigned(message.topic, message.partition))
      return;
    const key = `${message.topic}-${message.partition}`;
    let queue = this.#queues.get(key);
    if (!queue) {
      queue = new PartitionQueue(message.topic, message.partition);
      this.#queues.set(key, queue);
    }
    if (!queue.accept(pending)) return;
    if (options.schemaFailure) {
      this.stats.recordsConsumed += 1;
      this.metrics.PolledEventCount += 1;
      this.#wake?.();
      return;
    }
    this.stats.recordsConsumed += 1;
    this.metrics.PolledEventCount += 1;
    if (pending.filteredOut) {
      this.stats.recordsFilteredOut += 1;
      this.metrics.FilteredOutEventCount += 1;
    }
    if (this.#shouldPause()) this.#intake.pause();
    this.#wake?.();
  }

  #buffered(): number {
    let n = 0;
    for (const queue of this.#queues.values()) n += queue.pending.length;
    return n;
  }

  /**
   * Fetching pauses once the records held reach maxBuffered, unless an assigned partition that could
   * take a batch holds none (then up to STARVED_BUFFER_FACTOR × maxBuffered). A fetch brings a few
   * partitions' records at a time, so a full buffer could hold only one or two partitions; with one
   * batch per partition at most, that kept 1.3 batches in flight on average of the 15 allowed
   * (bench/consumer.ts, docs/benchmarks.md) while the process waited on MySQL. AWS's pollers keep
   * reading every partition they own: one concurrent invocation per partition at most, up to 5 per
   * provisioned poller, and no more pollers than partitions "to maintain ordered processing within
   * partitions" (docs.aws.amazon.com/lambda/latest/dg/kafka-scaling-modes.html, provisioned mode).
   */
  #shouldPause(): boolean {
    const buffered = this.#buffered();
    if (buffered < this.#maxBuffered) return false;
    return buffered >= this.#maxBuffered * STARVED_BUFFER_FACTOR || !this.#starving();
  }

  /** An assigned partition with nothing held and no batch in flight: the next fetch may bring it some. */
  #starving(): boolean {
    for (const key of this.#intake?.assignments ?? []) {
      const queue = this.#queues.get(key);
      if (!queue || (!queue.inFlight && queue.pending.length === 0)) return true;
    }
    return false;
  }

  #resumeIfDrained(): void {
    if (!this.#intake?.paused) return;
    const buffered = this.#buffered();
    if (
      buffered < this.#maxBuffered / 2 ||
      (buffered < this.#maxBuffered * STARVED_BUFFER_FACTOR && this.#starving())
    )
      this.#intake.resume();
  }

  /**
   * The group rebalances (eager protocol: every partition is given up). No new batch starts; the
   * in-flight ones finish and settle (within half the session timeout: the client does not heartbeat
   * meanwhile), their progress is committed, and every partition's release position too, so the next
   * owner starts right after what this runner did. Then the records held are forgotten.
   */
  async #revoke(): Promise<void> {
    // Already given up and not assigned since (a JoinGroup retried): nothing is held.
    if (this.#revoking) return;
    this.#revoking = true;
    this.stats.rebalances += 1;
    const held = [...this.#queues.keys()];
    const running = [...this.#inFlight];
    const finished = await settledWithin(
      running.map((b) => b.task),
      Math.min(this.#identity.timeoutSeconds * 1000, this.#sessionTimeoutMs / 2),
    );
    let abandoned = 0;
    if (!finished) {
      for (const batch of this.#inFlight) {
        batch.abandon();
        abandoned += 1;
      }
      await Promise.allSettled(running.map((b) => b.task));
    }
    await this.#commitProgress();
    const release: CommitOffset[] = [];
    for (const queue of this.#queues.values()) {
      const position = queue.releasePosition();
      if (position) release.push({ topic: queue.topic, partition: queue.partition, ...position });
    }
    await this.#intake?.commit(release).catch((error: unknown) => this.#error('commit on revoke', error));
    this.#queues.clear();
    this.#invoker.plans.length = 0;
    this.#emit({ type: 'revoked', partitions: held, abandonedBatches: abandoned });
  }

  #assigned(partitions: string[]): void {
    this.#revoking = false;
    this.#emit({ type: 'assigned', partitions });
    this.#wake?.();
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
    while (!this.#stopping) {
      if (this.#revoking || this.#inFlight.size >= this.maxConcurrency) {
        await this.#sleep(60_000); // woken by a settled batch or a new assignment
        continue;
      }
      const now = Date.now();
      await this.#discard(this.#expireOldRecords(now));
      const queues = [...this.#queues.values()];
      const next = this.#assembler.next(queues, now, this.#rotation, this.#invoker.plans);
      if (next.kind === 'wait') {
        if (queues.some((q) => q.committable)) void this.#commitProgress();
        await this.#sleep(next.ms);
        continue;
      }
      await this.#discard(next.batch.oversized.map((queue) => queue.discardOversizedHead()));
      if (next.batch.records.length > 0) this.#dispatch(next.batch, next.limit, next.plan);
      else void this.#commitProgress();
      this.#resumeIfDrained();
    }
  }

  /** Starts one batch; its partitions are in flight (no other batch of theirs) until it settles. */
  #dispatch(batch: AssembledBatch, limit: number, plan: BisectPlan | undefined): void {
    const queues = new Set(batch.records.map((r) => r.queue));
    for (const queue of queues) queue.inFlight = true;
    this.#rotation += 1;
    let abandon: () => void = () => {};
    const abandoned = new Promise<void>((resolve) => {
      abandon = resolve;
    });
    let wasAbandoned = false;
    const entry: InFlightBatch = {
      abandon: () => {
        wasAbandoned = true;
        abandon();
      },
      task: (async () => {
        // Let the caller register the batch before the handler starts.
        await Promise.resolve();
        try {
          const discarded = await this.#invoker.run(batch.records, limit, plan, abandoned);
          await this.#discard(discarded);
        } catch (error) {
          this.#fail(error);
        } finally {
          for (const queue of queues) queue.inFlight = false;
        }
      })(),
    };
    this.#inFlight.add(entry);
    this.stats.maxConcurrentBatches = Math.max(this.stats.maxConcurrentBatches, this.#inFlight.size);
    void entry.task.finally(() => {
      this.#inFlight.delete(entry);
      // Commits run one at a time after the batch; its partitions may already take the next batch.
      if (!wasAbandoned) void this.#commitProgress();
      this.#resumeIfDrained();
      this.#wake?.();
    });
  }

  #expireOldRecords(now: number): Discarded[] {
    const maxAge = this.#settings.maximumRecordAgeInSeconds;
    if (maxAge === -1) return [];
    return [...this.#queues.values()].flatMap((queue) =>
      queue.inFlight ? [] : queue.expire(now, maxAge * 1000),
    );
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
      if (this.#dropsToNowhere) this.metrics.DroppedEventCount += 1;
      else this.metrics.OnFailureDestinationDeliveredEventCount += 1;
      this.#emit({
        type: 'on-failure',
        partition: `${failed.record.topic}-${failed.record.partition}`,
        offset: failed.record.offset,
        condition: failed.condition,
        destination: this.#destination.description,
      });
    }
  }

  /** Commits every partition's progress; one commit at a time, so a later one never lands first. */
  #commitProgress(): Promise<void> {
    const next = this.#commits.then(() => this.#commitNow());
    this.#commits = next.catch(() => {});
    return next;
  }

  async #commitNow(): Promise<void> {
    // After a fatal error (a destination refusing a record) nothing more is committed.
    if (this.#fatal !== undefined || !this.#intake) return;
    const offsets: CommitOffset[] = [];
    for (const queue of this.#queues.values()) {
      const record = queue.takeCommit();
      if (!record) continue;
      offsets.push({
        topic: queue.topic,
        partition: queue.partition,
        offset: record.offset + 1n,
        leaderEpoch: record.leaderEpoch,
      });
    }
    if (offsets.length === 0) return;
    try {
      await this.#intake.commit(offsets);
    } catch (error) {
      // Not fatal: the records come again (after a restart or to the next owner) and the sink absorbs them.
      this.#error('commit', error);
      return;
    }
    for (const { topic, partition, offset } of offsets) {
      this.stats.commits += 1;
      this.#emit({ type: 'commit', partition: `${topic}-${partition}`, offset: String(offset) });
    }
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

/** True when every promise settled within `ms`. */
async function settledWithin(promises: Array<Promise<unknown>>, ms: number): Promise<boolean> {
  if (promises.length === 0) return true;
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      Promise.allSettled(promises).then(() => true),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
