/**
 * The handler contract (docs/architecture.md, contracts 2 and 3), run twice for every domain: on
 * the sources (functions/<domain>/handler.ts) and on the bundles CDK deploys, built exactly as
 * CDK's asset staging builds them (scripts/build.ts --function, infra/lib/function-code.ts) and
 * imported as Lambda imports index.mjs — with the SOURCE decoders in their own lazily loaded
 * bundle. What differs between the two (a class copied into two bundles, an alias, a plugin)
 * shows here: dead letters per reason, partial batch responses, SOURCE-format records (AWS's own
 * sample events included) and malformed events, against the real database.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleFunction, handlerEntry } from '../../infra/lib/function-code.ts';
import { RegistrySerializer } from '../../scripts/local/registry-serde.ts';
import { CATALOG, DOMAIN_NAMES as DOMAINS, type DomainName } from '../../shared/domains/registry.ts';
import type { KafkaBatchResponse, KafkaEvent } from '../../shared/pipeline/lambda-event.ts';
import { dump, freshDatabase, type TestDatabase } from '../support/database.ts';
import { businessEvent, failedIds, kafkaEvent, kafkaRecord, lambdaContext } from '../support/events.ts';

type Handler = (event: unknown, context: ReturnType<typeof lambdaContext>) => Promise<KafkaBatchResponse>;

/** One event type of each domain, and one of another domain. */
const TYPES: Record<DomainName, { own: string; other: string }> = {
  user: { own: 'user_login', other: 'order_create' },
  order: { own: 'order_create', other: 'product_view' },
  product: { own: 'product_view', other: 'user_login' },
};

/**
 * AWS's sample MSK events with schema-registry records (Powertools for AWS Lambda's Kafka test
 * events, packages/kafka/tests/events/{protobuf,avro}.json): values of someone else's schemas, so
 * for this function they are bad records — dead letters, never a reason to retry the batch.
 */
const AWS_SAMPLE_PROTOBUF_VALUES = [
  { value: 'COkHEgZMYXB0b3AZUrgehes/j0A=', valueSchemaMetadata: { dataFormat: 'PROTOBUF' } },
  {
    value: 'COoHEgpTbWFydHBob25lGVK4HoXrv4JA',
    valueSchemaMetadata: { dataFormat: 'PROTOBUF', schemaId: '7d55d475-2244-4485-8341-f74468c1e058' },
  },
  {
    value: 'COsHEgpIZWFkcGhvbmVzGUjhehSuv2JA',
    valueSchemaMetadata: { dataFormat: 'PROTOBUF', schemaId: '2' },
  },
];
const AWS_SAMPLE_AVRO_VALUES = [
  '0g8MTGFwdG9wUrgehes/j0A=',
  '1A8UU21hcnRwaG9uZVK4HoXrv4JA',
  '1g8USGVhZHBob25lc0jhehSuv2JA',
];

function awsSampleEvent(
  records: Array<{ value: string; valueSchemaMetadata?: { dataFormat: string; schemaId?: string } }>,
) {
  return {
    eventSource: 'aws:kafka',
    eventSourceArn:
      'arn:aws:kafka:us-east-1:0123456789019:cluster/SalesCluster/abcd1234-abcd-cafe-abab-9876543210ab-4',
    bootstrapServers:
      'b-2.demo-cluster-1.a1bcde.c1.kafka.us-east-1.amazonaws.com:9092,b-1.demo-cluster-1.a1bcde.c1.kafka.us-east-1.amazonaws.com:9092',
    records: {
      'mytopic-0': records.map((r, i) => ({
        topic: 'mytopic',
        partition: 0,
        offset: 15 + i,
        timestamp: 1545084650987 + i,
        timestampType: 'CREATE_TIME',
        key: i === 2 ? null : 'NDI=',
        headers: [{ headerKey: [104, 101, 97, 100, 101, 114, 86, 97, 108, 117, 101] }],
        ...r,
      })),
    },
  };
}

