/**
 * The user function's built bundle inside AWS's own runtime (the Lambda Runtime Interface Emulator
 * with AWS's Node.js runtime interface client), invoked with AWS's sample MSK event and with events
 * no record of which can be named: what Lambda itself would see.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { functionBuildOptions } from '../../infra/lib/function-code.ts';
import { FunctionError, type LambdaRuntime, startLambdaRuntime } from '../../local-esm/lambda-runtime.ts';
import { dump, freshDatabase, type TestDatabase } from '../support/database.ts';
import { businessEvent, kafkaEvent, kafkaRecord } from '../support/events.ts';

/** AWS's sample MSK event (docs.aws.amazon.com/lambda/latest/dg/with-msk.html): a value that is not JSON. */
const AWS_SAMPLE_MSK_EVENT = {
  eventSource: 'aws:kafka',
  eventSourceArn:
    'arn:aws:kafka:us-east-1:123456789012:cluster/vpc-2priv-2pub/751d2973-a626-431c-9d4e-d7975eb44dd7-2',
  bootstrapServers:
    'b-2.demo-cluster-1.a1bcde.c1.kafka.us-east-1.amazonaws.com:9092,b-1.demo-cluster-1.a1bcde.c1.kafka.us-east-1.amazonaws.com:9092',
  records: {
    'mytopic-0': [
      {
        topic: 'mytopic',
        partition: 0,
        offset: 15,
        timestamp: 1545084650987,
        timestampType: 'CREATE_TIME',
        key: 'abcDEFghiJKLmnoPQRstuVWXyz1234==',
        value: 'SGVsbG8sIHRoaXMgaXMgYSB0ZXN0Lg==',
        headers: [{ headerKey: [104, 101, 97, 100, 101, 114, 86, 97, 108, 117, 101] }],
      },
    ],
  },
};

/**
 * AWS's sample MSK event with Protobuf records from a schema registry (Powertools for AWS Lambda,
 * packages/kafka/tests/events/protobuf.json), one good event of ours added: values of another
 * schema are bad records to this function, dead-lettered one by one, the batch never retried.
 */
const AWS_SAMPLE_PROTOBUF_EVENT = {
  ...AWS_SAMPLE_MSK_EVENT,
  records: {
    'mytopic-0': [
      ['COkHEgZMYXB0b3AZUrgehes/j0A=', { dataFormat: 'PROTOBUF' }],
      [
        'COoHEgpTbWFydHBob25lGVK4HoXrv4JA',
        { dataFormat: 'PROTOBUF', schemaId: '7d55d475-2244-4485-8341-f74468c1e058' },
      ],
      ['COsHEgpIZWFkcGhvbmVzGUjhehSuv2JA', { dataFormat: 'PROTOBUF', schemaId: '2' }],
    ].map(([value, valueSchemaMetadata], i) => ({
      ...AWS_SAMPLE_MSK_EVENT.records['mytopic-0'][0],
      offset: 115 + i,
      timestamp: 1545084650987 + i,
      value,
      valueSchemaMetadata,
    })),
  },
};

let db: TestDatabase;
let runtime: LambdaRuntime;
let codeDir: string;
const output: string[] = [];

beforeAll(async () => {
  db = await freshDatabase('lrt_ric');
  codeDir = mkdtempSync(join(tmpdir(), 'lrt-ric-'));
  await build(functionBuildOptions('user', codeDir));
  runtime = await startLambdaRuntime({
    codeDir,
    functionName: 'lambda-realtime-local-user',
    env: { ...db.env, POWERTOOLS_LOG_LEVEL: 'INFO' },
    timeoutSeconds: 30,
    output: (line) => output.push(line),
  });
}, 600_000);

afterAll(async () => {
  await runtime?.close();
  await db?.drop();
  if (codeDir) rmSync(codeDir, { recursive: true, force: true });
});

