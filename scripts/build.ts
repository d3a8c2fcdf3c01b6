/**
 * Bundles each function (functions/<domain>/handler.ts) with esbuild into
 * dist/functions/<domain>/index.mjs — the artifact CDK deploys (docs/architecture.md, contract 1).
 */
import { build } from 'esbuild';
import { functionBuildOptions } from '../infra/lib/function-code.ts';
import { DOMAIN_NAMES } from '../shared/domains/registry.ts';

for (const domain of DOMAIN_NAMES) {
  const result = await build(functionBuildOptions(domain));
  const bytes = Object.entries(result.metafile?.outputs ?? {})
    .filter(([file]) => file.endsWith('.mjs'))
    .reduce((sum, [, out]) => sum + out.bytes, 0);
  console.log(`dist/functions/${domain}/index.mjs  ${(bytes / 1024).toFixed(0)} KiB`);
}
