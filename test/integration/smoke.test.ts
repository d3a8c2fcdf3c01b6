/** Proves each service is the real thing: a round trip through Kafka, MySQL and the AWS emulator. */
import { CreateSecretCommand, GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { Admin, Consumer, Producer, stringDeserializers, stringSerializers } from '@platformatic/kafka';
import { describe, expect, it } from 'vitest';
import { mysqlConnection, secretsManager, services, uniqueName } from '../support/services.ts';

describe('real services', () => {
  it('Kafka: produces and consumes a message', async () => {
    const brokers = services().kafkaBrokers;
    const topic = uniqueName('smoke');
    const admin = new Admin({ clientId: 'smoke-admin', bootstrapBrokers: brokers });
    const metadata = await admin.metadata({ topics: [] });
    const apis = await admin.listApis();
    const range = (name: string) => {
      const api = apis.find((a) => a.name === name);
      return api ? `${name} v${api.minVersion}-v${api.maxVersion}` : `${name} missing`;
    };
    console.log(
      `[kafka] brokers ${[...metadata.brokers.values()].map((b) => `${b.host}:${b.port}`).join(',')}; ` +
        `${apis.length} APIs: ${['Produce', 'Fetch', 'Metadata', 'JoinGroup', 'OffsetCommit'].map(range).join(', ')}`,
    );
    expect(apis.length).toBeGreaterThan(20);
    await admin.createTopics({ topics: [topic], partitions: 1, replicas: 1 });
    await admin.close();

    const producer = new Producer({
      clientId: 'smoke-producer',
      bootstrapBrokers: brokers,
      serializers: stringSerializers,
    });
    await producer.send({ messages: [{ topic, key: 'k1', value: 'hello kafka' }] });
    await producer.close();

    const consumer = new Consumer({
      clientId: 'smoke-consumer',
      groupId: uniqueName('smoke-group'),
      bootstrapBrokers: brokers,
      deserializers: stringDeserializers,
    });
    const stream = await consumer.consume({ topics: [topic], mode: 'earliest', autocommit: false });
    let received: { key: string; value: string } | undefined;
    for await (const message of stream) {
      received = { key: message.key, value: message.value };
      break;
    }
    await stream.close();
    await consumer.close(true);
    expect(received).toEqual({ key: 'k1', value: 'hello kafka' });
  });

  it('MySQL: creates, writes and reads a table', async () => {
    const conn = await mysqlConnection();
    try {
      const [[{ version }]] = (await conn.query('SELECT VERSION() AS version')) as unknown as [
        [{ version: string }],
      ];
      console.log(`[mysql] server version ${version}`);
      const table = uniqueName('smoke');
      await conn.query(`CREATE TABLE ${table} (id INT PRIMARY KEY, note VARCHAR(64) NOT NULL)`);
      await conn.execute(`INSERT INTO ${table} (id, note) VALUES (?, ?)`, [1, 'hello mysql']);
      const [rows] = await conn.query(`SELECT id, note FROM ${table}`);
      expect(rows).toEqual([{ id: 1, note: 'hello mysql' }]);
      await conn.query(`DROP TABLE ${table}`);
    } finally {
      await conn.end();
    }
  });

  it('AWS emulator: creates and reads a secret through Secrets Manager', async () => {
    const client = secretsManager();
    const name = uniqueName('smoke/secret');
    const value = JSON.stringify({ username: 'u', password: 'p', host: 'h', port: 3306, dbname: 'd' });
    await client.send(new CreateSecretCommand({ Name: name, SecretString: value }));
    const read = await client.send(new GetSecretValueCommand({ SecretId: name }));
    console.log(
      `[aws] ${services().aws.endpoint} secret ${read.ARN} versions ${read.VersionStages?.join(',')}`,
    );
    expect(read.SecretString).toBe(value);
    client.destroy();
  });
});
