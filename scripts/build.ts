/**
 * Bundles each function with esbuild into dist/functions/<name>/index.mjs — the artifacts CDK
 * deploys (docs/architecture.md, contract 1): one per domain (functions/<domain>/handler.ts) and
 * the schema-migration function (db/migrate-handler.ts, with the migrations beside it).
 *
 *   node scripts/build.ts [--function <name> --outdir <dir>]   one function elsewhere (CDK's
 *                                                               asset staging: bundleFunction)
 */
import { execFileSync } from 'node:child_process';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';
import { copyRuntimeFiles, FUNCTION_NAMES, functionBuildOptions } from '../infra/lib/function-code.ts';

const { values } = parseArgs({ options: { function: { type: 'string' }, outdir: { type: 'string' } } });
if (values.function && !FUNCTION_NAMES.includes(values.function as (typeof FUNCTION_NAMES)[number])) {
  throw new Error(`no function ${values.function} (${FUNCTION_NAMES.join(', ')})`);
}
if (Boolean(values.function) !== Boolean(values.outdir))
  throw new Error('--function and --outdir go together');

// The functions load the SQL processors from shared/domains/sql.compiled.json without checking them
// again at INIT: `npm run build` writes and checks that file first; CDK's asset staging (one
// function, here) refuses to bundle a file that is not what the SQL compiles to now.
if (values.function) {
  try {
    const compileSql = fileURLToPath(new URL('./compile-sql.ts', import.meta.url));
    execFileSync(process.execPath, [compileSql, '--check'], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (error) {
    throw new Error(
      `cannot bundle ${values.function}: ${String((error as { stderr?: Buffer }).stderr ?? error).trim()}`,
    );
  }
}

for (const name of values.function ? [values.function] : FUNCTION_NAMES) {
  const options = functionBuildOptions(name, values.outdir);
  const result = await build(options);
  copyRuntimeFiles(name, options.outdir!);
  // One line per bundle: index.mjs, and the domain functions' source-decoders.mjs (loaded on demand).
  for (const [file, out] of Object.entries(result.metafile?.outputs ?? {})) {
    if (!file.endsWith('.mjs')) continue;
    console.log(
      `${relative(process.cwd(), options.outdir!)}/${file.split('/').at(-1)}  ${(out.bytes / 1024).toFixed(0)} KiB`,
    );
  }
}
