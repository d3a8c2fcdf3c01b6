/**
 * `npm run replay` against the real Kafka and MySQL: dead letters made by the real handler from
 * real Kafka records go back byte for byte (non-UTF-8 values and keys, signed header bytes,
 * repeated header names, a tombstone) and exactly the replayed rows are deleted; the selectors
 * pick the right rows; a dry run changes nothing and prints no payload; the on-failure topic's
 * documents give back their original records and a malformed document is skipped.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Admin, Consumer, type Message, Producer } from '@platformatic/kafka';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { toEventRecord } from '../../local-esm/index.ts';
import { failureDocument } from '../../local-esm/on-failure.ts';
import { main } from '../../scripts/replay.ts';
import { domainHandler, freshDatabase, type TestDatabase } from '../support/database.ts';
import { businessEvent, kafkaEvent, lambdaContext } from '../support/events.ts';
import { services, uniqueName } from '../support/services.ts';

const run = promisify(execFile);
/** Marks payload bytes: no line the tool prints may contain it. */
const PERSONAL = 'PERSONAL-jane.doe@example.com';

let db: TestDatabase;
let admin: Admin;
let producer: Producer;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  db = await freshDatabase('lrt_replay');
  const brokers = services().kafkaBrokers;
  admin = new Admin({ clientId: 'replay-test-admin', bootstrapBrokers: brokers });
  producer = new Producer({ clientId: 'replay-test-producer', bootstrapBrokers: brokers, idempotent: true });
  // An operator's tool: it deletes the rows it replayed, which the functions' own user may not;
  // it runs with the migrator's credentials (in AWS, the migrator secret).
  env = {
    ...db.env,
    DB_USER: db.users.migrator.user,
    DB_PASSWORD: db.users.migrator.password,
    KAFKA_BROKERS: brokers.join(','),
  };
});

beforeEach(async () => {
  await db.conn.query('DELETE FROM event_dead_letter');
});

afterAll(async () => {
  await producer.close();
  await admin.close();
  await db.drop();
});

// --------------------------------------------------------------------------------------- helpers

interface Raw {
  partition: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: Array<[string, Buffer]>;
}

async function topicWith(partitions: number, prefix = 'replay'): Promise<string> {
  const topic = uniqueName(prefix);
  await admin.createTopics({ topics: [topic], partitions, replicas: 1 });
  return topic;
}

async function produce(topic: string, records: Raw[]): Promise<void> {
  await producer.send({
    messages: records.map((r) => ({
      topic,
      partition: r.partition,
      ...(r.key ? { key: r.key } : {}),
      value: r.value as Buffer,
      headers: new Map(r.headers.map(([name, value]) => [Buffer.from(name), value])),
    })),
  });
}

/** Every message of the topic, once `count` have arrived, in partition and offset order. */
async function readAll(
  topic: string,
  count: number,
): Promise<Array<Message<Buffer, Buffer, Buffer, Buffer>>> {
  const consumer = new Consumer({
    clientId: 'replay-test-reader',
    groupId: uniqueName('replay-reader'),
    bootstrapBrokers: services().kafkaBrokers,
  });
  const stream = await consumer.consume({ topics: [topic], mode: 'earliest', autocommit: false });
  const out: Array<Message<Buffer, Buffer, Buffer, Buffer>> = [];
  try {
    await Promise.race([
      (async () => {
        for await (const message of stream) {
          out.push(message as Message<Buffer, Buffer, Buffer, Buffer>);
          if (out.length >= count) break;
        }
      })(),
      new Promise((_, reject) =>
        setTimeout(() => reject(new Error(`read ${out.length}/${count} from ${topic}`)), 30_000),
      ),
    ]);
  } finally {
    await stream.close().catch(() => {});
    await consumer.close(true);
  }
  return out.sort((a, b) => a.partition - b.partition || Number(a.offset - b.offset));
}

/** High watermarks, summed: how many records the topic ever received. */
async function recordCount(topic: string): Promise<number> {
  const consumer = new Consumer({
    clientId: 'replay-test-offsets',
    groupId: uniqueName('replay-offsets'),
    bootstrapBrokers: services().kafkaBrokers,
  });
  try {
    const ends = (await consumer.listOffsets({ topics: [topic] })).get(topic) ?? [];
    return ends.reduce((n, end) => n + Number(end), 0);
  } finally {
    await consumer.close(true);
  }
}

/** A message as comparable bytes (hex), headers in order. */
function bytesOf(m: {
  partition: number;
  key?: Buffer | null;
  value?: Buffer | null;
  headers: Array<[string, Buffer]>;
}) {
  return {
    partition: m.partition,
    key: m.key && m.key.length > 0 ? m.key.toString('hex') : null,
    value: m.value == null ? null : m.value.toString('hex'),
    headers: m.headers.map(([name, value]) => [name, value.toString('hex')]),
  };
}

