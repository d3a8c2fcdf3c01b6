/**
 * Where each function's code comes from. Deployments bundle functions/<domain>/handler.ts with
 * esbuild using the very options `npm run build` uses (functionBuildOptions), so the deployed artifact
 * is the built one. Synthesis that only needs the template (tests before the handlers exist,
 * `-c lrt:skipBundling=true`) uses a placeholder that fails loudly if ever invoked.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AssetHashType, DockerImage } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { type BuildOptions, buildSync } from 'esbuild';
import { DOMAINS, type Domain } from '../config/event-sources.ts';

export type FunctionCode = (domain: Domain) => lambda.Code;
export type FunctionBuildOptions = (domain: string, outdir: string) => BuildOptions;

export const PROJECT_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export function handlerEntry(domain: Domain): string {
  return join(PROJECT_ROOT, 'functions', domain, 'handler.ts');
}

/** esbuild options for one function: `npm run build` (scripts/build.ts) and CDK bundle with these. */
export function functionBuildOptions(
  domain: string,
  outdir = join(PROJECT_ROOT, 'dist', 'functions', domain),
): BuildOptions {
  return {
    entryPoints: { index: join(PROJECT_ROOT, 'functions', domain, 'handler.ts') },
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

/** True once every domain has its handler source, i.e. real bundling can work. */
export function handlersExist(): boolean {
  return DOMAINS.every((domain) => existsSync(handlerEntry(domain)));
}

/** Bundles locally with esbuild; the asset hash is the bundle's, so shared/ changes redeploy. */
export function bundledFunctionCode(buildOptions: FunctionBuildOptions): FunctionCode {
  return (domain) =>
    lambda.Code.fromAsset(dirname(handlerEntry(domain)), {
      assetHashType: AssetHashType.OUTPUT,
      bundling: {
        // Never pulled: local bundling always succeeds or throws esbuild's error.
        image: DockerImage.fromRegistry('public.ecr.aws/lambda/nodejs:24'),
        local: {
          tryBundle(outputDir: string): boolean {
            buildSync(buildOptions(domain, outputDir));
            return true;
          },
        },
      },
    });
}

/** PLACEHOLDER code for template-only synthesis (lrt:skipBundling). Never deploy it. */
export function placeholderFunctionCode(): FunctionCode {
  return (domain) =>
    lambda.Code.fromInline(
      `exports.handler = async () => { throw new Error('placeholder ${domain} code: synthesized with lrt:skipBundling'); };`,
    );
}
