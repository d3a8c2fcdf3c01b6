/**
 * Cold-start cost of each function bundle: the time a fresh Node.js process spends importing
 * dist/functions/<domain>/index.mjs (module load and cold-start configuration; the database pool
 * connects lazily, on the first batch), side by side with a baseline bundle of an empty handler
 * built the same way, in alternating runs so both see the same machine load.
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

// Baseline: an empty handler, bundled with the same options.
const baseDir = join(tmpdir(), 'lrt-bench-baseline');
mkdirSync(join(baseDir, 'src'), { recursive: true });
writeFileSync(
  join(baseDir, 'src', 'handler.ts'),
  'export const handler = async () => ({ batchItemFailures: [] });\n',
);
await build({
  ...functionBuildOptions('user', baseDir),
  entryPoints: { index: join(baseDir, 'src', 'handler.ts') },
});

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
  { name: 'baseline (empty handler)', file: join(baseDir, 'index.mjs') },
  ...DOMAINS.map((d) => ({ name: d, file: join(root, 'dist', 'functions', d, 'index.mjs') })),
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
