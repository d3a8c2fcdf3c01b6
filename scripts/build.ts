/**
 * Bundles each function (functions/<domain>/handler.ts) with esbuild into
 * dist/functions/<domain>/index.mjs — the artifact CDK deploys (DESIGN.md, contract 1).
 */
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BuildOptions, build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

export const DOMAINS = readdirSync(join(root, 'functions'), { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name)
  .sort();

/** esbuild options for one function; CDK bundles with the same ones. */
export function functionBuildOptions(
  domain: string,
  outdir = join(root, 'dist', 'functions', domain),
): BuildOptions {
  return {
    entryPoints: { index: join(root, 'functions', domain, 'handler.ts') },
    outdir,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    platform: 'node',
    target: 'node24',
    format: 'esm',
    minify: true,
    sourcemap: 'linked',
    legalComments: 'none',
    // ESM output still meets CommonJS dependencies that call require().
    banner: {
      js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
    },
    metafile: true,
    logLevel: 'warning',
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const domain of DOMAINS) {
    const result = await build(functionBuildOptions(domain));
    const bytes = Object.entries(result.metafile?.outputs ?? {})
      .filter(([file]) => file.endsWith('.mjs'))
      .reduce((sum, [, out]) => sum + out.bytes, 0);
    console.log(`dist/functions/${domain}/index.mjs  ${(bytes / 1024).toFixed(0)} KiB`);
  }
}
