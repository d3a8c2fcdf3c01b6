/**
 * Invocation and settlement, the last part of the local ESM: one batch becomes the Lambda Kafka
 * event, the handler is invoked with a Lambda `Context` (and the function timeout), its answer is
 * read as the ESM reads it, and the outcome is applied to each partition's records: what succeeded
 * becomes committable, what failed is retried from its first failed record after a backoff, bisected
 * (BisectBatchOnFunctionError), or — retries run out — discarded to the on-failure destination.
 *
 * AWS: kafka-retry-configurations.html (MaximumRetryAttempts, MaximumRecordAgeInSeconds,
 * BisectBatchOnFunctionError; -1 retries with an on-failure destination means 10:
 * kafka-on-failure-destination.html), services-kinesis-batchfailurereporting.html (a function error
 * bisects "regardless of MaximumRetryAttempts", without counting a retry).
 */
import type { Context } from 'aws-lambda';
import type { KafkaBatchResponse, KafkaEvent, KafkaHandler } from '../shared/pipeline/lambda-event.ts';
import type { AssembledBatch, BisectPlan } from './batch-assembly.ts';
import { interpretBatchResponse } from './batch-response.ts';
import { buildKafkaEvent, copyKafkaEvent, type EventSourceForm } from './kafka-event.ts';
import { createLambdaContext, type LambdaFunctionIdentity } from './lambda-context.ts';
import type { EsmMetrics } from './metrics.ts';
import type { Discarded, PartitionQueue, PendingRecord } from './partition-queue.ts';

/** With an on-failure destination, AWS caps "infinite" (-1) retries at 10. */
export const RETRIES_WITH_DESTINATION_WHEN_INFINITE = 10;

export type InvocationResult = { response: unknown } | { error: unknown } | { abandoned: true };

/** What the invoker reports; the runner turns it into its own events and statistics. */
export interface InvokerHooks {
  invoked(info: { requestId: string; size: number; partitions: Record<string, number[]> }): void;
  settled(info: {
    requestId: string;
    outcome: 'success' | 'partial' | 'failure';
    reason?: string;
    succeeded: number;
    failed: number;
    retried: number;
    durationMs: number;
  }): void;
  bisected(info: { size: number; nextSize: number }): void;
}

export interface InvokerOptions {
  handler: KafkaHandler;
  identity: LambdaFunctionIdentity;
  logStreamName: string;
  source: EventSourceForm;
  bootstrapServers: string;
  bisectBatchOnFunctionError: boolean;
  /** After the -1 rule. */
  maxRetryAttempts: number;
  backoffMs: (failures: number) => number;
  /** False for a queue whose partition was revoked while its batch ran: its outcome is dropped. */
  isCurrent: (queue: PartitionQueue) => boolean;
  metrics: EsmMetrics;
  hooks: InvokerHooks;
}

export class Invoker {
  /** Bisections under way: the halves still to send, per failed batch's partitions. */
  readonly plans: BisectPlan[] = [];
  readonly #options: InvokerOptions;

  constructor(options: InvokerOptions) {
    this.#options = options;
  }

