/**
 * `npm run bench` — the one benchmark. Against the real database (found or started like the other
 * local tools), it measures and prints, then writes bench/results/latest.{json,md} and
 * bench/results/throughput.svg:
 *   - handler throughput per function and batch size, cache cold and warm, beside the per-record
 *     baseline and the limit (bench/handler.ts), with CPU per 1,000 events of this process and of
 *     the database server;
 *   - the Lambda cost per million events those durations imply, with the price table it assumes;
 *   - the pipeline at prod settings through the local event source mapping beside the Flink
 *     DataStream job it replaces, same stream, same services, interleaved, in two accountings
 *     (whole process and steady state: bench/compare.ts), and latency at half that rate
 *     (bench/pipeline.ts);
 *   - what AWS bills: the handlers with a network delay to MySQL (0.5 ms each way through a TCP
 *     proxy) beside the direct path: billed duration per 1,000 events, statements per batch, cost
 *     per million events (bench/billing.ts);
 *   - the scaling runs: the pipeline at 1, 2 and 4 execution environments per function, each a
 *     process of its own: rows/s, CPU per row, MySQL's CPU and open connections (bench/scaling.ts);
 *   - cold start: each bundle's size and INIT against an empty handler and against the plain bundle
 *     of the same dependencies (bench/cold-start.ts, bench/plain-handler.ts).
 * Every figure is a median with its spread (min–max) over rounds, and the machine it ran on.
 *
 *   npm run bench [-- --size full|ci] [--out DIR]   full: batches 100, 1,000, 10,000 and 5 rounds;
 *                                                  ci: 100 and 1,000, 2 rounds; DIR: bench/results
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createConnection } from 'mysql2/promise';
import { migrate, seed } from '../db/migrate.ts';
import { environmentConfig } from '../infra/config/environments.ts';
import { eventSources } from '../infra/config/event-sources.ts';
import { findServices } from '../scripts/services/find-services.ts';
import { createDimensionCaches } from '../shared/dimensions/dimension.ts';
import { DIMENSIONS } from '../shared/domains/registry.ts';
import { tlsFromEnv } from '../shared/runtime/config.ts';
import { StaticCredentials } from '../shared/sink/credentials.ts';
import { Database } from '../shared/sink/database.ts';
import { MySqlSink } from '../shared/sink/sink.ts';
import { BILLING_PRICES, type BillingResult, benchBilling, billingTable } from './billing.ts';
import { chart } from './chart.ts';
import {
  benchCompare,
  type CompareSummary,
  type Figure,
  flinkUnavailable,
  functionDbEnv,
  type System,
  summarize,
} from './compare.ts';
import { benchHandlers, type HandlerFigures, PerRecordSink, type Spread } from './handler.ts';
import { benchLatency, type LatencyFigures } from './pipeline.ts';
import { benchScaling, scalingTable } from './scaling.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values: args } = parseArgs({
  options: {
    size: { type: 'string', default: 'full' },
    out: { type: 'string', default: 'bench/results' },
    /** USD per event poller unit hour (AWS Lambda pricing, provisioned mode), to price the pollers. */
    'epu-hour-usd': { type: 'string' },
    /** Milliseconds the billing mode's proxy holds every chunk, each way. */
    'delay-ms': { type: 'string', default: '0.5' },
  },
});
const full = args.size !== 'ci';
const batches = full ? [100, 1_000, 10_000] : [100, 1_000];
const rounds = full ? 5 : 2;
const log = (line: string) => process.stdout.write(`${line}\n`);

/**
 * Lambda prices the cost estimate assumes: US East (N. Virginia), Arm, first duration tier
 * (https://aws.amazon.com/lambda/pricing/). Provisioned event pollers (the mappings' provisioned
 * mode) are billed per Event Poller Unit-hour on top; their price is on the same page and not in
 * the per-event figure, since it depends on the hours they run, not on the events.
 */
const PRICES = { perGbSecond: 0.0000133334, perMillionRequests: 0.2 };
const PROD = environmentConfig('prod');

const machine = {
  cpus: `${cpus().length} × ${cpus()[0]?.model ?? 'unknown'}`,
  memoryGiB: Math.round(totalmem() / 2 ** 30),
  node: process.versions.node,
};

