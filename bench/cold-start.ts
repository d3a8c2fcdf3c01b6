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
 *   npm run build && npm run bench:cold-start [-- --runs 15] [-- --against /tmp/functions-before]
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';
import { functionBuildOptions } from '../infra/lib/function-code.ts';
import { DOMAIN_NAMES as DOMAINS } from '../shared/domains/registry.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: { runs: { type: 'string', default: '15' }, against: { type: 'string' } },
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
