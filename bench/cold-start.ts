/**
 * Cold-start cost of each function bundle: the time a fresh Node.js process spends importing
 * dist/functions/<domain>/index.mjs (module load and cold-start configuration; the database pool
 * connects lazily, on the first batch), side by side with a baseline bundle of an empty handler
 * built the same way, in alternating runs so both see the same machine load. Two more bundles
 * settle a choice: logging and EMF metrics with this project's own few lines, and with Powertools
 * for AWS Lambda's Logger and Metrics (kept out unless they cost at most 15 ms of INIT together).
 *
 *   npm run build && npm run bench:cold-start [-- --runs 15]
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
const { values } = parseArgs({ options: { runs: { type: 'string', default: '15' } } });
const runs = Number(values.runs);
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
const ownObservability = await bundle(
  'own-observability',
  `import { Logger } from ${JSON.stringify(join(root, 'shared/observability/logger.ts'))};
import { Metrics } from ${JSON.stringify(join(root, 'shared/observability/metrics.ts'))};
const log = new Logger({ level: 'info', fields: { function: 'user' }, write: () => {} });
const metrics = new Metrics('bench', { function: 'user' }, () => {});
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
const probe = (file: string) =>
  Number(
    execFileSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `const t = performance.now(); await import(${JSON.stringify(file)}); console.log(performance.now() - t);`,
      ],
      { env },
    ).toString(),
  );

const targets = [
  { name: 'baseline (empty handler)', file: baseline },
  ...DOMAINS.map((d) => ({ name: d, file: join(root, 'dist', 'functions', d, 'index.mjs') })),
  { name: 'logs+metrics: ours', file: ownObservability },
  { name: 'logs+metrics: Powertools', file: powertools },
];
const samples = new Map(targets.map((t) => [t.name, [] as number[]]));
for (let i = 0; i < runs; i++) for (const t of targets) samples.get(t.name)!.push(probe(t.file));

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const base = median(samples.get(targets[0]!.name)!);
console.log(
  `import time of each bundle in a fresh process, median of ${runs} (Node ${process.versions.node})`,
);
console.log(
  `${'bundle'.padEnd(26)} ${'KiB'.padStart(6)} ${'median ms'.padStart(10)} ${'vs baseline'.padStart(12)}`,
);
for (const t of targets) {
  const m = median(samples.get(t.name)!);
  const kib = (statSync(t.file).size / 1024).toFixed(0);
  console.log(
    `${t.name.padEnd(26)} ${kib.padStart(6)} ${m.toFixed(1).padStart(10)} ${`+${(m - base).toFixed(1)} ms`.padStart(12)}`,
  );
}
const powertoolsCost = median(samples.get('logs+metrics: Powertools')!) - base;
console.log(
  `Powertools Logger + Metrics: +${powertoolsCost.toFixed(1)} ms of INIT over the baseline (budget ${POWERTOOLS_BUDGET_MS} ms): ${
    powertoolsCost > POWERTOOLS_BUDGET_MS
      ? 'over it, so the functions keep their own logger and EMF writer'
      : 'within it'
  }`,
);
