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
  // One line per bundle: index.mjs, and the domain functions' source-decoders.mjs (loaded on demand).
  for (const [file, out] of Object.entries(result.metafile?.outputs ?? {})) {
    if (!file.endsWith('.mjs')) continue;
    console.log(`dist/functions/${name}/${file.split('/').at(-1)}  ${(out.bytes / 1024).toFixed(0)} KiB`);
  }
}
