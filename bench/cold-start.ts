/**
 * Cold-start cost of each function bundle: the time a fresh Node.js process spends importing
 * dist/functions/<domain>/index.mjs (module load and cold-start configuration; the database pool
 * connects lazily, on the first batch), side by side with two baselines built the same way, in
 * alternating runs so all see the same machine load: an empty handler, and the plain bundle of the
 * same dependencies (bench/plain-handler.ts: mysql2, the Secrets Manager client, the RDS signer,
 * Powertools, zod/mini and middy used the plain way, none of our code). A function's INIT over the
 * plain bundle's is what our own code costs; issue 20's target is that it be none. Each function
 * against the plain bundle is also compared round by round (the median difference, and in how
 * many rounds the function was slower, with a sign test's p: below 0.05 is "slower beyond
 * noise"). Two more bundles
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
 * handler's import — beside the two baselines', in the same alternating runs; and the user
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

/** Bundles a handler's entry file with the functions' options; returns the bundle's path. */
async function bundleEntry(name: string, entry: string): Promise<string> {
  const dir = join(tmpdir(), `lrt-bench-${name}`);
  mkdirSync(dir, { recursive: true });
  await build({
    ...functionBuildOptions('user', dir),
    entryPoints: { index: entry },
    nodePaths: [join(root, 'node_modules')],
  });
  return join(dir, 'index.mjs');
}

/** Bundles a handler's source with the functions' options; returns the bundle's path. */
async function bundle(name: string, source: string): Promise<string> {
  const dir = join(tmpdir(), `lrt-bench-${name}-src`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'handler.ts'), source);
  return bundleEntry(name, join(dir, 'handler.ts'));
}

// Baseline: an empty handler, bundled with the same options.
const baseline = await bundle(
  'baseline',
  'export const handler = async () => ({ batchItemFailures: [] });\n',
);
// The plain bundle: the functions' dependencies, used the plain way, none of our code.
const plain = await bundleEntry('plain', join(root, 'bench', 'plain-handler.ts'));
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
const EMPTY = 'baseline (empty handler)';
const PLAIN = 'plain bundle (same deps)';
const functionFile = (d: string, file = 'index.mjs') => join(root, 'dist', 'functions', d, file);
const targets = [
  { name: EMPTY, file: baseline },
  { name: PLAIN, file: plain },
  ...DOMAINS.map((d) => ({ name: d, file: functionFile(d) })),
  ...(against ? DOMAINS.map((d) => ({ name: `${d} (--against)`, file: join(against, d, 'index.mjs') })) : []),
  { name: 'logs+metrics: as wired', file: wired },
  { name: POWERTOOLS, file: powertools },
];
const samples = new Map(targets.map((t) => [t.name, [] as Sample[]]));
for (let i = 0; i < runs; i++) for (const t of targets) samples.get(t.name)!.push(probe(t.file));

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const medianOf = (name: string, of: keyof Sample) => median(samples.get(name)!.map((s) => s[of]));
const base = { wall: medianOf(EMPTY, 'wall'), cpu: medianOf(EMPTY, 'cpu') };
const plainBase = { wall: medianOf(PLAIN, 'wall'), cpu: medianOf(PLAIN, 'cpu') };
const signed = (ms: number) => `${ms >= 0 ? '+' : ''}${ms.toFixed(1)} ms`;
const kibOf = (file: string) => statSync(file).size / 1024;

/**
 * One-sided sign test: the chance of at least `slower` rounds of `n` with the function slower if,
 * in truth, it were as fast as the plain bundle (each round then a coin toss).
 */
function signTest(slower: number, n: number): number {
  let tail = 0;
  let choose = 1; // C(n, 0)
  for (let k = 0; k <= n; k++) {
    if (k >= slower) tail += choose;
    choose = (choose * (n - k)) / (k + 1);
  }
  return tail / 2 ** n;
}

/**
 * A bundle against the plain one, round by round (the runs alternate, so a round's two samples saw
 * the same machine): the median of the differences, the ratio of the medians, the rounds in which
 * it was slower and the sign test's p. Slower beyond noise: p < 0.05.
 */
