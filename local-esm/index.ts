/**
 * The local Kafka event source mapping — Lambda's Kafka ESM for a handler in this process, faithful
 * to AWS's documented behaviour (local-esm/README.md). The public API: what the command-line tools
 * (scripts/local) and the tests use. Everything else in this folder is internal.
 *
 *   const runner = new EsmRunner({ handler, brokers, settings });
 *   await runner.start();   // joins the consumer group, polls, invokes, commits
 *   …
 *   await runner.stop();    // finishes the in-flight batches, commits, leaves the group
 */

export { DEFAULT_KAFKA_BATCHING_WINDOW_MS } from './batch-assembly.ts';
export type { FilterCriteria } from './event-filter.ts';
export { type ExecutionEnvironments, executionEnvironments } from './execution-environments.ts';
export { RETRIES_WITH_DESTINATION_WHEN_INFINITE } from './invocation.ts';
export { buildKafkaEvent, type EventSourceForm, toEventRecord } from './kafka-event.ts';
export { createLambdaContext, type LambdaFunctionIdentity, newLogStreamName } from './lambda-context.ts';
export {
  ensureRuntimeTools,
  FunctionError,
  type LambdaRuntime,
  type LambdaRuntimeOptions,
  startLambdaRuntime,
} from './lambda-runtime.ts';
export { type EsmMetrics, type OffsetLag, sumMetrics } from './metrics.ts';
export type { FailureCondition, FailureDocument, OnFailureTarget } from './on-failure.ts';
export { EsmRunner } from './runner.ts';
export {
  type BackoffOptions,
  EsmRunnerError,
  type EsmRunnerEvent,
  type EsmRunnerOptions,
  type EsmRunnerSettings,
  type EsmRunnerStats,
  INVOCATIONS_PER_POLLER,
  type StopOptions,
} from './runner-options.ts';