/** A SOURCE-format value as the mapping hands it over: the registry's framing removed. */
async function sourceValue(format: 'avro' | 'protobuf', event: { type?: unknown }): Promise<Buffer> {
  let id = 0;
  const client = { register: async () => ++id } as unknown as ConstructorParameters<
    typeof RegistrySerializer
  >[0]['client'];
  // A type the catalog lacks is written with the schema of a known one under its own name.
  const entries = CATALOG.some((e) => e.type === event.type)
    ? CATALOG
    : [{ ...CATALOG.find((e) => String(event.type).startsWith(e.domain))!, type: String(event.type) }];
  const framed = await new RegistrySerializer({ client, format, entries }).serialize('t', event);
  return framed!.subarray(format === 'avro' ? 5 : 6);
}

let db: TestDatabase;
let bundles: string;
const handlers = new Map<string, Handler>();

beforeAll(async () => {
  db = await freshDatabase('lrt_contract');
  // The functions read their configuration from the environment when their module loads.
  Object.assign(process.env, db.env, { POWERTOOLS_LOG_LEVEL: 'SILENT', POWERTOOLS_METRICS_DISABLED: 'true' });
  bundles = mkdtempSync(join(tmpdir(), 'lrt-contract-'));
  for (const name of DOMAINS) {
    bundleFunction(name, join(bundles, name));
    const source = (await import(pathToFileURL(handlerEntry(name)).href)) as { handler: Handler };
    const bundle = (await import(pathToFileURL(join(bundles, name, 'index.mjs')).href)) as {
      handler: Handler;
    };
    handlers.set(`${name} source`, source.handler);
    handlers.set(`${name} bundle`, bundle.handler);
  }
}, 300_000);

afterAll(async () => {
  await db?.drop();
  if (bundles) rmSync(bundles, { recursive: true, force: true });
});

const CASES = DOMAINS.flatMap((name) => (['source', 'bundle'] as const).map((form) => [name, form] as const));

