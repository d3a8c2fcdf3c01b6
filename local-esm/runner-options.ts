/**
 * The local Kafka event source mapping runner's interface (./runner.ts): its options and their
 * defaults, the events it reports, its statistics, and AWS's numbers behind the defaults.
 */
import type { EventSourceSettings } from '../infra/config/event-sources.ts';
import type { KafkaHandler } from '../shared/pipeline/lambda-event.ts';
import type { FilterCriteria } from './event-filter.ts';
import type { EventSourceForm } from './kafka-event.ts';
import type { LambdaFunctionIdentity } from './lambda-context.ts';
import type { OnFailureTarget } from './on-failure.ts';

/** AWS: "Each event poller supports up to 5 concurrent Lambda invocations" (with-kafka-low-latency.html). */
export const INVOCATIONS_PER_POLLER = 5;

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

export function emptyStats(): EsmRunnerStats {
  return {
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
}

/** The options' defaults applied: the function the runner stands for and how much it holds at once. */
export interface ResolvedRunnerOptions {
  identity: LambdaFunctionIdentity;
  source: EventSourceForm;
  /** Batches in flight at once. */
  maxConcurrency: number;
  /** Records held before fetching pauses. */
  maxBuffered: number;
  sessionTimeoutMs: number;
}

export function resolveRunnerOptions(options: EsmRunnerOptions): ResolvedRunnerOptions {
  const settings = options.settings;
  const identity: LambdaFunctionIdentity = {
    functionName: options.functionName ?? settings.consumerGroupId,
    region: options.region ?? process.env.AWS_REGION ?? 'us-east-1',
    accountId: options.accountId ?? '000000000000',
    memoryLimitInMB: options.memoryLimitInMB ?? 1024,
    timeoutSeconds: options.functionTimeoutSeconds ?? 60,
  };
  const source = options.eventSource ?? {
    type: 'aws:kafka',
    eventSourceArn: `arn:aws:kafka:${identity.region}:${identity.accountId}:cluster/local/00000000-0000-0000-0000-000000000000-1`,
  };
  const maxConcurrency =
    options.maxConcurrentBatches ?? settings.provisionedPollers.maximum * INVOCATIONS_PER_POLLER;
  if (!Number.isInteger(maxConcurrency) || maxConcurrency < 1) {
    throw new EsmRunnerError(`maxConcurrentBatches must be a positive integer, got ${maxConcurrency}`);
  }
  const maxBuffered =
    options.maxBufferedRecords ?? Math.max(2 * settings.batchSize * Math.min(maxConcurrency, 8), 1000);
  return {
    identity,
    source,
    maxConcurrency,
    maxBuffered,
    sessionTimeoutMs: options.sessionTimeoutMs ?? 10_000,
  };
}

/** The delay before retrying after `failures` failed attempts in a row. */
export function backoffMs(backoff: BackoffOptions | undefined, failures: number): number {
  const { initialMs = 1_000, maxMs = 30_000, multiplier = 2 } = backoff ?? {};
  return Math.min(maxMs, initialMs * multiplier ** Math.max(0, failures - 1));
}
