/**
 * One local event source mapping in its own process, with the real user function on a test schema:
 * what test/integration/local-esm-group.test.ts starts twice in one consumer group (and kills).
 *
 *   node test/support/esm-runner-process.ts   (configured by the environment below)
 *
 * ESM_BROKERS, ESM_TOPIC, ESM_GROUP, ESM_BATCH_SIZE; DB_* for the function; ESM_SLOW_MS: each
 * invocation waits this long after the function wrote its rows (so batches overlap a rebalance);
 * ESM_HANG_ON: the invocation with this number writes its rows and then never returns (the test
 * kills the process then). Prints one JSON line per runner event on stdout; SIGTERM stops it cleanly.
 */
import { eventSourceSchema } from '../../infra/config/event-sources.ts';
import { EsmRunner } from '../../local-esm/index.ts';
import { domain } from '../../shared/domains/registry.ts';
import type { KafkaHandler } from '../../shared/pipeline/lambda-event.ts';
import { createHandler } from '../../shared/runtime/create-handler.ts';

const env = process.env;
const print = (line: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(line)}\n`);

const real = createHandler(domain('user'), {
  env: {
    DB_HOST: env.DB_HOST,
    DB_PORT: env.DB_PORT,
    DB_USER: env.DB_USER,
    DB_PASSWORD: env.DB_PASSWORD,
    DB_NAME: env.DB_NAME,
    LOG_LEVEL: 'warn',
  },
  writeLog: (line) => process.stderr.write(`${line}\n`),
}) as unknown as KafkaHandler;

const slowMs = Number(env.ESM_SLOW_MS ?? 0);
const hangOn = Number(env.ESM_HANG_ON ?? 0);
let invocations = 0;
const handler: KafkaHandler = async (event, context) => {
  const n = ++invocations;
  const response = await real(event, context);
  if (n === hangOn) {
    print({ type: 'hanging', requestId: context.awsRequestId });
    await new Promise(() => {}); // written, never answered: the poller dies here
  }
  if (slowMs > 0) await new Promise((resolve) => setTimeout(resolve, slowMs));
  return response;
};

const topic = env.ESM_TOPIC!;
const runner = new EsmRunner({
  handler,
  brokers: env.ESM_BROKERS!.split(','),
  settings: {
    ...eventSourceSchema.parse({
      topics: [topic],
      batchSize: Number(env.ESM_BATCH_SIZE ?? 10),
      maximumBatchingWindowInSeconds: 0,
      onFailureTopic: `${topic}-failures`,
    }),
    consumerGroupId: env.ESM_GROUP!,
  },
  functionName: 'lambda-realtime-test-user',
  backoff: { initialMs: 50, maxMs: 500 },
  onEvent: (event) => {
    if (event.type === 'error') print({ type: 'error', message: event.message });
    else print(event);
  },
});

process.on('SIGTERM', () => {
  runner.stop().then(
    () => process.exit(0),
    () => process.exit(1),
  );
});
await runner.start();
