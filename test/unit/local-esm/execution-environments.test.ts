import { describe, expect, it } from 'vitest';
import { executionEnvironments } from '../../../local-esm/execution-environments.ts';
import type { KafkaEvent } from '../../../shared/pipeline/lambda-event.ts';
import { lambdaContext } from '../../support/events.ts';

describe('executionEnvironments', () => {
  it('gives each concurrent invocation its own environment, and reuses idle ones', async () => {
    const busy = new Set<number>();
    let overlapInOne = false;
    const environments = executionEnvironments(() => {
      const id = Math.random();
      return async () => {
        if (busy.has(id)) overlapInOne = true;
        busy.add(id);
        await new Promise((resolve) => setTimeout(resolve, 10));
        busy.delete(id);
        return { batchItemFailures: [] };
      };
    });
    const event: KafkaEvent = { eventSource: 'SelfManagedKafka', bootstrapServers: 'b', records: {} };
    await Promise.all([1, 2, 3].map(() => environments.handler(event, lambdaContext())));
    expect(environments.created).toBe(3);
    await environments.handler(event, lambdaContext());
    expect(environments.created).toBe(3);
    expect(overlapInOne).toBe(false);
  });
});