function againstPlain(of: number[], plainOf: number[]): { text: string; slower: boolean } {
  const differences = of.map((x, i) => x - plainOf[i]!);
  const slower = differences.filter((d) => d > 0).length;
  const p = signTest(slower, differences.length);
  return {
    text: `${signed(median(differences))} (${(median(of) / median(plainOf)).toFixed(2)}×), slower in ${slower} of ${differences.length} rounds (sign test p = ${p.toFixed(3)})`,
    slower: p < 0.05,
  };
}

console.log(
  `import time of each bundle in a fresh process, median of ${runs} (Node ${process.versions.node})`,
);
const columns = ['KiB', 'median ms', 'vs empty', 'vs plain', 'cpu ms', 'vs empty', 'vs plain'];
const widths = [6, 10, 11, 11, 8, 11, 11];
const row = (name: string, cells: string[]) =>
  `${name.padEnd(26)} ${cells.map((c, i) => c.padStart(widths[i]!)).join(' ')}`;
console.log(row('bundle', columns));
for (const t of targets) {
  const wall = medianOf(t.name, 'wall');
  const cpu = medianOf(t.name, 'cpu');
  console.log(
    row(t.name, [
      kibOf(t.file).toFixed(0),
      wall.toFixed(1),
      signed(wall - base.wall),
      signed(wall - plainBase.wall),
      cpu.toFixed(1),
      signed(cpu - base.cpu),
      signed(cpu - plainBase.cpu),
    ]),
  );
}
console.log(
  `the plain bundle (bench/plain-handler.ts: mysql2, Secrets Manager, RDS signer, Powertools, zod/mini, middy; ${kibOf(plain).toFixed(0)} KiB) over the empty handler: ${signed(plainBase.wall - base.wall)} (cpu ${signed(plainBase.cpu - base.cpu)})`,
);
for (const d of DOMAINS) {
  const of = (name: string, key: keyof Sample) => samples.get(name)!.map((s) => s[key]);
  const cpu = againstPlain(of(d, 'cpu'), of(PLAIN, 'cpu'));
  const wall = againstPlain(of(d, 'wall'), of(PLAIN, 'wall'));
  const decoders = kibOf(functionFile(d, 'source-decoders.mjs'));
  console.log(
    `${d} against the plain bundle: cpu ${cpu.text}; wall ${wall.text}; ${cpu.slower ? 'SLOWER beyond noise (cpu)' : 'not measurably slower (cpu)'}; bundle ${kibOf(functionFile(d)).toFixed(0)} KiB (+ ${decoders.toFixed(0)} KiB of decoders loaded on demand) ${kibOf(functionFile(d)) <= 1024 ? '≤' : '>'} 1 MiB`,
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
    { name: EMPTY, dir: dirname(baseline), extra: {} },
    { name: PLAIN, dir: dirname(plain), extra: {} },
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
  const rieBase = median(inits.get(EMPTY)!);
  const riePlain = median(inits.get(PLAIN)!);
  console.log(`\nINIT under the Runtime Interface Emulator, median of ${runs} fresh environments`);
  console.log(
    `${'bundle'.padEnd(26)} ${'INIT ms'.padStart(10)} ${'vs empty'.padStart(11)} ${'vs plain'.padStart(11)}`,
  );
  for (const t of rieTargets) {
    const init = median(inits.get(t.name)!);
    console.log(
      `${t.name.padEnd(26)} ${init.toFixed(1).padStart(10)} ${signed(init - rieBase).padStart(11)} ${signed(init - riePlain).padStart(11)}`,
    );
  }
  for (const d of DOMAINS) {
    const init = againstPlain(inits.get(d)!, inits.get(PLAIN)!);
    console.log(
      `${d} INIT against the plain bundle: ${init.text}; ${init.slower ? 'SLOWER beyond noise' : 'not measurably slower'}`,
    );
  }
  const maps = median(inits.get(SOURCE_MAPS)!) - median(inits.get('user')!);
  console.log(`NODE_OPTIONS=--enable-source-maps: ${signed(maps)} of the user function's INIT`);
}
