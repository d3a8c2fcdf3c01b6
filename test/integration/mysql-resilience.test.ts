/**
 * What happens when the database goes away, when transactions deadlock, when a secret rotates, and
 * how dimension rows reach events — against the real database and the AWS API emulator.
 */
import {
  CreateSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StaticCredentials } from '../../shared/sink/credentials.ts';
import { Database } from '../../shared/sink/database.ts';
import {
  databaseTls,
  domainHandler,
  dump,
  freshDatabase,
  realRuntime,
  type TestDatabase,
  tlsVariables,
} from '../support/database.ts';
import { businessEvent, failedIds, kafkaEvent, kafkaRecord, lambdaContext } from '../support/events.ts';
import { secretsManager, services, uniqueName } from '../support/services.ts';
import { TcpProxy } from '../support/tcp-proxy.ts';

let db: TestDatabase;
beforeAll(async () => {
  db = await freshDatabase();
});
afterAll(async () => {
  await db?.drop();
});

async function count(table: string): Promise<number> {
  const [[row]] = (await db.conn.query(`SELECT COUNT(*) AS n FROM ${table}`)) as unknown as [[{ n: number }]];
  return Number(row.n);
}

describe('database down', () => {
  it('reports the batch for retry, writes nothing, and succeeds on retry once the database is back', async () => {
    await db.truncate();
    const proxy = new TcpProxy(services().db);
    await proxy.up();
    const handler = domainHandler('order', db, {
      env: { ...db.env, DB_HOST: '127.0.0.1', DB_PORT: String(proxy.port), DB_CONNECT_TIMEOUT_MS: '1000' },
    });
    const records = [
      kafkaRecord({ partition: 0, offset: 1, value: businessEvent('order_create') }),
      kafkaRecord({ partition: 0, offset: 2, value: businessEvent('order_pay') }),
      kafkaRecord({ partition: 1, offset: 7, value: 'not json' }),
    ];
    // Warm: the pool holds a connection when the outage starts.
    await handler(
      kafkaEvent([kafkaRecord({ offset: 0, value: businessEvent('order_cancel') })]),
      lambdaContext(),
    );
    await proxy.down();

    const down = await handler(kafkaEvent(records), lambdaContext());
    expect(failedIds(down)).toEqual(['business-events-0@1', 'business-events-0@2', 'business-events-1@7']);
    expect(await count('order_event_wide')).toBe(1);
    expect(await count('event_dead_letter')).toBe(0);

    await proxy.up();
    const back = await handler(kafkaEvent(records), lambdaContext());
    expect(back.batchItemFailures).toEqual([]);
    expect(await count('order_event_wide')).toBe(3);
    expect(await count('order_wide')).toBe(3);
    expect(await count('event_dead_letter')).toBe(1);
    await proxy.down();
  });
});

describe('lock conflicts', () => {
  it('retries the transaction that lost a deadlock, so both complete', async () => {
    await db.conn.query('CREATE TABLE IF NOT EXISTS deadlock_probe (id INT PRIMARY KEY, v INT NOT NULL)');
    await db.conn.query('REPLACE INTO deadlock_probe VALUES (1, 0), (2, 0)');
    const warnings: string[] = [];
    const { ssl: _, ...server } = services().db;
    const database = new Database({
      credentials: new StaticCredentials({ ...server, database: db.name }),
      tls: databaseTls(),
      poolSize: 2,
      log: (_level, message) => warnings.push(message),
    });
    let arrived = 0;
    let release: () => void = () => {};
    const bothHoldOneLock = new Promise<void>((resolve) => {
      release = resolve;
    });
    const crosswise = (first: number, second: number) =>
      database.transaction(async (conn) => {
        await conn.query('UPDATE deadlock_probe SET v = v + 1 WHERE id = ?', [first]);
        if (++arrived === 2) release();
        await bothHoldOneLock;
        await conn.query('UPDATE deadlock_probe SET v = v + 1 WHERE id = ?', [second]);
      });
    await Promise.all([crosswise(1, 2), crosswise(2, 1)]);
    const [rows] = await db.conn.query('SELECT id, v FROM deadlock_probe ORDER BY id');
    expect(rows).toEqual([
      { id: 1, v: 2 },
      { id: 2, v: 2 },
    ]);
    expect(warnings).toContain('lock conflict, retrying transaction');
    await database.close();
  });
});

