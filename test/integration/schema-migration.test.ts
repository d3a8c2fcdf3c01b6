/**
 * The schema-migration function (db/migrate-handler.ts) against the real database and the AWS
 * emulator, as the deployment's trigger invokes it: its secrets in Secrets Manager, an empty
 * database. The bundle CDK deploys is built and run, so the migrations are found beside it; then
 * re-runs, a new migration and table, and each way it fails the deployment with a clear message.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CreateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { type Connection, createConnection } from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Migration, readMigrations } from '../../db/migrate.ts';
import { createMigrationHandler, type MigrationSummary } from '../../db/migrate-handler.ts';
import { CLONE_SUFFIX, type Login } from '../../db/users.ts';
import { bundleFunction, SCHEMA_FUNCTION } from '../../infra/lib/function-code.ts';
import { DIMENSIONS, TABLES } from '../../shared/domains/registry.ts';
import { connectAs } from '../support/database.ts';
import { secretsManager, services, uniqueName } from '../support/services.ts';

const name = uniqueName('lrt_schema').slice(0, 64);
const suffix = name.slice(-6); // users ≤ 10 characters: the rotation twin fits in 16
const app: Login = { user: `app_${suffix}`, password: `app-Pw-${suffix}` };
const migrator: Login = { user: `mig_${suffix}`, password: `mig-Pw-${suffix}` };
let admin: Connection;
let env: Record<string, string>;
const logs: string[] = [];

function migration(version: number, label: string, sql: string): Migration {
  return { version, name: label, sql, checksum: createHash('sha256').update(sql).digest('hex') };
}

const handler = (overrides: Parameters<typeof createMigrationHandler>[0] = {}) =>
  createMigrationHandler({ env, writeLog: (line) => logs.push(line), ...overrides })();

beforeAll(async () => {
  const { db, aws } = services();
  admin = await createConnection({ host: db.host, port: db.port, user: db.user, password: db.password });
  await admin.query(`CREATE DATABASE ${name}`);
  const sm = secretsManager();
  const secret = async (id: string, login: Login, extra: Record<string, string> = {}) => {
    const secretId = `lambda-realtime/test/${name}/${id}`;
    const value = {
      engine: 'mysql',
      host: db.host,
      port: db.port,
      dbname: name,
      ...extra,
      username: login.user,
      password: login.password,
    };
    await sm.send(new CreateSecretCommand({ Name: secretId, SecretString: JSON.stringify(value) }));
    return secretId;
  };
  const adminSecret = await secret('admin', { user: db.user, password: db.password });
  env = {
    DB_ADMIN_SECRET_ID: adminSecret,
    DB_MIGRATOR_SECRET_ID: await secret('migrator', migrator, { masterarn: adminSecret }),
    DB_APP_SECRET_ID: await secret('app', app, { masterarn: adminSecret }),
    DB_NAME: name,
    DB_TLS: 'off',
    AWS_ENDPOINT_URL: aws.endpoint,
    AWS_REGION: aws.region,
    AWS_ACCESS_KEY_ID: aws.accessKeyId,
    AWS_SECRET_ACCESS_KEY: aws.secretAccessKey,
  };
  sm.destroy();
});

afterAll(async () => {
  await admin.query(`DROP DATABASE IF EXISTS ${name}`);
  for (const { user } of [app, migrator]) {
    for (const u of [user, `${user}${CLONE_SUFFIX}`]) await admin.query(`DROP USER IF EXISTS ?@'%'`, [u]);
  }
  await admin.end();
});

describe('the schema-migration function', () => {
  it('deploys an empty database from its bundle: users, every migration as the migrator, the app grants', async () => {
    // The artifact CDK deploys: index.mjs with migrations/ beside it, nothing read from db/.
    const outdir = mkdtempSync(join(tmpdir(), 'lrt-schema-bundle-'));
    bundleFunction(SCHEMA_FUNCTION, outdir);
    const bundle = (await import(pathToFileURL(join(outdir, 'index.mjs')).href)) as {
      handler: () => Promise<MigrationSummary>;
    };
    const saved = { ...process.env };
    Object.assign(process.env, env);
    let summary: MigrationSummary;
    try {
      summary = await bundle.handler();
    } finally {
      for (const key of Object.keys(env)) delete process.env[key];
      Object.assign(process.env, saved);
    }
    expect(summary.migrations.applied).toEqual(
      readMigrations().map((m) => `${String(m.version).padStart(3, '0')}_${m.name}`),
    );
    expect(summary.users.created).toEqual([app.user, migrator.user]);
    expect(summary.users.granted).toContain(`${app.user}: SELECT ON ${name}.dim_user`);
    expect(summary).toMatchObject({ database: name, app: app.user, migrator: migrator.user });

    // The functions' user can write what the sink writes and nothing more.
    const conn = await connectAs(app, name);
    try {
      await conn.query(
        `INSERT INTO event_dead_letter (kafka_topic, kafka_partition, kafka_offset, reason, error_message, function_domain)
         VALUES ('t', 0, 1, 'not_json', 'x', 'user')`,
      );
      await expect(conn.query('CREATE TABLE probe (id INT)')).rejects.toThrow(/CREATE command denied/);
      await expect(conn.query('DELETE FROM event_dead_letter')).rejects.toThrow(/DELETE command denied/);
    } finally {
      await conn.end();
    }
  }, 120_000);

  it('changes nothing when it runs again', async () => {
    const summary = await handler();
    expect(summary.migrations.applied).toEqual([]);
    expect(summary.migrations.skipped).toHaveLength(readMigrations().length);
    expect(summary.users).toEqual({ created: [], granted: [], revoked: [] });
  });

  it('applies a new migration and grants the app user the table it adds to the registry', async () => {
    const probe = migration(
      900,
      'probe_wide',
      'CREATE TABLE IF NOT EXISTS probe_wide (event_id VARCHAR(64) NOT NULL PRIMARY KEY)',
    );
    const summary = await handler({
      migrations: () => [...readMigrations(), probe],
      tables: [...TABLES, { name: 'probe_wide' }],
      dimensions: DIMENSIONS,
    });
    expect(summary.migrations.applied).toEqual(['900_probe_wide']);
    expect(summary.users.granted).toEqual([`${app.user}: SELECT, INSERT, UPDATE ON ${name}.probe_wide`]);
    const conn = await connectAs(app, name);
    try {
      await conn.query(`INSERT INTO probe_wide (event_id) VALUES ('e1')`);
    } finally {
      await conn.end();
    }
    await admin.query(`DROP TABLE ${name}.probe_wide`);
    await admin.query(`DELETE FROM ${name}.schema_migrations WHERE version = 900`);
    expect((await handler()).users.revoked).toEqual([
      `${app.user}: SELECT, INSERT, UPDATE ON ${name}.probe_wide`,
    ]);
  });

  it("fails with the migration's own error; a corrected file then runs", async () => {
    const broken = migration(901, 'broken', 'CREATE TABLE broken_wide (id INT PRIMARY KEY, id INT)');
    await expect(handler({ migrations: () => [...readMigrations(), broken] })).rejects.toThrow(
      new RegExp(
        `^migrations \\(as ${migrator.user}\\): Duplicate column name 'id' \\(migration 901_broken\\.sql`,
      ),
    );
    const fixed = migration(901, 'broken', 'CREATE TABLE broken_wide (id INT PRIMARY KEY)');
    expect((await handler({ migrations: () => [...readMigrations(), fixed] })).migrations.applied).toEqual([
      '901_broken',
    ]);
    await admin.query(`DROP TABLE ${name}.broken_wide`);
    await admin.query(`DELETE FROM ${name}.schema_migrations WHERE version = 901`);
  });

  it("succeeds as the previous version in a rollback, leaving the failed deployment's newer migrations alone", async () => {
    // What a failed deployment may leave: a migration applied, another stopped half-way.
    await admin.query(
      `INSERT INTO ${name}.schema_migrations (version, name, checksum, status) VALUES (950, 'newer', 'x', 'applied'), (951, 'half', 'y', 'started')`,
    );
    const summary = await handler();
    expect(summary.migrations).toMatchObject({ applied: [], newer: ['950_newer', '951_half (started)'] });
    expect(logs.join('\n')).toContain('the database has migrations newer than this code');
    await admin.query(`DELETE FROM ${name}.schema_migrations WHERE version IN (950, 951)`);
  });

  it('fails naming a table of the registry that no migration creates', async () => {
    await expect(handler({ tables: [...TABLES, { name: 'forgotten_wide' }] })).rejects.toThrow(
      /^grants \(as the administrator\): cannot grant the app user its tables: forgotten_wide does not exist/,
    );
  });

  it('fails naming every missing variable, and a refused administrator login, never showing a password', async () => {
    const { DB_APP_SECRET_ID: _, DB_NAME: __, ...partial } = env;
    await expect(handler({ env: partial })).rejects.toThrow(
      /^invalid configuration: DB_APP_SECRET_ID .*; DB_NAME /,
    );

    const { db } = services();
    const sm = secretsManager();
    const wrong = `lambda-realtime/test/${name}/wrong-admin`;
    await sm.send(
      new CreateSecretCommand({
        Name: wrong,
        SecretString: JSON.stringify({
          username: db.user,
          password: 'not-the-Pw-1',
          host: db.host,
          port: db.port,
        }),
      }),
    );
    sm.destroy();
    await expect(handler({ env: { ...env, DB_ADMIN_SECRET_ID: wrong } })).rejects.toThrow(
      /^cannot log in as the administrator: Access denied for user/,
    );
    const written = logs.join('\n');
    expect(written).toContain('schema deployment failed');
    for (const password of [app.password, migrator.password, db.password, 'not-the-Pw-1']) {
      expect(written).not.toContain(password);
    }
  });
});