  /**
   * Invokes the handler with one batch and applies the outcome to its partitions. Returns the
   * records to discard (the commit position is already past them); nothing when abandoned.
   */
  async run(
    batch: AssembledBatch['records'],
    limit: number,
    plan: BisectPlan | undefined,
    abandoned: Promise<void>,
  ): Promise<Discarded[]> {
    const options = this.#options;
    const records = batch.map((b) => b.pending.record);
    const event = buildKafkaEvent(options.source, options.bootstrapServers, records);
    const context = createLambdaContext(options.identity, options.logStreamName);
    let retried = 0;
    for (const { pending } of batch) {
      if (pending.invokeCount > 0) retried += 1;
      pending.invokeCount += 1;
    }
    options.metrics.InvokedEventCount += records.length;
    options.hooks.invoked({
      requestId: context.awsRequestId,
      size: records.length,
      partitions: Object.fromEntries(
        Object.entries(event.records).map(([k, rs]) => [k, rs.map((r) => r.offset)]),
      ),
    });

    const started = Date.now();
    const result = await invokeHandler(options.handler, event, context, options.identity, abandoned);
    if ('abandoned' in result) return [];

    const outcome =
      'error' in result
        ? { kind: 'failure' as const, reason: errorMessage(result.error) }
        : interpretBatchResponse(result.response, records);
    const functionError = outcome.kind === 'failure' ? ('Unhandled' as const) : undefined;
    const bisect = outcome.kind === 'failure' && options.bisectBatchOnFunctionError && records.length > 1;

    const byQueue = new Map<PartitionQueue, PendingRecord[]>();
    for (const { queue, pending } of batch) byQueue.set(queue, [...(byQueue.get(queue) ?? []), pending]);
    const discarded: Discarded[] = [];
    let succeeded = 0;
    let failed = 0;
    const now = Date.now();
    for (const [queue, delivered] of byQueue) {
      if (!options.isCurrent(queue)) continue; // revoked meanwhile
      const resumeAt =
        outcome.kind === 'failure'
          ? 'all'
          : outcome.kind === 'partial'
            ? outcome.resumeAt.get(queue.key)
            : undefined;
      const settled = queue.settle(delivered, resumeAt, {
        countsAsRetry: !bisect,
        functionError,
        maxRetryAttempts: options.maxRetryAttempts,
      });
      succeeded += settled.succeeded;
      failed += settled.failed;
      discarded.push(...settled.discarded);
      const head = queue.pending[0];
      if (settled.failed > 0 && !bisect && head && head.failures > 0) {
        queue.retryAt = now + options.backoffMs(head.failures);
      }
    }
    options.metrics.FailedInvokeEventCount += failed;
    if (outcome.kind === 'failure') options.metrics.InvokeErrorCount += 1;
    options.hooks.settled({
      requestId: context.awsRequestId,
      outcome: outcome.kind,
      ...(outcome.kind === 'failure' ? { reason: outcome.reason } : {}),
      succeeded,
      failed,
      retried,
      durationMs: Date.now() - started,
    });

    // A planned (bisected) size is used up once its records are done or discarded; a single record
    // that keeps failing keeps its size-1 slot while it is retried.
    const planned = plan !== undefined && limit === plan.sizes[0];
    const first = Math.ceil(records.length / 2);
    if (bisect) {
      if (planned) plan.sizes.splice(0, 1, first, records.length - first);
      else
        this.plans.push({
          keys: new Set([...byQueue.keys()].map((q) => q.key)),
          sizes: [first, records.length - first],
        });
      options.hooks.bisected({ size: records.length, nextSize: first });
    } else if (planned && (outcome.kind !== 'failure' || discarded.length > 0)) {
      plan.sizes.shift();
    }
    if (plan && plan.sizes.length === 0) this.plans.splice(this.plans.indexOf(plan), 1);
    return discarded;
  }
}

/**
 * One in-process invocation: a deep copy of the event (as the handler would get it after JSON
 * (de)serialisation, so it cannot change the runner's state: copyKafkaEvent), the function timeout, and the runner's
 * option to stop waiting (a poller that died mid-invocation).
 */
export async function invokeHandler(
  handler: KafkaHandler,
  event: KafkaEvent,
  context: Context,
  identity: LambdaFunctionIdentity,
  abandoned: Promise<void>,
): Promise<InvocationResult> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<InvocationResult>((resolve) => {
    timer = setTimeout(
      () =>
        resolve({ error: new Error(`Task timed out after ${identity.timeoutSeconds.toFixed(2)} seconds`) }),
      identity.timeoutSeconds * 1000,
    );
  });
  const invoked = (async (): Promise<InvocationResult> => {
    try {
      const response: KafkaBatchResponse | unknown = await handler(copyKafkaEvent(event), context);
      return {
        response: response === undefined ? undefined : JSON.parse(JSON.stringify(response) ?? 'null'),
      };
    } catch (error) {
      return { error };
    }
  })();
  try {
    return await Promise.race([
      invoked,
      timedOut,
      abandoned.then((): InvocationResult => ({ abandoned: true })),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