describe('the user bundle under the Runtime Interface Emulator', () => {
  it("answers AWS's sample MSK event: the value is not JSON, so it is dead-lettered, headers kept", async () => {
    expect(await runtime.invoke(AWS_SAMPLE_MSK_EVENT)).toEqual({ batchItemFailures: [] });
    expect(await dump(db.conn, 'event_dead_letter', 'kafka_offset')).toMatchObject([
      { kafka_topic: 'mytopic', kafka_partition: 0, kafka_offset: '15', reason: 'not_json' },
    ]);
    const [[row]] = (await db.conn.query(
      'SELECT headers, record_value FROM event_dead_letter',
    )) as unknown as [[{ headers: unknown; record_value: Buffer }]];
    // mysql2 hands a JSON column back parsed on MySQL, as text on MariaDB.
    const headers = typeof row.headers === 'string' ? JSON.parse(row.headers) : row.headers;
    expect(headers).toEqual([
      { name: 'headerKey', value: Buffer.from('headerValue').toString('base64'), text: 'headerValue' },
    ]);
    expect(row.record_value.toString()).toBe('Hello, this is a test.');
    expect(runtime.initDurationsMs.length).toBe(1);
  });

  it("dead-letters AWS's sample Protobuf records one by one (the lazily loaded decoder bundle's errors recognised)", async () => {
    const login = businessEvent('user_login', {}, { userId: 'u1' });
    const event = structuredClone(AWS_SAMPLE_PROTOBUF_EVENT) as typeof AWS_SAMPLE_PROTOBUF_EVENT;
    event.records['mytopic-0'].push({
      ...kafkaRecord({ topic: 'mytopic', offset: 118, value: login }),
      key: 'NDI=',
      headers: [],
    } as never);
    expect(await runtime.invoke(event)).toEqual({ batchItemFailures: [] });
    const [rows] = await db.conn.query(
      'SELECT kafka_offset, reason FROM event_dead_letter WHERE kafka_offset BETWEEN 115 AND 117 ORDER BY kafka_offset',
    );
    expect((rows as Array<{ reason: string }>).map((r) => r.reason)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^(not_decodable|unknown_type|unknown_version|schema)$/),
      ]),
    );
    expect(rows).toHaveLength(3);
    expect(await dump(db.conn, 'user_event_wide', 'event_id')).toContainEqual(
      expect.objectContaining({ event_id: login.eventId }),
    );
    await db.truncate();
  });

  it("dead-letters AWS's sample Avro records (no schema metadata: plain bytes to the function), none retried", async () => {
    const values = [
      '0g8MTGFwdG9wUrgehes/j0A=',
      '1A8UU21hcnRwaG9uZVK4HoXrv4JA',
      '1g8USGVhZHBob25lc0jhehSuv2JA',
    ];
    const event = {
      ...AWS_SAMPLE_MSK_EVENT,
      records: {
        'mytopic-0': values.map((value, i) => ({
          ...AWS_SAMPLE_MSK_EVENT.records['mytopic-0'][0],
          offset: 215 + i,
          value,
        })),
      },
    };
    expect(await runtime.invoke(event)).toEqual({ batchItemFailures: [] });
    const [rows] = await db.conn.query(
      'SELECT reason FROM event_dead_letter WHERE kafka_offset BETWEEN 215 AND 217 ORDER BY kafka_offset',
    );
    // Avro's binary is no UTF-8 text (or, where it happens to be, no JSON).
    expect((rows as Array<{ reason: string }>).map((r) => r.reason)).toEqual(
      values.map(() => expect.stringMatching(/^(not_utf8|not_json)$/)),
    );
    await db.truncate();
  });

  it('writes a batch of events and answers with no failures', async () => {
    const login = businessEvent('user_login', {}, { userId: 'u1' });
    const event = kafkaEvent([
      kafkaRecord({ offset: 1, value: login }),
      kafkaRecord({ offset: 2, value: login }),
    ]);
    expect(await runtime.invoke(event)).toEqual({ batchItemFailures: [] });
    expect(await dump(db.conn, 'user_event_wide', 'event_id')).toMatchObject([{ event_id: login.eventId }]);
  });

  it.each([
    ['not a Kafka event', { Records: [] }, /not a Lambda Kafka event/],
    [
      'a partition that is not a list',
      { eventSource: 'aws:kafka', records: { 't-0': { offset: 1 } } },
      /is not a list/,
    ],
    ['"records" a list', { eventSource: 'aws:kafka', records: [] }, /no "records" object/],
    [
      'a null record',
      { eventSource: 'aws:kafka', records: { 't-0': [{ offset: 1 }, null] } },
      /is not a record/,
    ],
    [
      'a record without an offset',
      { eventSource: 'aws:kafka', records: { 't-0': [{ topic: 't', partition: 0 }] } },
      /no whole-number offset/,
    ],
  ])('fails the invocation when no record can be named: %s', async (_name, event, message) => {
    const error = await runtime.invoke(event).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FunctionError);
    expect((error as Error).message).toMatch(message);
  });
});