describe.each(CASES)('%s function, %s', (name, form) => {
  const invoke = (event: unknown) => handlers.get(`${name} ${form}`)!(event, lambdaContext());
  const { own, other } = TYPES[name];

  beforeAll(async () => {
    await db.truncate();
  });

  it('writes good events, dead-letters each bad record with its reason, skips another domain, reports nothing', async () => {
    const good = businessEvent(own);
    const later = businessEvent(own);
    const topic = `contract-${name}-${form}`;
    const event = kafkaEvent([
      kafkaRecord({ topic, partition: 0, offset: 1, value: good }),
      kafkaRecord({ topic, partition: 0, offset: 2, value: null }),
      kafkaRecord({ topic, partition: 0, offset: 3, value: Buffer.from([0xff, 0xfe]) }),
      kafkaRecord({ topic, partition: 0, offset: 4, value: '{"domain":' }),
      kafkaRecord({
        topic,
        partition: 1,
        offset: 7,
        value: businessEvent(own, { type: `${name}_teleport` }),
      }),
      kafkaRecord({ topic, partition: 1, offset: 8, value: businessEvent(own, { version: '9.0' }) }),
      kafkaRecord({ topic, partition: 1, offset: 9, value: businessEvent(own, { domain: 'billing' }) }),
      kafkaRecord({ topic, partition: 1, offset: 10, value: { ...businessEvent(own), payload: {} } }),
      kafkaRecord({ topic, partition: 1, offset: 11, value: businessEvent(other) }),
      kafkaRecord({ topic, partition: 1, offset: 12, value: later }),
    ]);
    expect(await invoke(event)).toEqual({ batchItemFailures: [] });

    const reasons = (await dump(db.conn, 'event_dead_letter', 'kafka_partition, kafka_offset'))
      .filter((row) => row.kafka_topic === topic)
      .map((row) => `${row.kafka_partition}@${row.kafka_offset} ${row.reason}`);
    expect(reasons).toEqual([
      '0@2 no_value',
      '0@3 not_utf8',
      '0@4 not_json',
      '1@7 unknown_type',
      '1@8 unknown_version',
      '1@9 unknown_domain',
      '1@10 schema',
    ]);
    const written = await db.conn.query(`SELECT event_id FROM ${name}_event_wide WHERE kafka_topic = ?`, [
      topic,
    ]);
    expect((written[0] as Array<{ event_id: string }>).map((r) => r.event_id).sort()).toEqual(
      [good.eventId, later.eventId].sort(),
    );
  });

  it.each(['avro', 'protobuf'] as const)(
    'reads SOURCE-format %s records, and dead-letters those it cannot decode without holding up the rest',
    async (format) => {
      const good = businessEvent(own);
      const dataFormat = format === 'avro' ? 'AVRO' : 'PROTOBUF';
      const topic = `contract-${name}-${form}-${format}`;
      const record = (offset: number, value: Buffer) => ({
        ...kafkaRecord({ topic, offset, value }),
        valueSchemaMetadata: { dataFormat, schemaId: '1' },
      });
      const event = kafkaEvent([
        record(1, Buffer.from([0x0a, 0xff, 0xff])),
        record(2, await sourceValue(format, businessEvent(own, { type: `${name}_teleport` }, {}))),
        record(3, await sourceValue(format, good)),
      ]);
      expect(await invoke(event)).toEqual({ batchItemFailures: [] });
      const rows = await db.conn.query(
        `SELECT kafka_offset, reason FROM event_dead_letter WHERE kafka_topic = ? ORDER BY kafka_offset`,
        [topic],
      );
      expect((rows[0] as Array<{ reason: string }>).map((r) => r.reason)).toEqual([
        'not_decodable',
        'unknown_type',
      ]);
      const [written] = await db.conn.query(`SELECT event_id FROM ${name}_event_wide WHERE kafka_topic = ?`, [
        topic,
      ]);
      expect(written).toEqual([{ event_id: good.eventId }]);
    },
  );

  it("dead-letters AWS's sample Protobuf and Avro events record by record; none is reported", async () => {
    expect(await invoke(awsSampleEvent(AWS_SAMPLE_PROTOBUF_VALUES))).toEqual({ batchItemFailures: [] });
    // No valueSchemaMetadata: to the function these values are plain bytes, not JSON.
    expect(await invoke(awsSampleEvent(AWS_SAMPLE_AVRO_VALUES.map((value) => ({ value }))))).toEqual({
      batchItemFailures: [],
    });
    const [rows] = await db.conn.query(
      "SELECT kafka_offset, reason FROM event_dead_letter WHERE kafka_topic = 'mytopic' ORDER BY kafka_offset, record_timestamp",
    );
    // One row per Kafka record (coordinates and timestamp): the Avro event reuses the offsets.
    expect((rows as Array<{ kafka_offset: string }>).length).toBeGreaterThanOrEqual(3);
    for (const row of rows as Array<{ reason: string }>) expect(row.reason).not.toBe('rejected_by_database');
  });

  it('reports every partition from its first record when the database refuses the write, and writes nothing', async () => {
    const topic = `contract-${name}-${form}-refused`;
    const event = kafkaEvent([
      kafkaRecord({ topic, partition: 0, offset: 5, value: 'not json' }),
      kafkaRecord({ topic, partition: 0, offset: 6, value: businessEvent(own) }),
      kafkaRecord({ topic, partition: 3, offset: 40, value: businessEvent(own) }),
    ]);
    // A privilege taken away: not the data's fault, so a retry may succeed (transient).
    await db.conn.query(`REVOKE INSERT ON \`${db.name}\`.${name}_event_wide FROM ?@'%'`, [db.users.app.user]);
    try {
      const response = await invoke(event);
      expect(failedIds(response)).toEqual([`${topic}-0@5`, `${topic}-0@6`, `${topic}-3@40`]);
    } finally {
      await db.conn.query(`GRANT INSERT ON \`${db.name}\`.${name}_event_wide TO ?@'%'`, [db.users.app.user]);
    }
    const [rows] = await db.conn.query('SELECT COUNT(*) AS n FROM event_dead_letter WHERE kafka_topic = ?', [
      topic,
    ]);
    expect(rows).toEqual([{ n: '0' }]);
  });

  it.each([
    ['no records object', { Records: [] }],
    ['"records" a list', { eventSource: 'aws:kafka', records: [] }],
    ['a null record', { eventSource: 'aws:kafka', records: { 't-0': [null] } }],
    [
      'a record without an offset',
      { eventSource: 'aws:kafka', records: { 't-0': [{ topic: 't', value: null }] } },
    ],
    ['a partition that is not a list', { eventSource: 'aws:kafka', records: { 't-0': { offset: 1 } } }],
  ])('fails the invocation on a malformed event: %s', async (_what, event) => {
    await expect(invoke(event as unknown as KafkaEvent)).rejects.toThrow(/Lambda Kafka event/);
  });
});
