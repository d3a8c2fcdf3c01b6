/**
 * Local event source mappings in a process of their own, with the real functions: what
 * test/integration/local-esm-group.test.ts starts twice in one consumer group (and kills), and what
 * the reliability suite (test/reliability/) runs, kills with SIGKILL and restarts.
 *
 *   node test/support/esm-runner-process.ts   (configured by the environment below)
 *
 * ESM_BROKERS, ESM_TOPIC; ESM_GROUP, the consumer group (`{domain}` in it is replaced by the domain);
 * ESM_DOMAINS: the functions, comma-separated, one runner each (default `user`);
 * ESM_BATCH_SIZE: batch size, with no batching window (default: the settings CDK deploys,
 * infra/config/event-sources.ts); ESM_FUNCTION_TIMEOUT_SECONDS (default 60);
 * ESM_BACKOFF_MS: `initial,max` retry backoff (default 50,500).
 * The functions get the variables they read (configVariables: DB_*, DB_SECRET_ID, AWS_*, DIM_*, …)
 * from this process's environment, and run one execution environment per concurrent invocation.
 * Test hooks, counted per function: ESM_SLOW_MS: each invocation waits this long after the function
 * wrote its rows (so batches overlap a rebalance); ESM_HANG_ON: the invocation with this number
 * writes its rows and then never returns (the test kills the process then).
 *
 * Prints one JSON line per runner event on stdout (with its `domain`); SIGTERM stops the runners
 * cleanly (in-flight batches finish and commit) and exits 0; a runner's fatal error exits 1.
 */
import { eventSourceSchema, eventSources } from '../../infra/config/event-sources.ts';
import { EsmRunner, executionEnvironments } from '../../local-esm/index.ts';
import { type DomainName, domain as registryDomain } from '../../shared/domains/registry.ts';
import type { KafkaHandler } from '../../shared/pipeline/lambda-event.ts';
import { configVariables } from '../../shared/runtime/config.ts';
import { createHandler } from '../../shared/runtime/create-handler.ts';

const env = process.env;
const print = (line: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(line)}\n`);

const functionEnv: Record<string, string> = { POWERTOOLS_LOG_LEVEL: 'WARN' };
for (const name of configVariables()) {
  const value = env[name];
  if (value !== undefined && value !== '') functionEnv[name] = value;
}

const topic = env.ESM_TOPIC!;
const domains = (env.ESM_DOMAINS ?? 'user').split(',').map((d) => d.trim());
const slowMs = Number(env.ESM_SLOW_MS ?? 0);
const hangOn = Number(env.ESM_HANG_ON ?? 0);
const [initialMs = 50, maxMs = 500] = (env.ESM_BACKOFF_MS ?? '').split(',').filter(Boolean).map(Number);
const deployed = eventSources('local');

const runners = domains.map((name) => {
  const environments = executionEnvironments(
    () =>
      createHandler(registryDomain(name), {
        env: { ...functionEnv, DOMAIN: name },
        writeLog: (line) => process.stderr.write(`${line}\n`),
      }) as unknown as KafkaHandler,
  );
  let invocations = 0;
  const handler: KafkaHandler = async (event, context) => {
    const n = ++invocations;
    const response = await environments.handler(event, context);
    if (n === hangOn) {
      print({ type: 'hanging', domain: name, requestId: context.awsRequestId });
      await new Promise(() => {}); // written, never answered: the poller dies here
    }
    if (slowMs > 0) await new Promise((resolve) => setTimeout(resolve, slowMs));
    return response;
  };
  const base = env.ESM_BATCH_SIZE
    ? {
        ...eventSourceSchema.parse({
          batchSize: Number(env.ESM_BATCH_SIZE),
          maximumBatchingWindowInSeconds: 0,
          onFailureTopic: `${topic}-failures`,
        }),
        topics: [topic],
      }
    : { ...deployed[registryDomain(name).name as DomainName], topics: [topic] };
  return new EsmRunner({
    handler,
    brokers: env.ESM_BROKERS!.split(','),
    settings: {
      ...base,
      onFailureTopic: `${topic}-failures`,
      consumerGroupId: env.ESM_GROUP!.replaceAll('{domain}', name),
    },
    functionName: `lambda-realtime-test-${name}`,
    backoff: { initialMs, maxMs },
    ...(env.ESM_FUNCTION_TIMEOUT_SECONDS
      ? { functionTimeoutSeconds: Number(env.ESM_FUNCTION_TIMEOUT_SECONDS) }
      : {}),
    onEvent: (event) => {
      if (event.type === 'error') print({ type: 'error', domain: name, message: event.message });
      else print({ ...event, domain: name });
    },
  });
});

let stopping = false;
process.on('SIGTERM', () => {
  stopping = true;
  Promise.all(runners.map((r) => r.stop())).then(
    () => process.exit(0),
    () => process.exit(1),
  );
});
await Promise.all(runners.map((r) => r.start()));
for (const [i, runner] of runners.entries()) {
  runner.done.catch((error: unknown) => {
    if (stopping) return;
    print({ type: 'fatal', domain: domains[i], message: String(error) });
    process.exit(1);
  });
}
