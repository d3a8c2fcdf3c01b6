/**
 * Lambda runs each concurrent invocation in its own execution environment, one invocation at a time
 * per environment, and keeps environments warm for later invocations
 * (docs.aws.amazon.com/lambda/latest/dg/lambda-concurrency.html). With concurrent batches, a handler
 * built once would serve several invocations at once from one module scope (one database pool, one
 * cache); `executionEnvironments` instead creates a handler per environment, on demand, and gives
 * each invocation an idle one: N batches in flight use N environments, each with its own pool.
 */
import type { KafkaHandler } from '../shared/pipeline/lambda-event.ts';

export interface ExecutionEnvironments {
  handler: KafkaHandler;
  /** Environments created so far (cold starts). */
  readonly created: number;
}

export function executionEnvironments(create: () => KafkaHandler): ExecutionEnvironments {
  const idle: KafkaHandler[] = [];
  let created = 0;
  return {
    handler: async (event, context) => {
      let environment = idle.pop();
      if (!environment) {
        environment = create();
        created += 1;
      }
      try {
        return await environment(event, context);
      } finally {
        idle.push(environment);
      }
    },
    get created() {
      return created;
    },
  };
}
