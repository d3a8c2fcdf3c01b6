/**
 * Bundles each function with esbuild into dist/functions/<name>/index.mjs — the artifacts CDK
 * deploys (docs/architecture.md, contract 1): one per domain (functions/<domain>/handler.ts) and
 * the schema-migration function (db/migrate-handler.ts, with the migrations beside it).
 */
import { build } from 'esbuild';
import { copyRuntimeFiles, FUNCTION_NAMES, functionBuildOptions } from '../infra/lib/function-code.ts';

for (const name of FUNCTION_NAMES) {
  const options = functionBuildOptions(name);
  const result = await build(options);
  copyRuntimeFiles(name, options.outdir!);
  const bytes = Object.entries(result.metafile?.outputs ?? {})
    .filter(([file]) => file.endsWith('.mjs'))
    .reduce((sum, [, out]) => sum + out.bytes, 0);
  console.log(`dist/functions/${name}/index.mjs  ${(bytes / 1024).toFixed(0)} KiB`);
}
