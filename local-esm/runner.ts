/**
 * The local Kafka event source mapping: what Lambda's Kafka ESM does in AWS, for a handler running in
 * this process (local-esm/README.md says which AWS pages each behaviour follows and where it differs).
 * It ties the three parts together:
 *
 * - intake (./intake.ts): the consumer in the function's consumer group, rebalances, commits;
 * - batch assembly (./batch-assembly.ts): size, batching window, 6 MB payload, filters;
 * - invocation and settlement (./invocation.ts): invoke, read the response, retry, bisect, discard;
 *
 * with its options (./runner-options.ts), when fetching pauses (./buffering.ts), batches in flight
 * (./in-flight.ts) and commit positions (./commit-positions.ts) beside it,
 * and runs up to N batches at once (N = provisioned pollers maximum × 5: each event poller "supports
 * up to 5 concurrent Lambda invocations", with-kafka-low-latency.html), never two batches of one
 * partition, so order within a partition is kept and a partition commits only past what succeeded.
 */
import { type AssembledBatch, BatchAssembler, type BisectPlan, toPendingRecord } from './batch-assembly.ts';
import { shouldPause, shouldResume } from './buffering.ts';
import { releasePositions, takeProgress } from './commit-positions.ts';
import { compileFilterCriteria, type RecordFilter } from './event-filter.ts';
import { type InFlightBatch, settledWithin, startBatch } from './in-flight.ts';
import { KafkaIntake, type KafkaMessage } from './intake.ts';
import { errorMessage, Invoker, RETRIES_WITH_DESTINATION_WHEN_INFINITE } from './invocation.ts';
import { type EventSourceForm, recordPayloadBytes } from './kafka-event.ts';
import { functionArn, type LambdaFunctionIdentity, newLogStreamName } from './lambda-context.ts';
import { type EsmMetrics, emptyMetrics, type OffsetLag, offsetLag } from './metrics.ts';
import { createOnFailureDestination, failureDocument, type OnFailureDestination } from './on-failure.ts';
import { type Discarded, PartitionQueue, type PendingRecord } from './partition-queue.ts';
import {
  backoffMs,
  EsmRunnerError,
  type EsmRunnerEvent,
  type EsmRunnerOptions,
  type EsmRunnerSettings,
  type EsmRunnerStats,
  emptyStats,
  resolveRunnerOptions,
  type StopOptions,
} from './runner-options.ts';
import { SchemaRegistryStage } from './schema-registry.ts';

export class EsmRunner {
  readonly stats: EsmRunnerStats = emptyStats();
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
    const resolved = resolveRunnerOptions(options);
    this.#identity = resolved.identity;
    this.#source = resolved.source;
    this.maxConcurrency = resolved.maxConcurrency;
    this.#maxBuffered = resolved.maxBuffered;
    this.#sessionTimeoutMs = resolved.sessionTimeoutMs;
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
      backoffMs: (failures) => backoffMs(options.backoff, failures),
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
    if (shouldPause(this.#queues, this.#intake.assignments, this.#maxBuffered)) this.#intake.pause();
    this.#wake?.();
  }

  #resumeIfDrained(): void {
    const intake = this.#intake;
    if (intake?.paused && shouldResume(this.#queues, intake.assignments, this.#maxBuffered)) intake.resume();
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
    const release = releasePositions(this.#queues.values());
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
    const entry = startBatch(async (abandoned) => {
      try {
        const discarded = await this.#invoker.run(batch.records, limit, plan, abandoned);
        await this.#discard(discarded);
      } catch (error) {
        this.#fail(error);
      } finally {
        for (const queue of queues) queue.inFlight = false;
      }
    });
    this.#inFlight.add(entry);
    this.stats.maxConcurrentBatches = Math.max(this.stats.maxConcurrentBatches, this.#inFlight.size);
    void entry.task.finally(() => {
      this.#inFlight.delete(entry);
      // Commits run one at a time after the batch; its partitions may already take the next batch.
      if (!entry.abandoned) void this.#commitProgress();
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
    const offsets = takeProgress(this.#queues.values());
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
