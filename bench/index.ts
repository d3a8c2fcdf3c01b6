/**
 * `npm run bench` — the one benchmark. Against the real database (found or started like the other
 * local tools), it measures and prints, then writes bench/results/latest.{json,md} and
 * bench/results/throughput.svg:
 *   - handler throughput per function and batch size, cache cold and warm, beside the per-record
 *     baseline and the limit (bench/handler.ts), with CPU per 1,000 events of this process and of
 *     the database server;
 *   - the Lambda cost per million events those durations imply, with the price table it assumes;
 *   - the pipeline at prod settings through the local event source mapping, events per second and
 *     per CPU-second of every process, and latency at half that rate (bench/pipeline.ts);
 *   - cold start: each bundle's size and import time against an empty handler (bench/cold-start.ts).
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
import { benchHandlers, type HandlerFigures, PerRecordSink, type Spread, spread } from './handler.ts';
import { benchPipeline, type PipelineFigures } from './pipeline.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values: args } = parseArgs({
  options: {
    size: { type: 'string', default: 'full' },
    out: { type: 'string', default: 'bench/results' },
    /** USD per event poller unit hour (AWS Lambda pricing, provisioned mode), to price the pollers. */
    'epu-hour-usd': { type: 'string' },
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
const env = {
  DB_HOST: db.host,
  DB_PORT: String(db.port),
  DB_USER: db.user,
  DB_PASSWORD: db.password,
  DB_NAME: schema,
  ...services.endpoints.dbTls,
};

log(`handler throughput (${machine.cpus}, Node ${machine.node}, ${version}), median of ${rounds} rounds`);
let handlers: HandlerFigures[];
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

log('\npipeline (pre-filled topic, local event source mapping, prod settings)');
// The default topology (a topic per domain) and the seed's single shared topic, on the same stream.
const pipelineRuns = full ? 3 : 1;
/** Each topology `pipelineRuns` times in turn; the run with the median events/s stands for it. */
const pipelineSpreads = new Map<
  string,
  { eventsPerSecond: Spread; eventsPerCpuSecond: Spread; p99: Spread }
>();
const runsOf = new Map<string, PipelineFigures[]>();
for (let run = 0; run < pipelineRuns; run++) {
  for (const topology of ['per-domain', 'shared'] as const) {
    const figures = benchPipeline(root, full ? 200_000 : 10_000, full ? 30 : 5, topology);
    runsOf.set(topology, [...(runsOf.get(topology) ?? []), figures]);
  }
}
const pipelines = [...runsOf].map(([topology, runs]) => {
  pipelineSpreads.set(topology, {
    eventsPerSecond: spread(runs.map((r) => r.eventsPerSecond)),
    eventsPerCpuSecond: spread(runs.map((r) => r.eventsPerCpuSecond)),
    p99: spread(runs.map((r) => r.latencyMs.p99)),
  });
  return [...runs].sort((a, b) => a.eventsPerSecond - b.eventsPerSecond)[Math.floor(runs.length / 2)]!;
});
const pipeline = pipelines[0]!;
const seconds = (ms: number | undefined) => (ms === undefined ? 'n/a' : `${(ms / 1_000).toFixed(1)} s`);
const range = (s: Spread | undefined) =>
  s && s.min !== s.max ? ` (${s.min.toFixed(0)}–${s.max.toFixed(0)} over ${pipelineRuns} runs)` : '';
const pipelineLineOf = (p: PipelineFigures) => {
  const sp = pipelineSpreads.get(p.topology);
  return (
    `${p.topology} topics, ${p.events} events: ${p.eventsPerSecond.toFixed(0)} events/s${range(sp?.eventsPerSecond)}, ` +
    `${p.eventsPerCpuSecond.toFixed(0)} events per CPU-second${range(sp?.eventsPerCpuSecond)} (functions ${seconds(p.cpuMs.functions)}, ` +
    `MySQL ${seconds(p.cpuMs.mysql)}, Kafka ${seconds(p.cpuMs.kafka)}); at ${p.steadyRate} events/s ` +
    `publish-to-row latency p50 ${p.latencyMs.p50} ms, p99 ${p.latencyMs.p99} ms${range(sp?.p99)}`
  );
};
for (const p of pipelines) log(`  ${pipelineLineOf(p)}`);

