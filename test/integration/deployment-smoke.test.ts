/**
 * `npm run smoke` (scripts/smoke.ts) against the local services, as it runs against a deployed
 * stack: the schema-migration function (its deploy, then its `verify` action) and the user
 * function run in process behind the same port the script drives AWS through; their secrets are
 * in the AWS emulator, the database is the real one. Only the stack's outputs and the mapping's
 * state are stand-ins (no CloudFormation or event source mapping runs here).
 */
import { CreateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { type Connection, createConnection } from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMigrationHandler } from '../../db/migrate-handler.ts';
import { CLONE_SUFFIX, type Login } from '../../db/users.ts';
import { type SmokePort, smoke } from '../../scripts/smoke.ts';
import { DOMAIN_NAMES, domain } from '../../shared/domains/registry.ts';
import { createHandler } from '../../shared/runtime/create-handler.ts';
import { tlsVariables } from '../support/database.ts';
import { lambdaContext } from '../support/events.ts';
import { secretsManager, services, uniqueName } from '../support/services.ts';

const name = uniqueName('lrt_smoke').slice(0, 64);
const suffix = name.slice(-6);
const app: Login = { user: `app_${suffix}`, password: `app-Pw-${suffix}` };
const migrator: Login = { user: `mig_${suffix}`, password: `mig-Pw-${suffix}` };
let admin: Connection;
let port: SmokePort & { lastResult: string };

beforeAll(async () => {
  const { db, aws } = services();
  admin = await createConnection({
    host: db.host,
    port: db.port,
    user: db.user,
    password: db.password,
    ...(db.ssl ? { ssl: db.ssl } : {}),
  });
  await admin.query(`CREATE DATABASE ${name}`);
  const sm = secretsManager();
  const secret = async (id: string, login: Login) => {
    const secretId = `lambda-realtime/test/${name}/${id}`;
    const value = {
      engine: 'mysql',
      host: db.host,
      port: db.port,
      dbname: name,
      username: login.user,
      password: login.password,
    };
    await sm.send(new CreateSecretCommand({ Name: secretId, SecretString: JSON.stringify(value) }));
    return secretId;
  };
  const awsEnv = {
    AWS_ENDPOINT_URL: aws.endpoint,
    AWS_REGION: aws.region,
    AWS_ACCESS_KEY_ID: aws.accessKeyId,
    AWS_SECRET_ACCESS_KEY: aws.secretAccessKey,
  };
  const schema = createMigrationHandler({
    env: {
      ...awsEnv,
      DB_ADMIN_SECRET_ID: await secret('admin', { user: db.user, password: db.password }),
      DB_MIGRATOR_SECRET_ID: await secret('migrator', migrator),
      DB_APP_SECRET_ID: await secret('app', app),
      DB_NAME: name,
      ...tlsVariables(),
    },
    writeLog: () => {},
  });
  sm.destroy();
  await schema(); // the deployment's schema step
  const user = createHandler(domain('user'), {
    env: {
      ...awsEnv,
      DB_HOST: db.host,
      DB_PORT: String(db.port),
      DB_USER: app.user,
      DB_PASSWORD: app.password,
      DB_NAME: name,
      ...tlsVariables(),
    },
    writeLog: () => {},
  });
  port = {
    lastResult: 'OK',
    async outputs() {
      return Object.fromEntries([
        ['SchemaMigrationFunctionName', 'schema'],
        ...DOMAIN_NAMES.flatMap((d) => [
          [`${d}FunctionName`, d],
          [`${d}EventSourceMappingId`, `esm-${d}`],
        ]),
      ]);
    },
    async invoke(fn, payload) {
      if (fn === 'schema') return schema(payload);
      if (fn === 'user') return user(payload as never, lambdaContext());
      throw new Error(`no function ${fn} here`);
    },
    async mapping() {
      return { state: 'Enabled', lastProcessingResult: port.lastResult };
    },
  };
});

afterAll(async () => {
  await admin.query(`DROP DATABASE IF EXISTS ${name}`);
  for (const { user } of [app, migrator]) {
    for (const u of [user, `${user}${CLONE_SUFFIX}`]) await admin.query(`DROP USER IF EXISTS ?@'%'`, [u]);
  }
  await admin.end();
});

const byName = (checks: Array<{ check: string; ok: boolean; detail: string }>) =>
  Object.fromEntries(checks.map((c) => [c.check, c]));

describe('npm run smoke', () => {
  it('passes every check on a stack deployed as AWS deploys it, and leaves no smoke row behind', async () => {
    const checks = await smoke(port);
    expect(checks.filter((c) => !c.ok)).toEqual([]);
    expect(Object.keys(byName(checks))).toEqual(
      expect.arrayContaining([
        'mapping user',
        'invoke user',
        'server',
        'sql_mode',
        'tls',
        'grants',
        'schema drift',
        'smoke event',
      ]),
    );
    const [rows] = await admin.query(
      `SELECT (SELECT COUNT(*) FROM ${name}.user_event_wide) + (SELECT COUNT(*) FROM ${name}.user_profile_wide) AS n`,
    );
    expect(Number((rows as Array<{ n: unknown }>)[0]!.n)).toBe(0);
  });

  it('fails, naming what, when a mapping reports a problem or a grant has drifted', async () => {
    port.lastResult = 'PROBLEM: Lambda failed to connect to the cluster';
    await admin.query(`GRANT DELETE ON ${name}.user_event_wide TO ?@'%'`, [app.user]);
    try {
      const checks = byName(await smoke(port));
      expect(checks['mapping user']).toMatchObject({ ok: false, detail: expect.stringContaining('PROBLEM') });
      expect(checks.grants).toMatchObject({ ok: false, detail: expect.stringContaining('to revoke') });
      expect(checks['smoke event']).toMatchObject({ ok: true });
    } finally {
      port.lastResult = 'OK';
      await admin.query(`REVOKE DELETE ON ${name}.user_event_wide FROM ?@'%'`, [app.user]);
    }
  });
});
