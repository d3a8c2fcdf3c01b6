/**
 * The project's side of the Flink comparison (bench/compare.ts), as a process started from scratch
 * like the Flink job: the three functions' handlers (one per execution environment, as Lambda runs
 * concurrent invocations) behind one local event source mapping each, at prod settings (batch 500,
 * 1 s window, prod's pollers and pool size), reading the bench's per-domain topics from the start
 * with new consumer groups. It runs until it is told to stop (SIGTERM); the caller measures its CPU
 * from outside (/proc) and finds the rows in the database.
 *
 * Configured by the environment: BENCH_SETTINGS (JSON: per domain its topic, consumer group and
 * on-failure topic), KAFKA_BROKERS, BENCH_LOG (a file for the functions' log lines), and the
 * functions' own variables (DB_HOST, DB_PORT, DB_USER, DB_PASSWORD, DB_NAME, DB_TLS, DB_TLS_CA,
 * DB_POOL_SIZE). BENCH_MAX_CONCURRENT_BATCHES caps the batches in flight per function (the scaling
 * runs, bench/scaling.ts: 1 makes the process one execution environment per function); unset, the
 * mapping's own limit (pollers × 5); BENCH_MAX_BUFFERED, the records each mapping holds before it
 * pauses fetching (default: the mapping's own); BENCH_DOMAINS, the functions this process runs,
 * comma-separated (default: all three; the comparison runs one process per function, as AWS runs
 * each function in execution environments of its own); BENCH_EVENT_ROWS_ONLY=1, the processors'
 * state rows dropped, so the functions write what the Flink job writes (the event tables, and the
 * dead letters), still exactly once. When the process stops it writes to BENCH_LOG the
 * batches in flight per function (mean of 20 ms samples, and the most). The credentials come from the environment, not from Secrets Manager (one call per
 * container in AWS, at cold start).
 */
import { createWriteStream } from 'node:fs';
import { environmentConfig } from '../infra/config/environments.ts';
import { eventSources, topicDomains } from '../infra/config/event-sources.ts';
import { EsmRunner, executionEnvironments } from '../local-esm/index.ts';
import { DOMAINS, domain as registryDomain } from '../shared/domains/registry.ts';
import { type Domain, defineDomain } from '../shared/pipeline/domain.ts';
import type { KafkaHandler } from '../shared/pipeline/lambda-event.ts';
import { withoutState } from '../shared/pipeline/processor.ts';
import { createHandler } from '../shared/runtime/create-handler.ts';

type DomainName = (typeof DOMAINS)[number]['name'];
const ran = (process.env.BENCH_DOMAINS ?? DOMAINS.map((d) => d.name).join(','))
  .split(',')
  .map((name) => registryDomain(name.trim()));
const wanted = JSON.parse(process.env.BENCH_SETTINGS ?? '{}') as Record<
  DomainName,
  { topic: string; group: string; onFailureTopic: string }
>;
const brokers = (process.env.KAFKA_BROKERS ?? '').split(',').filter(Boolean);
if (brokers.length === 0) throw new Error('bench consumer: KAFKA_BROKERS is not set');
const prod = environmentConfig('prod');
const settings = eventSources(
  'bench',
  Object.fromEntries(
    DOMAINS.map(({ name }) => {
      const w = wanted[name];
      if (!w) throw new Error(`bench consumer: BENCH_SETTINGS names no topic for ${name}`);
      return [
        name,
        {
          ...prod.eventSources?.[name],
          topics: [w.topic],
          consumerGroupId: w.group,
          onFailureTopic: w.onFailureTopic,
          startingPosition: 'TRIM_HORIZON' as const,
        },
      ];
    }),
  ),
);
/** The domain as the bench runs it: with BENCH_EVENT_ROWS_ONLY=1, its processors write no state rows. */
function benchDomain(name: DomainName): Domain {
  const domain = registryDomain(name);
  if (process.env.BENCH_EVENT_ROWS_ONLY !== '1') return domain;
  return defineDomain({ ...domain, processors: domain.processors.map(withoutState) });
}

const logFile = createWriteStream(process.env.BENCH_LOG ?? '/dev/null', { flags: 'a' });
process.env.AWS_LAMBDA_INITIALIZATION_TYPE ??= 'on-demand';
const functionEnv = {
  ...process.env,
  DB_POOL_SIZE: String(prod.functions.databasePoolSize),
  POWERTOOLS_SERVICE_NAME: 'lambda-realtime',
  POWERTOOLS_METRICS_NAMESPACE: 'lambda-realtime/bench',
  POWERTOOLS_LOG_LEVEL: prod.functions.logLevel,
};
const runners = ran.map(({ name: ranName }) => {
  const name = ranName as DomainName;
  return new EsmRunner({
    handler: executionEnvironments(
      () =>
        createHandler(benchDomain(name), {
          env: { ...functionEnv, DOMAIN: name, TOPIC_DOMAINS: topicDomains(settings, name).join(',') },
          writeLog: (line) => logFile.write(`${line}\n`),
        }) as KafkaHandler,
    ).handler,
    brokers,
    settings: settings[name],
    functionName: `lambda-realtime-bench-${name}`,
    backoff: { initialMs: 200, maxMs: 5_000 },
    ...(process.env.BENCH_MAX_BUFFERED ? { maxBufferedRecords: Number(process.env.BENCH_MAX_BUFFERED) } : {}),
    ...(process.env.BENCH_MAX_CONCURRENT_BATCHES
      ? { maxConcurrentBatches: Number(process.env.BENCH_MAX_CONCURRENT_BATCHES) }
      : {}),
    onEvent: (event) => {
      if (event.type === 'error') process.stderr.write(`[${name}] runner error: ${event.message}\n`);
    },
  });
});
// Batches in flight per function, sampled every 20 ms: written to BENCH_LOG when the process stops.
const inFlight = runners.map(() => ({ samples: 0, sum: 0 }));
const sampler = setInterval(() => {
  runners.forEach((runner, i) => {
    if (runner.inFlight === 0 && inFlight[i]!.samples === 0) return; // not started consuming yet
    inFlight[i]!.samples += 1;
    inFlight[i]!.sum += runner.inFlight;
  });
}, 20);
let stopping = false;
const stop = async () => {
  if (stopping) process.exit(0);
  stopping = true;
  clearInterval(sampler);
  const line = runners.map((runner, i) => {
    const { samples, sum } = inFlight[i]!;
    const sizes = runner.stats.batchSizes;
    const meanSize = sizes.reduce((a, b) => a + b, 0) / Math.max(1, sizes.length);
    return `${ran[i]!.name} ${(sum / Math.max(1, samples)).toFixed(1)} mean, ${runner.stats.maxConcurrentBatches} max, ${runner.stats.invocations} batches of ${meanSize.toFixed(0)}`;
  });
  logFile.write(`bench consumer: batches in flight: ${line.join('; ')}\n`);
  await Promise.race([
    Promise.all(runners.map((r) => r.stop())),
    new Promise((resolve) => setTimeout(resolve, 5_000)),
  ]);
  process.exit(0);
};
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
await Promise.all(runners.map((r) => r.start()));
process.stderr.write('bench consumer: event source mappings started\n');
