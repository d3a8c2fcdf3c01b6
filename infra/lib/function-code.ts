/**
 * Where each function's code comes from. Deployments bundle functions/<domain>/handler.ts (one
 * function per domain) and db/migrate-handler.ts (the schema-migration function, which is no
 * domain and so lives with the migrations it runs) with esbuild using the very options `npm run
 * build` uses (functionBuildOptions, bundleFunction), so the deployed artifact is the built one.
 * Synthesis that only needs the template (`-c lrt:skipBundling=true`) uses a placeholder that
 * fails loudly if ever invoked.
 */
import { cpSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AssetHashType, DockerImage } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { type BuildOptions, buildSync } from 'esbuild';
import { DOMAINS, type Domain } from '../config/event-sources.ts';

/** The schema-migration function's name among the functions (never a domain's). */
export const SCHEMA_FUNCTION = 'schema-migration';
/** The decoders' bundle name, beside index.mjs; shared/pipeline/registry-records.ts imports it by this name. */
export const SOURCE_DECODERS_BUNDLE = 'source-decoders';
export type FunctionName = Domain | typeof SCHEMA_FUNCTION;

export type FunctionCode = (name: FunctionName) => lambda.Code;
export type FunctionBuildOptions = (name: string, outdir: string) => BuildOptions;

export const PROJECT_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const SOURCE_DECODERS_ENTRY = join(PROJECT_ROOT, 'shared', 'pipeline', 'source-decoders.ts');

/** The handler source of a function. */
export function handlerEntry(name: FunctionName | string): string {
  return name === SCHEMA_FUNCTION
    ? join(PROJECT_ROOT, 'db', 'migrate-handler.ts')
    : join(PROJECT_ROOT, 'functions', name, 'handler.ts');
}

/** Every function: one per domain, and the schema-migration function. */
export const FUNCTION_NAMES: readonly FunctionName[] = [...DOMAINS, SCHEMA_FUNCTION];

/** esbuild options for one function: `npm run build` (scripts/build.ts) and CDK bundle with these. */
export function functionBuildOptions(
  name: string,
  outdir = join(PROJECT_ROOT, 'dist', 'functions', name),
): BuildOptions {
  return {
    entryPoints: {
      index: handlerEntry(name),
      // The Avro and Protobuf decoders (avsc, protobufjs) as a bundle of their own beside index.mjs,
      // imported only by a batch holding SOURCE-format records (shared/pipeline/registry-records.ts):
      // a JSON-fed function parses none of it at INIT (README, "Schema registries").
      ...(name === SCHEMA_FUNCTION ? {} : { [SOURCE_DECODERS_BUNDLE]: SOURCE_DECODERS_ENTRY }),
    },
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
    // mysql2 needs iconv-lite only for character sets Node lacks, which these tables never use.
    alias: { 'iconv-lite': join(PROJECT_ROOT, 'shared', 'sink', 'node-encodings.ts') },
    metafile: true,
    logLevel: 'warning',
  };
}

/**
 * Files a function reads at run time beside its bundle. The schema-migration function reads the
 * migrations from `migrations/` next to index.mjs (db/migrate.ts resolves them from its own
 * location, which in the bundle is index.mjs): they are part of its code, so a new migration
 * changes the asset hash and with it the function's version, which re-runs the trigger.
 */
export function copyRuntimeFiles(name: string, outdir: string): void {
  if (name === SCHEMA_FUNCTION) {
    cpSync(join(PROJECT_ROOT, 'db', 'migrations'), join(outdir, 'migrations'), { recursive: true });
  }
}

/** Bundles one function into `outdir`: esbuild, then its run-time files. */
export function bundleFunction(name: string, outdir: string): void {
  buildSync(functionBuildOptions(name, outdir));
  copyRuntimeFiles(name, outdir);
}

/** True once every function has its handler source, i.e. real bundling can work. */
export function handlersExist(): boolean {
  return FUNCTION_NAMES.every((name) => existsSync(handlerEntry(name)));
}

/** Bundles locally with esbuild; the asset hash is the bundle's, so shared/ changes redeploy. */
export function bundledFunctionCode(buildOptions: FunctionBuildOptions = functionBuildOptions): FunctionCode {
  return (name) =>
    lambda.Code.fromAsset(dirname(handlerEntry(name)), {
      assetHashType: AssetHashType.OUTPUT,
      bundling: {
        // Never pulled: local bundling always succeeds or throws esbuild's error.
        image: DockerImage.fromRegistry('public.ecr.aws/lambda/nodejs:24'),
        local: {
          tryBundle(outputDir: string): boolean {
            buildSync(buildOptions(name, outputDir));
            copyRuntimeFiles(name, outputDir);
            return true;
          },
        },
      },
    });
}

/** PLACEHOLDER code for template-only synthesis (lrt:skipBundling). Never deploy it. */
export function placeholderFunctionCode(): FunctionCode {
  return (name) =>
    lambda.Code.fromInline(
      `exports.handler = async () => { throw new Error('placeholder ${name} code: synthesized with lrt:skipBundling'); };`,
    );
}