const services = await findServices();
const { db } = services.endpoints;
const tls = tlsFromEnv(services.endpoints.dbTls);
const schema = `lrt_bench_${Date.now().toString(36)}`;
const conn = await createConnection({
  ...db,
  supportBigNumbers: true,
  bigNumberStrings: true,
  timezone: 'Z',
});
await conn.query(`CREATE DATABASE ${schema} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
await conn.changeUser({ database: schema });
await migrate(conn);
await seed(conn);
const [[{ version }]] = (await conn.query('SELECT VERSION() AS version')) as unknown as [
  [{ version: string }],
];
const env = functionDbEnv(db, services.endpoints.dbTls, schema);

log(`handler throughput (${machine.cpus}, Node ${machine.node}, ${version}), median of ${rounds} rounds`);
let handlers: HandlerFigures[];
let billing: BillingResult;
try {
  handlers = await benchHandlers({
    conn,
    env,
    batches,
    rounds,
    log,
    runtime(perRecord) {
      const { ssl: _, ...login } = db;
      const database = new Database({
        credentials: new StaticCredentials({ ...login, database: schema }),
        tls,
      });
      return {
        database,
        dimensions: createDimensionCaches(database, DIMENSIONS, {}),
        sink: perRecord ? new PerRecordSink(database) : new MySqlSink(database),
      };
    },
  });
  log(
    `\nbilled duration with a network delay to MySQL (${args['delay-ms']} ms each way), beside the direct path`,
  );
  const { ssl: _, ...login } = db;
  billing = await benchBilling({
    conn,
    env,
    db: { ...login, database: schema },
    tls,
    delayMs: Number(args['delay-ms']),
    memoryMiB: PROD.functions.memoryMiB,
    batches,
    rounds,
    epuHourUsd: args['epu-hour-usd'] === undefined ? BILLING_PRICES.perEpuHour : Number(args['epu-hour-usd']),
    log,
  });
} finally {
  await conn.query(`DROP DATABASE ${schema}`);
  await conn.end();
  await services.stop();
}

// Cost per million events at the prod settings (memory, batch size), from the measured durations.
const prodBatch = PROD.eventSources?.user?.batchSize ?? 500;
const memoryGb = PROD.functions.memoryMiB / 1024;
const costs = handlers
  .filter((h) => h.cache === 'warm')
  .map((h) => {
    const invocations = 1_000_000 / h.batch;
    const seconds = (h.batchMs.median / 1_000) * invocations;
    return {
      function: h.function,
      batch: h.batch,
      usdPerMillion:
        seconds * memoryGb * PRICES.perGbSecond + (invocations / 1_000_000) * PRICES.perMillionRequests,
    };
  });

log(
  '\npipeline beside the Flink job it replaces (same stream, Kafka and MariaDB; each a process started from scratch; interleaved)',
);
// Full: the default topology, Flink, and the seed's one shared topic, 3 rounds of 200,000 records.
// CI: the default topology and Flink at 10,000 records, one round (Flink only where Java runs).
const compareEvents = full ? 200_000 : 10_000;
const compareRounds = full ? 3 : 1;
const flinkMissing = flinkUnavailable();
if (flinkMissing && full) throw new Error(`bench: the Flink baseline cannot run: ${flinkMissing}`);
if (flinkMissing) log(`  Flink baseline skipped: ${flinkMissing}`);
const systems: System[] = [
  'project',
  ...(flinkMissing ? [] : (['flink', 'project, event tables only'] as const)),
  ...(full ? (['project, one shared topic'] as const) : []),
];
const compareRuns = await benchCompare({ root, events: compareEvents, rounds: compareRounds, systems, log });
const summaries = summarize(compareRuns);
const project = summaries.find((x) => x.system === 'project')!;
const flinkSummary = summaries.find((x) => x.system === 'flink');
const sameWork = summaries.find((x) => x.system === 'project, event tables only');
const spreadOf = (f: Figure, digits = 0) =>
  f.min === f.max
    ? f.median.toFixed(digits)
    : `${f.median.toFixed(digits)} (${f.min.toFixed(digits)}–${f.max.toFixed(digits)})`;
const cpuLine = (c: CompareSummary['whole']['cpuSeconds']) =>
  `${c.process.median.toFixed(1)} / ${Number.isNaN(c.mysql.median) ? 'n/a' : c.mysql.median.toFixed(1)} / ${Number.isNaN(c.kafka.median) ? 'n/a' : c.kafka.median.toFixed(1)}`;
const ratio = (f: (s: CompareSummary) => Figure, of: CompareSummary = project) =>
  flinkSummary ? (f(of).median / f(flinkSummary).median).toFixed(2) : 'n/a';
const comparisonRows: Array<
  [string, (s: CompareSummary) => string, (s: CompareSummary) => Figure | undefined]
> = [
  [
    'rows per CPU-s, whole process (all processes, start-up included)',
    (x) => spreadOf(x.whole.rowsPerCpuSecond),
    (x) => x.whole.rowsPerCpuSecond,
  ],
  [
    'rows per CPU-s, steady state (first row to last)',
    (x) => spreadOf(x.steady.rowsPerCpuSecond),
    (x) => x.steady.rowsPerCpuSecond,
  ],
  [
    'rows/s, wall (process start to last row)',
    (x) => spreadOf(x.whole.rowsPerSecond),
    (x) => x.whole.rowsPerSecond,
  ],
  ['rows/s, first row to last', (x) => spreadOf(x.steady.rowsPerSecond), (x) => x.steady.rowsPerSecond],
  ['CPU-s process / MySQL / Kafka, whole process', (x) => cpuLine(x.whole.cpuSeconds), () => undefined],
  ['CPU-s process / MySQL / Kafka, steady state', (x) => cpuLine(x.steady.cpuSeconds), () => undefined],
  [
    'start-up CPU-s (process start to first row, all processes)',
    (x) => spreadOf(x.startupCpuSeconds, 1),
    () => undefined,
  ],
  [
    'first row / last row after process start (s)',
    (x) => `${x.firstRowSeconds.median.toFixed(1)} / ${x.lastRowSeconds.median.toFixed(1)}`,
    () => undefined,
  ],
];
const comparisonTable = [
  `| measure (median of ${compareRounds}, min–max) | ${summaries.map((x) => x.system).join(' | ')} | project ÷ Flink |${sameWork ? ' event tables only ÷ Flink |' : ''}`,
  `|---|${summaries.map(() => '---:').join('|')}|---:|${sameWork ? '---:|' : ''}`,
  ...comparisonRows.map(
    ([label, cell, value]) =>
      `| ${label} | ${summaries.map(cell).join(' | ')} | ${value(project) && flinkSummary ? ratio((x) => value(x)!) : '—'} |${sameWork ? ` ${value(sameWork) && flinkSummary ? ratio((x) => value(x)!, sameWork) : '—'} |` : ''}`,
  ),
];
log('');
for (const line of comparisonTable) log(`  ${line}`);

// Latency at half the saturated rate (first row to last) of each topology measured.
const latencies: LatencyFigures[] = [];
for (const [system, topology] of [
  ['project', 'per-domain'],
  ['project, one shared topic', 'shared'],
] as const) {
  const summary = summaries.find((x) => x.system === system);
  if (!summary) continue;
  const rate = Math.max(100, Math.round(summary.steady.rowsPerSecond.median / 2));
  const figures = benchLatency(root, rate, full ? 30 : 5, topology);
  latencies.push(figures);
  log(
    `  ${topology} topics at ${rate} events/s: publish-to-row latency p50 ${figures.latencyMs.p50} ms, p99 ${figures.latencyMs.p99} ms`,
  );
}

log('\nscaling: 1, 2 and 4 execution environments per function, each a process of its own');
const scaling = await benchScaling({ root, events: compareEvents, environments: [1, 2, 4], log });
const scalingLines = scalingTable(scaling);
for (const line of scalingLines) log(`  ${line}`);

log('\ncold start (the bundles built first, as `npm run build` builds them)');
// The bundles CDK deploys, built from this checkout: a dist/ left from another checkout or none.
execFileSync(process.execPath, [join(root, 'scripts', 'build.ts')], {
  stdio: ['ignore', 'ignore', 'inherit'],
});
const coldStart = execFileSync(
  process.execPath,
  [join(root, 'bench', 'cold-start.ts'), '--runs', full ? '15' : '5'],
  {
    encoding: 'utf8',
  },
);
log(coldStart.trimEnd());

// Provisioned pollers are paid by the hour, whatever flows: prod's minimum pollers of the three
// mappings, per million events at the rate the pipeline sustained (fewer events, dearer each).
const minimumPollers = eventSources('prod', PROD.eventSources);
const pollers = Object.values(minimumPollers).reduce((sum, s) => sum + s.provisionedPollers.minimum, 0);
const projectRate = project.steady.rowsPerSecond.median;
const epuHoursPerMillion = (pollers * 1_000_000) / (projectRate * 3_600);
const epuHourUsd = args['epu-hour-usd'] === undefined ? undefined : Number(args['epu-hour-usd']);
const pollerCost = {
  pollers,
  atEventsPerSecond: projectRate,
  epuHoursPerMillion,
  ...(epuHourUsd === undefined ? {} : { epuHourUsd, usdPerMillion: epuHoursPerMillion * epuHourUsd }),
};

// Results: JSON, markdown, and a chart.
const results = {
  when: new Date().toISOString(),
  machine,
  database: version,
  size: args.size,
  handlers,
  comparison: { events: compareEvents, rounds: compareRounds, summaries, runs: compareRuns },
  ...(flinkMissing ? { flinkSkipped: flinkMissing } : {}),
  latencies,
  scaling,
  costs,
  pollerCost,
  billing,
  prices: PRICES,
  coldStart,
};
const out = resolve(root, args.out);
mkdirSync(out, { recursive: true });
writeFileSync(join(out, 'latest.json'), `${JSON.stringify(results, null, 2)}\n`);
const fmt = (s: Spread, digits = 0) =>
  `${s.median.toFixed(digits)} (${s.min.toFixed(digits)}–${s.max.toFixed(digits)})`;
const markdown = [
  `# Benchmark — ${results.when}`,
  '',
  `Machine: ${machine.cpus}, ${machine.memoryGiB} GiB, Node ${machine.node}; database ${version}. Size: ${args.size}, median (min–max) of ${rounds} rounds.`,
  '',
  '| function | batch | cache | events/s | per-record baseline | limit | vs baseline | vs limit | CPU ms / 1k (process) | CPU ms / 1k (database) |',
  '|---|---:|---|---:|---:|---:|---:|---:|---:|---:|',
  ...handlers.map(
    (h) =>
      `| ${h.function} | ${h.batch} | ${h.cache} | ${fmt(h.handler.eventsPerSecond)} | ${fmt(h.perRecord.eventsPerSecond)} | ${fmt(h.limit.eventsPerSecond)} | ${(h.handler.eventsPerSecond.median / h.perRecord.eventsPerSecond.median).toFixed(1)}× | ${(h.handler.eventsPerSecond.median / h.limit.eventsPerSecond.median).toFixed(2)}× | ${fmt(h.handler.cpuMsPer1k, 1)} | ${h.handler.dbCpuMsPer1k ? fmt(h.handler.dbCpuMsPer1k, 1) : 'n/a'} |`,
  ),
  '',
  `Pipeline beside the Flink job (bench/compare.ts; docs/benchmarks.md): ${compareEvents} demo records (seed 42) published once to a topic per domain, 6 partitions each; each system a process started from scratch against a fresh schema, interleaved, ${compareRounds} round(s). Numerator: the distinct rows written to the event tables (${project.rows}, checked in every run). Whole process: CPU of the system's process, MySQL and Kafka from the process start to the last row. Steady state: rows written after the first row's millisecond, CPU of all three from the first row to the last. The project writes its state tables and dead letters too; the Flink job writes the event tables only, and so does 'project, event tables only' (the same functions with their state rows dropped, still exactly once: the work Flink's job does).${flinkMissing ? ` Flink skipped: ${flinkMissing}.` : ''}`,
  '',
  ...comparisonTable,
  '',
  ...latencies.map(
    (l) =>
      `- ${l.topology} topics, a steady stream at ${l.rate} events/s (half the rate above): publish-to-row latency p50 ${l.latencyMs.p50} ms, p99 ${l.latencyMs.p99} ms.`,
  ),
  '',
  `Scaling (bench/scaling.ts): the same stream, ${compareEvents} records, the pipeline at 1, 2 and 4 execution environments per function, each environment a process of its own (one batch in flight per function) in the same consumer groups; steady state (first row to last). Peak connections: SHOW STATUS Threads_connected sampled during the run, the bench's own connection included.`,
  '',
  ...scalingLines,
  '',
  `Lambda cost per million events (warm, ${PROD.functions.memoryMiB} MiB, Arm, $${PRICES.perGbSecond}/GB-s, $${PRICES.perMillionRequests}/M requests; provisioned pollers not included):`,
  '',
  '| function | batch | USD per million events |',
  '|---|---:|---:|',
  ...costs.map((c) => `| ${c.function} | ${c.batch} | ${c.usdPerMillion.toFixed(4)} |`),
  '',
  `Prod batch size: ${prodBatch}.`,
  '',
  `Provisioned pollers (prod's minimum: ${pollers} across the three mappings) are paid per event poller unit hour whatever flows: at the pipeline's ${projectRate.toFixed(0)} events/s (steady state), ${epuHoursPerMillion.toFixed(3)} EPU-hours per million events${pollerCost.usdPerMillion === undefined ? ' (price per EPU-hour: AWS Lambda pricing, provisioned mode; `--epu-hour-usd` converts it)' : `, $${pollerCost.usdPerMillion.toFixed(4)} at $${epuHourUsd}/EPU-hour`}; at a tenth of that rate, ten times as much.`,
  '',
  ...billingTable(billing),
  '',
  '```',
  coldStart.trimEnd(),
  '```',
  '',
].join('\n');
writeFileSync(join(out, 'latest.md'), markdown);
writeFileSync(
  join(out, 'throughput.svg'),
  chart(
    handlers.filter((h) => h.cache === 'warm'),
    summaries,
    billing,
    scaling,
  ),
);
log(`\nresults: ${args.out}/latest.json, latest.md, throughput.svg`);