describe('secret rotation', () => {
  it('fetches the secret again after access denied, rebuilds the pool and retries once', async () => {
    await db.truncate();
    const { db: server } = services();
    const user = uniqueName('rot').slice(0, 32);
    const passwords = ['first-Pw-1', 'second-Pw-2', 'third-Pw-3'];
    await db.conn.query(`CREATE USER '${user}'@'%' IDENTIFIED BY ?`, [passwords[0]]);
    await db.conn.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON ${db.name}.* TO '${user}'@'%'`);
    const secretValue = (password: string) =>
      JSON.stringify({
        username: user,
        password,
        host: server.host,
        port: server.port,
        dbname: db.name,
        engine: 'mysql',
      });
    const sm = secretsManager();
    const secretId = `lambda-realtime/test/${user}`;
    await sm.send(new CreateSecretCommand({ Name: secretId, SecretString: secretValue(passwords[0]!) }));
    const { aws } = services();
    const handler = domainHandler('product', db, {
      env: {
        DB_SECRET_ID: secretId,
        ...tlsVariables(),
        AWS_ENDPOINT_URL: aws.endpoint,
        AWS_REGION: aws.region,
        AWS_ACCESS_KEY_ID: aws.accessKeyId,
        AWS_SECRET_ACCESS_KEY: aws.secretAccessKey,
      },
    });
    const invoke = async () =>
      handler(
        kafkaEvent([
          kafkaRecord({ offset: Math.floor(Math.random() * 1e6), value: businessEvent('product_view') }),
        ]),
        lambdaContext(),
      );
    const rotateInDatabase = async (password: string) => {
      await db.conn.query(`ALTER USER '${user}'@'%' IDENTIFIED BY ?`, [password]);
      // Live sessions keep their login: end them, as a failover or an idle timeout would.
      const [sessions] = (await db.conn.query(
        'SELECT id FROM information_schema.processlist WHERE user = ?',
        [user],
      )) as unknown as [Array<{ id: number }>];
      for (const { id } of sessions) await db.conn.query(`KILL ${Number(id)}`).catch(() => {});
    };

    expect((await invoke()).batchItemFailures).toEqual([]);

    // Rotation finished: the new password is AWSCURRENT.
    await rotateInDatabase(passwords[1]!);
    await sm.send(
      new PutSecretValueCommand({ SecretId: secretId, SecretString: secretValue(passwords[1]!) }),
    );
    expect((await invoke()).batchItemFailures).toEqual([]);

    // Rotation in progress: the database has the AWSPENDING password, AWSCURRENT still the old one.
    await rotateInDatabase(passwords[2]!);
    await sm.send(
      new PutSecretValueCommand({
        SecretId: secretId,
        SecretString: secretValue(passwords[2]!),
        VersionStages: ['AWSPENDING'],
      }),
    );
    expect((await invoke()).batchItemFailures).toEqual([]);

    expect(await count('product_event_wide')).toBe(3);
    const warnings = handler.logs.filter((l) => l.includes('credentials refreshed'));
    expect(warnings).toHaveLength(2);
    expect(handler.logs.join('\n')).not.toMatch(/first-Pw|second-Pw|third-Pw/);

    // Rotation finished: AWSCURRENT moves to the pending version (the last step of AWS's rotation
    // functions). A read that names no stage now gets the new password, as in AWS; and a cold start,
    // which reads the secret the function's usual way, logs in with it at once.
    const { VersionIdsToStages } = await sm.send(new DescribeSecretCommand({ SecretId: secretId }));
    const versionWith = (stage: string) =>
      Object.entries(VersionIdsToStages ?? {}).find(([, stages]) => stages.includes(stage))?.[0];
    const pendingVersion = versionWith('AWSPENDING');
    await sm.send(
      new UpdateSecretVersionStageCommand({
        SecretId: secretId,
        VersionStage: 'AWSCURRENT',
        MoveToVersionId: pendingVersion,
        RemoveFromVersionId: versionWith('AWSCURRENT'),
      }),
    );
    const read = await sm.send(new GetSecretValueCommand({ SecretId: secretId }));
    expect(read.VersionId).toBe(pendingVersion);
    expect(read.VersionStages).toContain('AWSCURRENT');
    expect(JSON.parse(read.SecretString ?? '{}').password).toBe(passwords[2]);
    const coldStart = domainHandler('product', db, {
      env: {
        DB_SECRET_ID: secretId,
        ...tlsVariables(),
        AWS_ENDPOINT_URL: aws.endpoint,
        AWS_REGION: aws.region,
        AWS_ACCESS_KEY_ID: aws.accessKeyId,
        AWS_SECRET_ACCESS_KEY: aws.secretAccessKey,
      },
    });
    const afterRotation = await coldStart(
      kafkaEvent([kafkaRecord({ offset: 1e6 + 1, value: businessEvent('product_view') })]),
      lambdaContext(),
    );
    expect(afterRotation.batchItemFailures).toEqual([]);
    expect(coldStart.logs.filter((l) => l.includes('credentials refreshed'))).toEqual([]);
    expect(await count('product_event_wide')).toBe(4);
    await db.conn.query(`DROP USER '${user}'@'%'`);
  });

  it('reports the batch when the password is wrong and the secret has nothing newer', async () => {
    const { db: server } = services();
    const handler = domainHandler('product', db, {
      env: { ...db.env, DB_HOST: server.host, DB_PASSWORD: 'not-the-password' },
    });
    const response = await handler(
      kafkaEvent([kafkaRecord({ offset: 3, value: businessEvent('product_search') })]),
      lambdaContext(),
    );
    expect(failedIds(response)).toEqual(['business-events-0@3']);
    expect(handler.logs.join('\n')).not.toContain('not-the-password');
  });
});

describe('enrichment from dimension tables', () => {
  it('sees a changed dimension row after the TTL and not before', async () => {
    await db.truncate();
    await db.conn.query(
      `INSERT INTO dim_user (user_id, user_name, user_level, region) VALUES ('u7', 'Old Name', 'gold', 'east')`,
    );
    const runtime = realRuntime(db, { dimensionTtlMs: 1_500 });
    const handler = domainHandler('user', db, { runtime });
    const login = () =>
      kafkaEvent([kafkaRecord({ offset: 1, value: businessEvent('user_login', {}, { userId: 'u7' }) })]);
    const names = async () => (await dump(db.conn, 'user_event_wide', 'event_time')).map((r) => r.user_name);

    await handler(login(), lambdaContext());
    await db.conn.query(`UPDATE dim_user SET user_name = 'New Name' WHERE user_id = 'u7'`);
    await handler(login(), lambdaContext());
    expect(await names()).toEqual(['Old Name', 'Old Name']);
    await new Promise((resolve) => setTimeout(resolve, 1_600));
    await handler(login(), lambdaContext());
    expect(await names()).toEqual(['Old Name', 'Old Name', 'New Name']);
    await runtime.database.close();
  });

  it('leaves dimension columns NULL for a missing row and counts the miss', async () => {
    await db.truncate();
    const handler = domainHandler('order', db);
    const event = businessEvent('order_create', {}, { userId: 'nobody', productId: 'nothing' });
    const response = await handler(kafkaEvent([kafkaRecord({ offset: 1, value: event })]), lambdaContext());
    expect(response.batchItemFailures).toEqual([]);
    const [row] = await dump(db.conn, 'order_event_wide', 'event_id');
    expect(row).toMatchObject({
      user_id: 'nobody',
      user_name: null,
      region: null,
      product_name: null,
      category: null,
    });
    const emf = handler.logs
      .map((l) => JSON.parse(l))
      .filter((e) => e._aws && e.DimensionMisses !== undefined);
    expect(emf.map((e) => [e.dimension, e.DimensionMisses])).toEqual([
      ['dim_user', 1],
      ['dim_product', 1],
    ]);
  });

  it('loads N concurrent lookups of the same key with one query', async () => {
    await db.conn.query(`INSERT IGNORE INTO dim_user (user_id, user_name) VALUES ('u8', 'Eve')`);
    const runtime = realRuntime(db);
    const lookups = await Promise.all(
      Array.from({ length: 25 }, () => runtime.dimensions.get('dim_user')!.getMany(['u8'])),
    );
    expect(lookups.every((m) => (m.get('u8') as { user_name?: string } | null)?.user_name === 'Eve')).toBe(
      true,
    );
    expect(runtime.statements.filter((s) => s.includes('FROM dim_user'))).toHaveLength(1);
    await runtime.database.close();
  });
});