function fromMessage(m: Message<Buffer, Buffer, Buffer, Buffer>) {
  return bytesOf({
    partition: m.partition,
    key: m.key,
    value: m.value,
    headers: m.headerEntries.map(([name, value]) => [name.toString('utf8'), value]),
  });
}

async function replay(...argv: string[]): Promise<{ code: number; output: string; errors: string }> {
  const lines: string[] = [];
  const errors: string[] = [];
  const code = await main(
    argv,
    env,
    (line) => lines.push(line),
    (line) => errors.push(line),
  );
  return { code, output: lines.join('\n'), errors: errors.join('\n') };
}

async function deadLetters(): Promise<
  Array<{ id: number; reason: string; partition: number; offset: number }>
> {
  const [rows] = await db.conn.query(
    `SELECT id, reason, kafka_partition AS 'partition', kafka_offset AS 'offset'
       FROM event_dead_letter ORDER BY kafka_topic, kafka_partition, kafka_offset`,
  );
  return (rows as Array<Record<string, unknown>>).map((r) => ({
    id: Number(r.id),
    reason: String(r.reason),
    partition: Number(r.partition),
    offset: Number(r.offset),
  }));
}

async function insertDeadLetter(row: {
  topic: string;
  partition: number;
  offset: number;
  reason: string;
  domain: string;
  value: string;
  eventId?: string;
}): Promise<number> {
  const [result] = await db.conn.query(
    `INSERT INTO event_dead_letter
       (kafka_topic, kafka_partition, kafka_offset, record_key, record_value, headers, reason,
        error_message, event_id, function_domain)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    [
      row.topic,
      row.partition,
      row.offset,
      Buffer.from(`key-${row.offset}`),
      Buffer.from(row.value),
      JSON.stringify([{ name: 'h', value: Buffer.from([0x80, 0xff]).toString('base64') }]),
      row.reason,
      'test',
      row.eventId ?? null,
      row.domain,
    ],
  );
  return Number((result as { insertId: number }).insertId);
}

// ----------------------------------------------------------------------------------------- tests

describe('replay dead-letters', () => {
  it('republishes the raw records byte for byte to their partitions and deletes exactly the replayed rows', async () => {
    const topic = await topicWith(3);
    const unknownType = businessEvent('user_login', { type: 'user_teleport' }, { device: PERSONAL });
    const originals: Raw[] = [
      {
        // Not UTF-8, binary key, signed header bytes, a repeated header name, an empty header value.
        partition: 1,
        key: Buffer.from([0x00, 0xff, 0x80, 0x41]),
        value: Buffer.concat([Buffer.from(PERSONAL), Buffer.from([0xc3, 0x28, 0xff, 0xfe, 0x00, 0x7f])]),
        headers: [
          ['trace', Buffer.from([0xff, 0x80, 0x00, 0x7f, 0x81])],
          ['trace', Buffer.from('second')],
          ['empty', Buffer.alloc(0)],
        ],
      },
      {
        partition: 2,
        key: Buffer.from('u-42'),
        value: Buffer.from(`{"not json" ${PERSONAL}`),
        headers: [['source', Buffer.from('crm')]],
      },
      { partition: 2, key: Buffer.from('u-43'), value: null, headers: [] },
      {
        partition: 0,
        key: Buffer.from('u-44'),
        value: Buffer.from(JSON.stringify(unknownType)),
        headers: [['source', Buffer.from('crm')]],
      },
    ];
    await produce(topic, originals);

    // The real handler dead-letters them, from the event Lambda would deliver.
    const consumed = await readAll(topic, originals.length);
    const response = await domainHandler('user', db)(
      kafkaEvent(consumed.map((m) => toEventRecord(m))),
      lambdaContext(),
    );
    expect(response.batchItemFailures).toEqual([]);
    const before = await deadLetters();
    expect(before.map((r) => `${r.reason} ${r.partition}@${r.offset}`)).toEqual([
      'unknown_type 0@0',
      'not_utf8 1@0',
      'not_json 2@0',
      'no_value 2@1',
    ]);

    const { code, output } = await replay(
      'dead-letters',
      '--reason',
      'not_utf8',
      '--reason',
      'not_json',
      '--reason',
      'no_value',
    );
    expect(code, output).toBe(0);
    expect(output).toContain('3 selected, 3 published, 3 deleted, 0 skipped');
    expect(output).not.toContain(PERSONAL);

    // Exactly the replayed rows are gone.
    expect((await deadLetters()).map((r) => r.reason)).toEqual(['unknown_type']);

    // The topic now holds each replayed record a second time: same partition, same bytes, same
    // headers in the same order, after the originals.
    const all = await readAll(topic, originals.length + 3);
    const replayed = all.filter((m) =>
      consumed.every((c) => c.partition !== m.partition || c.offset !== m.offset),
    );
    expect(replayed.map(fromMessage)).toEqual(
      [originals[0]!, originals[1]!, originals[2]!].map((o) => bytesOf(o)),
    );
    expect(replayed.map((m) => `${m.partition}@${m.offset}`)).toEqual(['1@1', '2@2', '2@3']);
  });

  it('picks rows by --reason with --domain, and by --id; refuses to run without a selector', async () => {
    const topic = await topicWith(2);
    const r1 = await insertDeadLetter({
      topic,
      partition: 0,
      offset: 1,
      reason: 'not_json',
      domain: 'user',
      value: 'one',
    });
    const r2 = await insertDeadLetter({
      topic,
      partition: 0,
      offset: 2,
      reason: 'schema',
      domain: 'order',
      value: 'two',
    });
    const r3 = await insertDeadLetter({
      topic,
      partition: 1,
      offset: 3,
      reason: 'schema',
      domain: 'user',
      value: 'three',
    });
    const r4 = await insertDeadLetter({
      topic,
      partition: 1,
      offset: 4,
      reason: 'unknown_type',
      domain: 'product',
      value: 'four',
    });
    const ids = async () => (await deadLetters()).map((r) => r.id);

    let result = await replay('dead-letters', '--reason', 'schema', '--domain', 'user');
    expect(result.code, result.output).toBe(0);
    expect(result.output).toContain(`replayed id=${r3} ${topic}-1@3 reason=schema domain=user`);
    expect(await ids()).toEqual([r1, r2, r4]);
    expect((await readAll(topic, 1)).map((m) => m.value.toString())).toEqual(['three']);

    result = await replay('dead-letters', '--id', String(r4), '--id', String(r1));
    expect(result.code, result.output).toBe(0);
    expect(await ids()).toEqual([r2]);
    const values = (await readAll(topic, 3)).map((m) => `${m.partition}:${m.value.toString()}`);
    expect(values.sort()).toEqual(['0:one', '1:four', '1:three']);

    for (const [argv, complaint] of [
      [['dead-letters'], 'no rows chosen'],
      [['dead-letters', '--all', '--reason', 'schema'], 'give it alone'],
      [['dead-letters', '--id', 'x'], '--id must be a positive integer'],
    ] as const) {
      result = await replay(...argv);
      expect(result.code, argv.join(' ')).toBe(2);
      expect(result.errors).toContain(complaint);
    }
    result = await replay('dead-letters', '--since', '2999-01-01T00:00:00Z');
    expect(result.output).toContain('0 selected, 0 published, 0 deleted');
    expect(await ids()).toEqual([r2]);
    expect(await recordCount(topic)).toBe(3);
  });

  it('--dry-run lists coordinates, reason and event id, and changes nothing', async () => {
    const topic = await topicWith(1);
    const id = await insertDeadLetter({
      topic,
      partition: 0,
      offset: 7,
      reason: 'unknown_type',
      domain: 'user',
      value: JSON.stringify({ eventId: 'evt-dry-1', device: PERSONAL }),
      eventId: 'evt-dry-1',
    });
    const { code, output } = await replay('dead-letters', '--all', '--dry-run');
    expect(code, output).toBe(0);
    expect(output).toContain(
      `would replay id=${id} ${topic}-0@7 reason=unknown_type domain=user event=evt-dry-1`,
    );
    expect(output).toContain('1 dead letter(s) would be replayed');
    expect(output).not.toContain(PERSONAL);
    expect(output).not.toContain('key-7');
    expect((await deadLetters()).map((r) => r.id)).toEqual([id]);
    expect(await recordCount(topic)).toBe(0);
  });

  it('runs as a command (node scripts/replay.ts)', async () => {
    const topic = await topicWith(1);
    const id = await insertDeadLetter({
      topic,
      partition: 0,
      offset: 1,
      reason: 'schema',
      domain: 'user',
      value: 'cli',
    });
    const { stdout } = await run(
      process.execPath,
      ['scripts/replay.ts', 'dead-letters', '--id', String(id)],
      {
        env: { ...process.env, ...env },
        timeout: 60_000,
      },
    );
    expect(stdout).toContain('1 selected, 1 published, 1 deleted, 0 skipped');
    expect(await deadLetters()).toEqual([]);
    expect((await readAll(topic, 1)).map((m) => m.value.toString())).toEqual(['cli']);

    const usage = await run(process.execPath, ['scripts/replay.ts', 'dead-letters'], {
      env: { ...process.env, ...env },
      timeout: 60_000,
    }).catch((error: { code: number; stderr: string }) => error);
    expect(usage).toMatchObject({ code: 2, stderr: expect.stringContaining('--all') });
  });
});

describe('replay on-failure', () => {
  it('publishes the original record of each failure document, skips malformed ones, and stops when caught up', async () => {
    const source = await topicWith(3);
    const failures = await topicWith(2, 'replay-failures');
    const other = await topicWith(3, 'replay-other');
    const group = uniqueName('replay-group');
    const originals: Raw[] = [
      {
        partition: 2,
        key: Buffer.from([0x00, 0xfe, 0x41]),
        value: Buffer.from([0xff, 0x00, 0xc3, 0x28]),
        headers: [
          ['trace', Buffer.from([0x80, 0xff, 0x7f])],
          ['trace', Buffer.from('again')],
        ],
      },
      {
        partition: 0,
        key: Buffer.from('o-1'),
        value: Buffer.from(JSON.stringify(businessEvent('order_create'))),
        headers: [],
      },
      { partition: 1, key: null, value: Buffer.from('keyless'), headers: [] },
    ];
    await produce(source, originals);
    const consumed = await readAll(source, originals.length);
    // One document per original, in the originals' order.
    const documents = originals.map((o) =>
      failureDocument(
        {
          record: toEventRecord(consumed.find((m) => m.partition === o.partition)!),
          condition: 'RetryAttemptsExhausted',
          invokeCount: 11,
        },
        {
          functionArn: 'arn:aws:lambda:us-east-1:123456789012:function:lambda-realtime-test-order',
          source: { type: 'aws:kafka', eventSourceArn: 'arn:aws:kafka:us-east-1:123456789012:cluster/c/1' },
          bootstrapServers: services().kafkaBrokers.join(','),
        },
      ),
    );
    // Signed header bytes in the documents, as AWS writes them.
    expect(JSON.stringify(documents[0])).toContain('[-128,-1,127]');
    await producer.send({
      messages: [
        { topic: failures, partition: 0, value: Buffer.from(JSON.stringify(documents[0])) },
        { topic: failures, partition: 0, value: Buffer.from(`not a document ${PERSONAL}`) },
        { topic: failures, partition: 1, value: Buffer.from(JSON.stringify(documents[1])) },
        { topic: failures, partition: 1, value: Buffer.from(JSON.stringify({ payload: { records: {} } })) },
        { topic: failures, partition: 1, value: Buffer.from(JSON.stringify(documents[2])) },
      ],
    });

    // A dry run lists and changes nothing: nothing published, nothing committed.
    let result = await replay('on-failure', '--from', failures, '--group', group, '--dry-run');
    expect(result.code, result.output).toBe(3);
    expect(result.output).toContain('5 document(s) read, 2 malformed');
    expect(result.output).not.toContain(PERSONAL);
    expect(await recordCount(source)).toBe(3);

    result = await replay('on-failure', '--from', failures, '--group', group);
    expect(result.code, result.output).toBe(3);
    expect(result.output).toContain('5 document(s) read, 3 record(s) published, 2 malformed skipped');
    expect(result.output).toContain(`skip ${failures}-0@1: not a failure document (not JSON)`);
    expect(result.output).toContain(
      `replaying ${failures}-0@0: ${source}-2@0 condition=RetryAttemptsExhausted value=4B`,
    );
    expect(result.output).toContain(`skip ${failures}-1@1`);
    expect(result.output).not.toContain(PERSONAL);
    const all = await readAll(source, 6);
    const replayed = all.filter((m) =>
      consumed.every((c) => c.partition !== m.partition || c.offset !== m.offset),
    );
    expect(replayed.map(fromMessage)).toEqual(
      [originals[1]!, originals[2]!, originals[0]!].map((o) => bytesOf(o)),
    );

    // Caught up: a second run reads nothing.
    result = await replay('on-failure', '--from', failures, '--group', group);
    expect(result.code, result.output).toBe(0);
    expect(result.output).toContain('0 document(s) read');
    expect(await recordCount(source)).toBe(6);

    // New documents, to another topic, at most one per run.
    await producer.send({
      messages: documents
        .slice(0, 2)
        .map((d) => ({ topic: failures, partition: 0, value: Buffer.from(JSON.stringify(d)) })),
    });
    result = await replay('on-failure', '--from', failures, '--group', group, '--to', other, '--max', '1');
    expect(result.code, result.output).toBe(0);
    expect(result.output).toContain('1 document(s) read, 1 record(s) published');
    result = await replay('on-failure', '--from', failures, '--group', group, '--to', other);
    expect(result.code, result.output).toBe(0);
    expect(result.output).toContain('1 document(s) read, 1 record(s) published');
    const moved = await readAll(other, 2);
    expect(moved.map((m) => fromMessage(m).value).sort()).toEqual(
      [originals[0]!, originals[1]!].map((o) => o.value!.toString('hex')).sort(),
    );
    expect(await recordCount(source)).toBe(6);
  });
});