log('\ncold start (npm run build first)');
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
const epuHoursPerMillion = (pollers * 1_000_000) / (pipeline.eventsPerSecond * 3_600);
const epuHourUsd = args['epu-hour-usd'] === undefined ? undefined : Number(args['epu-hour-usd']);
const pollerCost = {
  pollers,
  atEventsPerSecond: pipeline.eventsPerSecond,
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
  pipelines,
  pipelineSpreads: Object.fromEntries(pipelineSpreads),
  costs,
  pollerCost,
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
  'Pipeline (a pre-filled topic consumed by the three functions through the local event source mapping at prod settings: batch 500, 1 s window; then a steady stream at half that rate; CPU of the functions, MySQL and Kafka while consuming):',
  '',
  ...pipelines.map((p) => `- ${pipelineLineOf(p)}.`),
  '',
  `Lambda cost per million events (warm, ${PROD.functions.memoryMiB} MiB, Arm, $${PRICES.perGbSecond}/GB-s, $${PRICES.perMillionRequests}/M requests; provisioned pollers not included):`,
  '',
  '| function | batch | USD per million events |',
  '|---|---:|---:|',
  ...costs.map((c) => `| ${c.function} | ${c.batch} | ${c.usdPerMillion.toFixed(4)} |`),
  '',
  `Prod batch size: ${prodBatch}.`,
  '',
  `Provisioned pollers (prod's minimum: ${pollers} across the three mappings) are paid per event poller unit hour whatever flows: at the pipeline's ${pipeline.eventsPerSecond.toFixed(0)} events/s, ${epuHoursPerMillion.toFixed(3)} EPU-hours per million events${pollerCost.usdPerMillion === undefined ? ' (price per EPU-hour: AWS Lambda pricing, provisioned mode; `--epu-hour-usd` converts it)' : `, $${pollerCost.usdPerMillion.toFixed(4)} at $${epuHourUsd}/EPU-hour`}; at a tenth of that rate, ten times as much.`,
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
    pipelines,
  ),
);
log(`\nresults: ${args.out}/latest.json, latest.md, throughput.svg`);

/**
 * Two panels: events per second per function and batch (the handler, the per-record baseline and
 * the limit), then the pipeline per topology — events per CPU-second of every process and the
 * publish-to-row latency — beside the Flink job it replaces (issue 12's figures on this machine
 * kind, not re-run here).
 */
function chart(figures: HandlerFigures[], pipelineFigures: PipelineFigures[]): string {
  const rowHeight = 54;
  const width = 760;
  const left = 190;
  const bar = (x0: number, y: number, w: number, color: string, label: string) =>
    `<rect x="${x0}" y="${y}" width="${Math.max(0, w).toFixed(1)}" height="14" fill="${color}"/><text x="${x0 + w + 4}" y="${y + 11}" font-size="11">${label}</text>`;
  const max = Math.max(
    ...figures.flatMap((f) => [f.handler.eventsPerSecond.max, f.limit.eventsPerSecond.max]),
    1,
  );
  const scale = (v: number) => ((width - left - 90) * v) / max;
  const handlerRows = figures.map((f, i) => {
    const y = 40 + i * rowHeight;
    return [
      `<text x="8" y="${y + 25}" font-size="12">${f.function}, batch ${f.batch}</text>`,
      bar(
        left,
        y,
        scale(f.limit.eventsPerSecond.median),
        '#bbbbbb',
        f.limit.eventsPerSecond.median.toFixed(0),
      ),
      bar(
        left,
        y + 16,
        scale(f.handler.eventsPerSecond.median),
        '#1f77b4',
        f.handler.eventsPerSecond.median.toFixed(0),
      ),
      bar(
        left,
        y + 32,
        scale(f.perRecord.eventsPerSecond.median),
        '#ff7f0e',
        f.perRecord.eventsPerSecond.median.toFixed(0),
      ),
    ].join('');
  });
  const top = 60 + figures.length * rowHeight;
  const flink = { label: 'Flink job (DataStream, tuned)', eventsPerCpuSecond: 11_700 };
  const cpuMax = Math.max(flink.eventsPerCpuSecond, ...pipelineFigures.map((p) => p.eventsPerCpuSecond), 1);
  const cpuScale = (v: number) => ((width - left - 260) * v) / cpuMax;
  const pipelineRows = pipelineFigures.map((p, i) => {
    const y = top + 30 + i * 24;
    return [
      `<text x="8" y="${y + 11}" font-size="12">pipeline, ${p.topology} topics</text>`,
      bar(
        left,
        y,
        cpuScale(p.eventsPerCpuSecond),
        '#1f77b4',
        `${p.eventsPerCpuSecond.toFixed(0)} ev/CPU-s; ${p.eventsPerSecond.toFixed(0)} ev/s; p50 ${p.latencyMs.p50} ms, p99 ${p.latencyMs.p99} ms`,
      ),
    ].join('');
  });
  const flinkY = top + 30 + pipelineFigures.length * 24;
  const height = flinkY + 40;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif">
<title>Events per second per configuration: lambda-realtime, the per-record baseline and the limit; the pipeline's events per CPU-second and latency</title>
<text x="8" y="18" font-size="14">Events per second, warm cache (median): limit (grey), lambda-realtime (blue), per-record baseline (orange)</text>
${handlerRows.join('\n')}
<text x="8" y="${top + 10}" font-size="14">Pipeline at prod settings: events per CPU-second of every process; publish-to-row latency at half rate</text>
${pipelineRows.join('\n')}
<text x="8" y="${flinkY + 11}" font-size="12">${flink.label}</text>${bar(left, flinkY, cpuScale(flink.eventsPerCpuSecond), '#bbbbbb', `${flink.eventsPerCpuSecond} ev/CPU-s (issue 12's figure, not re-run)`)}
</svg>
`;
}
