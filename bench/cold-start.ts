/**
 * Cold-start cost of each function bundle: the time a fresh Node.js process spends importing
 * dist/functions/<domain>/index.mjs (module load and cold-start configuration; the database pool
 * connects lazily, on the first batch), side by side with a baseline bundle of an empty handler
 * built the same way, in alternating runs so both see the same machine load. Two more bundles
 * measure the logs and metrics alone: Powertools for AWS Lambda's Logger and Metrics as they come,
 * and as the functions wire them (shared/observability: formatter, redaction, EMF series) — the
 * functions use Powertools because the two cost at most 15 ms of INIT together.
 *
 * `--against <dir>` adds the bundles of an earlier build (<dir>/<domain>/index.mjs, a copy of
 * dist/functions) to the same alternating runs, and reports how much each domain's INIT grew.
 * Beside the wall time, the CPU time the process spent importing: steadier on a busy machine.
 *
 * Then INIT as Lambda reports it: each bundle in AWS's own runtime (the Runtime Interface Emulator
 * driving AWS's Node.js runtime interface client, local-esm/lambda-runtime.ts), a fresh execution
 * environment per sample, its `INIT REPORT` duration — Node's start, the runtime client, the
 * handler's import — beside the empty handler's, in the same alternating runs; and the user
 * function once more with NODE_OPTIONS=--enable-source-maps, the price of Node resolving stack
 * traces through the source map (why the functions run without it: docs/operations.md).
 * `--no-rie` skips it; it is skipped, saying why, where the emulator cannot be installed.
 *
 *   npm run build && npm run bench:cold-start [-- --runs 15] [-- --against /tmp/functions-before] [-- --no-rie]
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';
import { functionBuildOptions } from '../infra/lib/function-code.ts';
import { ensureRuntimeTools, type RuntimeTools, startLambdaRuntime } from '../local-esm/lambda-runtime.ts';
import { DOMAIN_NAMES as DOMAINS } from '../shared/domains/registry.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '15' },
    against: { type: 'string' },
    rie: { type: 'boolean', default: true },
  },
  allowNegative: true,
});
const runs = Number(values.runs);
const against = values.against;
const POWERTOOLS_BUDGET_MS = 15;

/** Bundles a handler's source with the functions' options; returns the bundle's path. */
async function bundle(name: string, source: string): Promise<string> {
  const dir = join(tmpdir(), `lrt-bench-${name}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'handler.ts'), source);
  await build({
    ...functionBuildOptions('user', dir),
    entryPoints: { index: join(dir, 'handler.ts') },
    nodePaths: [join(root, 'node_modules')],
  });
  return join(dir, 'index.mjs');
}

// Baseline: an empty handler, bundled with the same options.
const baseline = await bundle(
  'baseline',
  'export const handler = async () => ({ batchItemFailures: [] });\n',
);
const wired = await bundle(
  'wired-observability',
  `import { Logger } from ${JSON.stringify(join(root, 'shared/observability/logger.ts'))};
import { Metrics } from ${JSON.stringify(join(root, 'shared/observability/metrics.ts'))};
const log = new Logger({ serviceName: 'lambda-realtime', persistentKeys: { function: 'user' }, write: () => {} });
const metrics = new Metrics({ namespace: 'bench', dimensions: { function: 'user' }, write: () => {}, logger: log });
export const handler = async () => { log.info('batch done'); metrics.add('RecordsReceived', 'Count', 1); metrics.flush(); return { batchItemFailures: [] }; };
`,
);
const powertools = await bundle(
  'powertools',
  `import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
const log = new Logger({ serviceName: 'lambda-realtime' });
const metrics = new Metrics({ namespace: 'bench', serviceName: 'lambda-realtime' });
export const handler = async () => { log.info('batch done'); metrics.addMetric('RecordsReceived', MetricUnit.Count, 1); metrics.publishStoredMetrics(); return { batchItemFailures: [] }; };
`,
);

const env = {
  ...process.env,
  DB_HOST: '127.0.0.1',
  DB_USER: 'bench',
  DB_PASSWORD: 'bench',
  DB_NAME: 'bench',
};
/** Wall time of the import, and the CPU time the process spent on it (all its threads): the
 * second holds steadier than the first on a busy machine. */
const probe = (file: string): Sample => {
  const [wall, cpu] = execFileSync(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      `const t = performance.now(); const c = process.cpuUsage(); await import(${JSON.stringify(file)}); const u = process.cpuUsage(c); console.log(performance.now() - t, (u.user + u.system) / 1000);`,
    ],
    { env },
  )
    .toString()
    .trim()
    .split(' ')
    .map(Number);
  return { wall: wall!, cpu: cpu! };
};
interface Sample {
  wall: number;
  cpu: number;
}

const POWERTOOLS = 'logs+metrics: Powertools';
const targets = [
  { name: 'baseline (empty handler)', file: baseline },
  ...DOMAINS.map((d) => ({ name: d, file: join(root, 'dist', 'functions', d, 'index.mjs') })),
  ...(against ? DOMAINS.map((d) => ({ name: `${d} (--against)`, file: join(against, d, 'index.mjs') })) : []),
  { name: 'logs+metrics: as wired', file: wired },
  { name: POWERTOOLS, file: powertools },
];
const samples = new Map(targets.map((t) => [t.name, [] as Sample[]]));
for (let i = 0; i < runs; i++) for (const t of targets) samples.get(t.name)!.push(probe(t.file));

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const medianOf = (name: string, of: keyof Sample) => median(samples.get(name)!.map((s) => s[of]));
const base = { wall: medianOf(targets[0]!.name, 'wall'), cpu: medianOf(targets[0]!.name, 'cpu') };
const signed = (ms: number) => `${ms >= 0 ? '+' : ''}${ms.toFixed(1)} ms`;
console.log(
  `import time of each bundle in a fresh process, median of ${runs} (Node ${process.versions.node})`,
);
console.log(
  `${'bundle'.padEnd(26)} ${'KiB'.padStart(6)} ${'median ms'.padStart(10)} ${'vs baseline'.padStart(12)} ${'cpu ms'.padStart(8)} ${'vs baseline'.padStart(12)}`,
);
for (const t of targets) {
  const wall = medianOf(t.name, 'wall');
  const cpu = medianOf(t.name, 'cpu');
  const kib = (statSync(t.file).size / 1024).toFixed(0);
  console.log(
    `${t.name.padEnd(26)} ${kib.padStart(6)} ${wall.toFixed(1).padStart(10)} ${signed(wall - base.wall).padStart(12)} ${cpu.toFixed(1).padStart(8)} ${signed(cpu - base.cpu).padStart(12)}`,
  );
}
const powertoolsCost = medianOf(POWERTOOLS, 'wall') - base.wall;
const powertoolsCpu = medianOf(POWERTOOLS, 'cpu') - base.cpu;
console.log(
  `Powertools Logger + Metrics: ${signed(powertoolsCost)} of INIT (cpu ${signed(powertoolsCpu)}) over the baseline (budget ${POWERTOOLS_BUDGET_MS} ms): ${
    powertoolsCost > POWERTOOLS_BUDGET_MS ? 'over it' : 'within it'
  }${powertoolsCost > POWERTOOLS_BUDGET_MS && powertoolsCpu <= POWERTOOLS_BUDGET_MS ? ' (but not in CPU time: a busy machine? run again)' : ''}`,
);
if (against) {
  for (const d of DOMAINS) {
    const growth = medianOf(d, 'wall') - medianOf(`${d} (--against)`, 'wall');
    const cpuGrowth = medianOf(d, 'cpu') - medianOf(`${d} (--against)`, 'cpu');
    console.log(
      `${d} over ${against}: ${signed(growth)} of INIT (cpu ${signed(cpuGrowth)}); the Powertools row: ${signed(powertoolsCost)} (cpu ${signed(powertoolsCpu)})`,
    );
  }
}

// ---------------------------------------------------------------- INIT under AWS's runtime
/** An empty Kafka batch: the handler's cold path without a database round trip. */
const EMPTY_BATCH = { eventSource: 'aws:kafka', records: {} };
let tools: RuntimeTools | undefined;
if (values.rie) {
  try {
    tools = ensureRuntimeTools();
  } catch (error) {
    console.log(
      `INIT under the Runtime Interface Emulator: skipped (${(error as Error).message.split('\n')[0]})`,
    );
  }
}
if (tools) {
  const runtimeTools = tools;
  /** INIT of one fresh execution environment of the bundle in `codeDir`, as the emulator reports it. */
  const initOf = async (codeDir: string, extra: Record<string, string> = {}): Promise<number> => {
    const runtime = await startLambdaRuntime({
      codeDir,
      functionName: 'cold-start',
      env: {
        DB_HOST: env.DB_HOST,
        DB_USER: env.DB_USER,
        DB_PASSWORD: env.DB_PASSWORD,
        DB_NAME: env.DB_NAME,
        ...extra,
      },
      tools: runtimeTools,
    });
    try {
      await runtime.invoke(EMPTY_BATCH);
      // The report line may trail the response.
      for (let i = 0; i < 200 && runtime.initDurationsMs.length === 0; i++) await sleep(10);
      const init = runtime.initDurationsMs[0];
      if (init === undefined) throw new Error(`no INIT REPORT from ${codeDir}`);
      return init;
    } finally {
      await runtime.close();
    }
  };
  const SOURCE_MAPS = 'user, --enable-source-maps';
  const rieTargets: { name: string; dir: string; extra: Record<string, string> }[] = [
    { name: 'baseline (empty handler)', dir: dirname(baseline), extra: {} },
    ...DOMAINS.map((d) => ({ name: d, dir: join(root, 'dist', 'functions', d), extra: {} })),
    ...(against ? DOMAINS.map((d) => ({ name: `${d} (--against)`, dir: join(against, d), extra: {} })) : []),
    {
      name: SOURCE_MAPS,
      dir: join(root, 'dist', 'functions', 'user'),
      extra: { NODE_OPTIONS: '--enable-source-maps' },
    },
  ];
  const inits = new Map(rieTargets.map((t) => [t.name, [] as number[]]));
  for (let i = 0; i < runs; i++) {
    for (const t of rieTargets) inits.get(t.name)!.push(await initOf(t.dir, t.extra));
  }
  const rieBase = median(inits.get(rieTargets[0]!.name)!);
  console.log(`\nINIT under the Runtime Interface Emulator, median of ${runs} fresh environments`);
  console.log(`${'bundle'.padEnd(26)} ${'INIT ms'.padStart(10)} ${'vs baseline'.padStart(12)}`);
  for (const t of rieTargets) {
    const init = median(inits.get(t.name)!);
    console.log(
      `${t.name.padEnd(26)} ${init.toFixed(1).padStart(10)} ${signed(init - rieBase).padStart(12)}`,
    );
  }
  const maps = median(inits.get(SOURCE_MAPS)!) - median(inits.get('user')!);
  console.log(`NODE_OPTIONS=--enable-source-maps: ${signed(maps)} of the user function's INIT`);
}
