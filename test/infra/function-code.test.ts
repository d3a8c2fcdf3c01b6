/**
 * The deployment path: CDK stages each function's asset by bundling its handler with
 * functionBuildOptions (infra/lib/function-code.ts), as `npm run build` does: index.mjs + source
 * map for each domain, and for the schema-migration function also the migrations beside it.
 */
import { X509Certificate } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { rootCertificates } from 'node:tls';
import { pathToFileURL } from 'node:url';
import { App, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { MIGRATIONS_DIR } from '../../db/migrate.ts';
import {
  bundledFunctionCode,
  FUNCTION_NAMES,
  functionBuildOptions,
  handlersExist,
  NODE_ENVIRONMENT,
  placeholderFunctionCode,
  RDS_CA_FILE,
  rdsCaCertificates,
} from '../../infra/lib/function-code.ts';

type PacketClass = new (
  id: number,
  buffer: Buffer,
  start: number,
  end: number,
) => { asError(encoding: string): Error & Record<string, unknown> };

describe('function code', () => {
  it('bundles every handler into the staged asset, as npm run build does', async () => {
    expect(handlersExist()).toBe(true);
    const app = new App({ outdir: mkdtempSync(join(tmpdir(), 'lrt-code-')) });
    const stack = new Stack(app, 'Code');
    const code = bundledFunctionCode();
    for (const name of FUNCTION_NAMES) {
      new lambda.Function(stack, name, {
        runtime: lambda.Runtime.NODEJS_24_X,
        handler: 'index.handler',
        code: code(name),
      });
    }
    const assembly = app.synth();
    const staged = readdirSync(assembly.directory).filter((name) => name.startsWith('asset.'));
    expect(staged).toHaveLength(FUNCTION_NAMES.length);
    for (const dir of staged) {
      expect(existsSync(join(assembly.directory, dir, 'index.mjs'))).toBe(true);
      expect(existsSync(join(assembly.directory, dir, 'index.mjs.map'))).toBe(true);
      // The RDS CAs NODE_EXTRA_CA_CERTS points at (/var/task is the package's root), and none of
      // the 177 KiB CA bundle in the code itself.
      expect(readFileSync(join(assembly.directory, dir, RDS_CA_FILE), 'utf8')).toBe(rdsCaCertificates());
      expect(readFileSync(join(assembly.directory, dir, 'index.mjs'), 'utf8')).not.toContain(
        'BEGIN CERTIFICATE',
      );
    }
    // The schema-migration function carries the migrations, byte for byte, where db/migrate.ts
    // looks for them once bundled: migrations/ next to index.mjs. Only it does.
    const withMigrations = staged.filter((d) => existsSync(join(assembly.directory, d, 'migrations')));
    expect(withMigrations).toHaveLength(1);
    const dir = join(assembly.directory, withMigrations[0]!);
    expect(readFileSync(join(dir, 'index.mjs'), 'utf8')).toContain('schema_migrations');
    const migrations = readdirSync(MIGRATIONS_DIR).filter((f) => f.endsWith('.sql'));
    expect(migrations.length).toBeGreaterThan(0);
    expect(readdirSync(join(dir, 'migrations')).sort()).toEqual(migrations.sort());
    for (const file of migrations) {
      expect(readFileSync(join(dir, 'migrations', file))).toEqual(readFileSync(join(MIGRATIONS_DIR, file)));
    }
  }, 120_000);

  it("adds to Node's CA store exactly the Amazon RDS CAs it lacks, still valid", () => {
    expect(NODE_ENVIRONMENT.NODE_EXTRA_CA_CERTS).toBe(`/var/task/${RDS_CA_FILE}`);
    const pems =
      rdsCaCertificates().match(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g) ?? [];
    const certs = pems.map((pem) => new X509Certificate(pem));
    const nodeStore = new Set(rootCertificates.map((pem) => new X509Certificate(pem).fingerprint256));
    // Every region's RSA2048, RSA4096 and ECC384 G1 roots at least; none Node holds, none expired.
    expect(certs.length).toBeGreaterThanOrEqual(3 * 27);
    expect(certs.every((c) => /CN=Amazon RDS /.test(c.subject))).toBe(true);
    expect(certs.some((c) => nodeStore.has(c.fingerprint256))).toBe(false);
    expect(certs.every((c) => new Date(c.validTo) > new Date())).toBe(true);
    // RDS Proxy's ACM certificates chain to Amazon Root CA 1, which Node's own store holds.
    expect(
      rootCertificates.some((pem) => new X509Certificate(pem).subject.includes('CN=Amazon Root CA 1')),
    ).toBe(true);
  });

  it("builds mysql2's error-name table on first use, the same table", async () => {
    const mysql2 = dirname(createRequire(import.meta.url).resolve('mysql2'));
    const dir = mkdtempSync(join(tmpdir(), 'lrt-mysql-errors-'));
    const entry = join(dir, 'entry.cjs');
    writeFileSync(
      entry,
      `const Packet = require(${JSON.stringify(join(mysql2, 'lib', 'packets', 'packet.js'))});
const Pool = require(${JSON.stringify(join(mysql2, 'lib', 'base', 'pool.js'))});
module.exports = { Packet, Pool };`,
    );
    await build({ ...functionBuildOptions('user', dir), entryPoints: { index: entry }, sourcemap: false });
    const bundle = readFileSync(join(dir, 'index.mjs'), 'utf8');
    // Bundled, but behind the proxy: the table's module runs only when first read.
    expect(bundle).toContain('ER_LOCK_DEADLOCK');
    expect(bundle).toMatch(/new Proxy\(/);
    const { Packet } = (
      (await import(pathToFileURL(join(dir, 'index.mjs')).href)) as { default: { Packet: PacketClass } }
    ).default;
    // An ERR packet: 0xff, error 1213, '#40001', the message.
    const payload = Buffer.concat([Buffer.from([0xff, 0xbd, 0x04]), Buffer.from('#40001Deadlock found')]);
    const packet = new Packet(0, Buffer.concat([Buffer.alloc(4), payload]), 0, 4 + payload.length);
    const error = packet.asError('utf8');
    expect(error).toMatchObject({ errno: 1213, code: 'ER_LOCK_DEADLOCK', sqlState: '40001' });
    expect(error.message).toBe('Deadlock found');
  });

  it('leaves the SQL compiler out of the function bundles, which load their SQL precompiled', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lrt-no-sql-compiler-'));
    const { metafile } = await build({
      ...functionBuildOptions('order', dir),
      write: false,
      sourcemap: false,
    });
    const inputs = Object.keys(
      metafile!.outputs[Object.keys(metafile!.outputs).find((f) => f.endsWith('index.mjs'))!]!.inputs,
    );
    expect(inputs).toContain('shared/domains/sql.compiled.json');
    expect(inputs).toContain('shared/pipeline/sql-not-bundled.ts');
    expect(
      inputs.filter((f) => f === 'shared/pipeline/sql.ts' || f.startsWith('shared/pipeline/sql/')),
    ).toEqual([]);
    const { compileSql } = await import('../../shared/pipeline/sql-not-bundled.ts');
    expect(() => compileSql()).toThrow(/run npm run build/);
  });

  it('marks the placeholder code so it can never pass for the real thing', () => {
    const stack = new Stack(new App(), 'Placeholder');
    const bound = placeholderFunctionCode()('order').bind(stack);
    expect(bound.inlineCode).toContain("throw new Error('placeholder order code");
  });
});
