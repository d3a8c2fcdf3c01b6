/**
 * The local event-source-mapping runner against real Kafka: batching, the exact event, partial batch
 * responses, retries, the on-failure destination, bisection, filters and restarts.
 */
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Admin, Consumer, Producer } from '@platformatic/kafka';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type EventSourceInput, eventSource } from '../../infra/config/event-sources.ts';
import {
  EsmRunner,
  type EsmRunnerEvent,
  type EsmRunnerOptions,
  type FailureDocument,
} from '../../local-esm/index.ts';
import type { KafkaBatchResponse, KafkaEvent, KafkaEventRecord } from '../../shared/pipeline/lambda-event.ts';
import { services, uniqueName } from '../support/services.ts';

let admin: Admin;
let producer: Producer;
const runners: EsmRunner[] = [];
/** Every runner event of the current test, shown when a wait times out. */
let trace: string[] = [];

beforeAll(() => {
  const brokers = services().kafkaBrokers;
  admin = new Admin({ clientId: 'esm-test-admin', bootstrapBrokers: brokers });
  // Idempotent: a send to a just-created topic can be repeated on stale metadata; the broker drops the repeat.
  producer = new Producer({ clientId: 'esm-test-producer', bootstrapBrokers: brokers, idempotent: true });
});

afterEach(async () => {
  trace = [];
  await Promise.all(runners.splice(0).map((r) => r.stop().catch(() => {})));
});

afterAll(async () => {
  await producer.close();
  await admin.close();
});

// --------------------------------------------------------------------------------------- helpers

interface Produced {
  partition: number;
  value: string | Buffer;
  key?: string;
  headers?: Record<string, string>;
  timestamp?: number;
}

async function topicWith(partitions: number): Promise<string> {
  const topic = uniqueName('esm');
  await admin.createTopics({ topics: [topic], partitions, replicas: 1 });
  return topic;
}

async function produce(topic: string, messages: Produced[]): Promise<void> {
  await producer.send({
    messages: messages.map((m) => ({
      topic,
      partition: m.partition,
      value: Buffer.isBuffer(m.value) ? m.value : Buffer.from(m.value),
      ...(m.key ? { key: Buffer.from(m.key) } : {}),
      ...(m.headers
        ? { headers: new Map(Object.entries(m.headers).map(([k, v]) => [Buffer.from(k), Buffer.from(v)])) }
        : {}),
      ...(m.timestamp ? { timestamp: BigInt(m.timestamp) } : {}),
    })),
  });
}

function settings(topic: string, overrides: EventSourceInput = {}) {
  return eventSource({
    topics: [topic],
    onFailureTopic: `${topic}-failures`,
    consumerGroupId: uniqueName('esm-group'),
    ...overrides,
  });
}

type Handler = EsmRunnerOptions['handler'];

async function startRunner(
  options: Partial<EsmRunnerOptions> & Pick<EsmRunnerOptions, 'handler' | 'settings'>,
): Promise<{ runner: EsmRunner; events: EsmRunnerEvent[] }> {
  const events: EsmRunnerEvent[] = [];
  const runner = new EsmRunner({
    brokers: services().kafkaBrokers,
    backoff: { initialMs: 20, maxMs: 100 },
    ...options,
    onEvent: (event) => {
      events.push(event);
      trace.push(`${Date.now() % 100_000} ${JSON.stringify(event)}`);
      options.onEvent?.(event);
    },
  });
  runners.push(runner);
  await runner.start();
  return { runner, events };
}

async function waitFor(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}; runner events:\n${trace.slice(-30).join('\n')}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

function flatten(event: KafkaEvent): KafkaEventRecord[] {
  return Object.values(event.records).flat();
}

function text(record: KafkaEventRecord): string {
  return Buffer.from(record.value ?? '', 'base64').toString('utf8');
}

function fail(record: KafkaEventRecord) {
  return { itemIdentifier: { partition: `${record.topic}-${record.partition}`, offset: record.offset } };
}

/** Processes each partition in order; the first record `isBad` rejects fails with all after it (contract 3). */
function partialHandler(isBad: (record: KafkaEventRecord) => boolean, seen: KafkaEvent[]): Handler {
  return async (event) => {
    seen.push(event);
    const response: KafkaBatchResponse = { batchItemFailures: [] };
    for (const records of Object.values(event.records)) {
      const bad = records.findIndex(isBad);
      if (bad >= 0) response.batchItemFailures.push(...records.slice(bad).map(fail));
    }
    return response;
  };
}

async function committed(groupId: string, topic: string): Promise<Record<number, number>> {
  const [group] = await admin.listConsumerGroupOffsets({ groups: [groupId] });
  const out: Record<number, number> = {};
  for (const t of group?.topics ?? []) {
    if (t.name !== topic) continue;
    for (const p of t.partitions) out[p.partitionIndex] = Number(p.committedOffset);
  }
  return out;
}

async function readTopic(topic: string, count: number): Promise<Array<{ key?: string; value: string }>> {
  const consumer = new Consumer({
    clientId: 'esm-test-reader',
    groupId: uniqueName('esm-reader'),
    bootstrapBrokers: services().kafkaBrokers,
  });
  const stream = await consumer.consume({ topics: [topic], mode: 'earliest', autocommit: false });
  const out: Array<{ key?: string; value: string }> = [];
  try {
    await Promise.race([
      (async () => {
        for await (const message of stream) {
          out.push({
            ...(message.key ? { key: message.key.toString() } : {}),
            value: message.value.toString(),
          });
          if (out.length >= count) break;
        }
      })(),
      new Promise((_, reject) =>
        setTimeout(() => reject(new Error(`read ${out.length}/${count} from ${topic}`)), 15_000),
      ),
    ]);
  } finally {
    await stream.close().catch(() => {});
    await consumer.close(true);
  }
  return out;
}

const values = (records: KafkaEventRecord[]) => records.map(text);

// ----------------------------------------------------------------------------------------- tests

describe('EsmRunner', () => {
  it('delivers the exact Lambda Kafka event, in partition order, in batches of at most batchSize', async () => {
    const topic = await topicWith(2);
    const messages: Produced[] = [];
    for (let i = 0; i < 25; i++) {
      messages.push({
        partition: i % 2,
        key: `k${i}`,
        value: JSON.stringify({ i }),
        headers: { trace: `t${i}` },
      });
    }
    await produce(topic, messages);
    const seen: KafkaEvent[] = [];
    const config = settings(topic, { batchSize: 10, maximumBatchingWindowInSeconds: 1 });
    const { runner } = await startRunner({
      settings: config,
      eventSource: {
        type: 'aws:kafka',
        eventSourceArn: 'arn:aws:kafka:us-east-1:123456789012:cluster/c/abc',
      },
      handler: partialHandler(() => false, seen),
    });
    await waitFor(() => runner.stats.recordsSucceeded === 25, '25 records');

    expect(runner.stats.batchSizes.every((size) => size <= 10)).toBe(true);
    expect(runner.stats.batchSizes[0]).toBe(10);
    const event = seen[0]!;
    expect(event.eventSource).toBe('aws:kafka');
    expect(event.eventSourceArn).toBe('arn:aws:kafka:us-east-1:123456789012:cluster/c/abc');
    expect(event.bootstrapServers).toBe(services().kafkaBrokers.join(','));
    const first = event.records[`${topic}-0`]![0]!;
    expect(first).toEqual({
      topic,
      partition: 0,
      offset: 0,
      timestamp: expect.any(Number),
      timestampType: 'CREATE_TIME',
      key: Buffer.from('k0').toString('base64'),
      value: Buffer.from(JSON.stringify({ i: 0 })).toString('base64'),
      headers: [{ trace: [...Buffer.from('t0')] }],
    });
    expect(Math.abs(first.timestamp - Date.now())).toBeLessThan(60_000);

    for (const partition of [0, 1]) {
      const delivered = seen.flatMap((e) => e.records[`${topic}-${partition}`] ?? []);
      expect(delivered.map((r) => r.offset)).toEqual([...delivered.keys()]);
      expect(values(delivered)).toEqual(
        messages.filter((m) => m.partition === partition).map((m) => m.value as string),
      );
    }
    await waitFor(async () => {
      const c = await committed(config.consumerGroupId, topic);
      return c[0] === 13 && c[1] === 12;
    }, 'commits at the end of both partitions');
  });

  it('waits for the batching window when fewer records than the batch size arrive', async () => {
    const topic = await topicWith(1);
    const invokedAt: number[] = [];
    const sizes: number[] = [];
    const config = settings(topic, {
      batchSize: 100,
      maximumBatchingWindowInSeconds: 1,
      startingPosition: 'LATEST',
    });
    const { runner } = await startRunner({
      settings: config,
      handler: async (event) => {
        invokedAt.push(Date.now());
        sizes.push(flatten(event).length);
        return { batchItemFailures: [] };
      },
    });
    const producedAt = Date.now();
    await produce(
      topic,
      [1, 2, 3, 4, 5].map((i) => ({ partition: 0, value: `v${i}` })),
    );
    await waitFor(() => runner.stats.recordsSucceeded === 5, '5 records');
    expect(sizes).toEqual([5]);
    expect(invokedAt[0]! - producedAt).toBeGreaterThanOrEqual(900);
  });

  it('uses the 500 ms Kafka default window when none is set, and a full batch goes at once', async () => {
    const topic = await topicWith(1);
    const invokedAt: number[] = [];
    const config = settings(topic, { batchSize: 3, startingPosition: 'LATEST' });
    const { runner } = await startRunner({
      settings: config,
      handler: async () => {
        invokedAt.push(Date.now());
        return { batchItemFailures: [] };
      },
    });
    let producedAt = Date.now();
    await produce(topic, [{ partition: 0, value: 'a' }]);
    await waitFor(() => runner.stats.recordsSucceeded === 1, 'one record');
    const waited = invokedAt[0]! - producedAt;
    expect(waited).toBeGreaterThanOrEqual(400);
    expect(waited).toBeLessThan(1_500);

    producedAt = Date.now();
    await produce(
      topic,
      [1, 2, 3].map((i) => ({ partition: 0, value: `b${i}` })),
    );
    await waitFor(() => runner.stats.recordsSucceeded === 4, 'full batch');
    expect(runner.stats.batchSizes).toEqual([1, 3]);
    expect(invokedAt[1]! - producedAt).toBeLessThan(400);
  });

  it('retries a reported record alone: earlier records and other partitions are not re-delivered', async () => {
    const topic = await topicWith(2);
    await produce(topic, [
      ...[0, 1, 2, 3, 4, 5].map((i) => ({ partition: 0, value: `p0-${i}` })),
      ...[0, 1, 2, 3].map((i) => ({ partition: 1, value: `p1-${i}` })),
    ]);
    const seen: KafkaEvent[] = [];
    let failedOnce = false;
    const config = settings(topic, { batchSize: 100, maximumBatchingWindowInSeconds: 1 });
    const { runner } = await startRunner({
      settings: config,
      handler: partialHandler((record) => {
        if (text(record) === 'p0-3' && !failedOnce) {
          failedOnce = true;
          return true;
        }
        return false;
      }, seen),
    });
    await waitFor(() => runner.stats.recordsSucceeded === 10, 'all records');

    expect(values(flatten(seen[0]!))).toEqual([
      ...[0, 1, 2, 3, 4, 5].map((i) => `p0-${i}`),
      ...[0, 1, 2, 3].map((i) => `p1-${i}`),
    ]);
    // The retry starts at the reported record and carries nothing else.
    expect(Object.keys(seen[1]!.records)).toEqual([`${topic}-0`]);
    expect(values(flatten(seen[1]!))).toEqual(['p0-3', 'p0-4', 'p0-5']);
    expect(seen).toHaveLength(2);
    expect(runner.stats.recordsReportedForRetry).toBe(3);
    expect(runner.stats.recordsRetried).toBe(3);
    await waitFor(async () => {
      const c = await committed(config.consumerGroupId, topic);
      return c[0] === 6 && c[1] === 4;
    }, 'commits');
  });

  it('after the retry limit sends AWS’s failure document to the on-failure topic, and the partition goes on', async () => {
    const topic = await topicWith(1);
    await produce(topic, [
      { partition: 0, value: 'ok-0' },
      { partition: 0, value: 'ok-1' },
      { partition: 0, key: 'order-7', value: 'poison', headers: { h: 'x' } },
    ]);
    const seen: KafkaEvent[] = [];
    const config = settings(topic, { maximumRetryAttempts: 2, maximumBatchingWindowInSeconds: 0 });
    await admin.createTopics({ topics: [config.onFailureTopic], partitions: 1, replicas: 1 });
    const { runner } = await startRunner({
      settings: config,
      functionName: 'lambda-realtime-test-order',
      handler: partialHandler((record) => text(record) === 'poison', seen),
    });
    await waitFor(() => runner.stats.recordsSentToOnFailure === 1, 'on-failure');
    await produce(topic, [
      { partition: 0, value: 'ok-3' },
      { partition: 0, value: 'ok-4' },
    ]);
    await waitFor(() => runner.stats.recordsSucceeded === 4, 'later records');

    const poisonDeliveries = seen.flatMap(flatten).filter((r) => text(r) === 'poison');
    expect(poisonDeliveries).toHaveLength(3); // the first attempt and 2 retries
    const [message] = await readTopic(config.onFailureTopic, 1);
    expect(message!.key).toBe('order-7');
    const document = JSON.parse(message!.value) as FailureDocument;
    expect(document).toMatchObject({
      requestContext: {
        functionArn: 'arn:aws:lambda:us-east-1:000000000000:function:lambda-realtime-test-order',
        condition: 'RetryAttemptsExhausted',
        approximateInvokeCount: 3,
      },
      responseContext: { statusCode: 200, executedVersion: '$LATEST' },
      version: '1.0',
      KafkaBatchInfo: {
        batchSize: 1,
        bootstrapServers: services().kafkaBrokers.join(','),
        recordInfo: { offset: '2', timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) },
      },
      payload: { eventSource: 'aws:kafka', records: { [`${topic}-0`]: [poisonDeliveries[0]] } },
    });
    expect(document.responseContext).not.toHaveProperty('functionError');
    expect(document.KafkaBatchInfo.payloadSize).toBe(Buffer.byteLength(JSON.stringify(document.payload)));
    await waitFor(
      async () => (await committed(config.consumerGroupId, topic))[0] === 5,
      'commit past the poison',
    );
  });

  it('records reported after the failing one in every attempt run out with it (AWS retries them together)', async () => {
    const topic = await topicWith(1);
    await produce(
      topic,
      ['a', 'poison', 'b', 'c'].map((value) => ({ partition: 0, value })),
    );
    const seen: KafkaEvent[] = [];
    const dir = await mkdtemp(join(tmpdir(), 'esm-'));
    const file = join(dir, 'failures.jsonl');
    const config = settings(topic, { maximumRetryAttempts: 1, maximumBatchingWindowInSeconds: 0 });
    const { runner } = await startRunner({
      settings: config,
      onFailure: { kind: 'file', path: file },
      eventSource: { type: 'SelfManagedKafka' },
      handler: partialHandler((record) => text(record) === 'poison', seen),
    });
    await waitFor(() => runner.stats.recordsSentToOnFailure === 3, 'three discarded');
    const documents = (await readFile(file, 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as FailureDocument);
    expect(documents.map((d) => d.KafkaBatchInfo.recordInfo.offset)).toEqual(['1', '2', '3']);
    expect(documents.map((d) => d.requestContext.approximateInvokeCount)).toEqual([2, 2, 2]);
    expect(documents[0]!.payload.eventSource).toBe('SelfManagedKafka');
    expect(documents[0]!.KafkaBatchInfo).not.toHaveProperty('eventSourceArn');
    expect(runner.stats.recordsSucceeded).toBe(1);
    await waitFor(async () => (await committed(config.consumerGroupId, topic))[0] === 4, 'commit past all');
  });

  it('a thrown error fails the whole batch, which is retried whole', async () => {
    const topic = await topicWith(2);
    await produce(topic, [
      { partition: 0, value: 'a0' },
      { partition: 0, value: 'a1' },
      { partition: 1, value: 'b0' },
    ]);
    const seen: KafkaEvent[] = [];
    let throws = 1;
    const config = settings(topic, { maximumBatchingWindowInSeconds: 1 });
    const { runner } = await startRunner({
      settings: config,
      onFailure: { kind: 'none' },
      handler: async (event) => {
        seen.push(event);
        if (throws-- > 0) throw new Error('database down');
        return { batchItemFailures: [] };
      },
    });
    await waitFor(() => runner.stats.recordsSucceeded === 3, 'all records');
    expect(seen).toHaveLength(2);
    expect(seen[1]).toEqual(seen[0]);
    expect(runner.stats.fullBatchFailures).toBe(1);
  });

  it('treats a string identifier, or one not in the batch, as a full-batch failure', async () => {
    const topic = await topicWith(1);
    await produce(topic, [
      { partition: 0, value: 'a' },
      { partition: 0, value: 'b' },
    ]);
    const seen: KafkaEvent[] = [];
    const responses: unknown[] = [
      { batchItemFailures: [{ itemIdentifier: `${topic}-0@1` }] },
      { batchItemFailures: [{ itemIdentifier: { partition: `${topic}-0`, offset: 99 } }] },
      { batchItemFailures: [] },
    ];
    const config = settings(topic, { maximumBatchingWindowInSeconds: 1 });
    const { runner } = await startRunner({
      settings: config,
      handler: async (event) => {
        seen.push(event);
        return responses.shift() as KafkaBatchResponse;
      },
    });
    await waitFor(() => runner.stats.recordsSucceeded === 2, 'success on the third try');
    expect(seen.map((e) => values(flatten(e)))).toEqual([
      ['a', 'b'],
      ['a', 'b'],
      ['a', 'b'],
    ]);
    expect(runner.stats.fullBatchFailures).toBe(2);
  });

  it('bisects a failing batch until the bad record is alone, then retries and discards only it', async () => {
    const topic = await topicWith(1);
    await produce(
      topic,
      [0, 1, 2, 3, 4, 5, 6, 7].map((i) => ({ partition: 0, value: i === 5 ? 'poison' : `r${i}` })),
    );
    const dir = await mkdtemp(join(tmpdir(), 'esm-'));
    const file = join(dir, 'failures.jsonl');
    const config = settings(topic, {
      batchSize: 8,
      maximumBatchingWindowInSeconds: 1,
      bisectBatchOnFunctionError: true,
      maximumRetryAttempts: 1,
    });
    const succeeded: string[] = [];
    const { runner } = await startRunner({
      settings: config,
      onFailure: { kind: 'file', path: file },
      handler: async (event) => {
        const records = flatten(event);
        if (records.some((r) => text(r) === 'poison')) throw new Error('cannot parse');
        succeeded.push(...values(records));
        return { batchItemFailures: [] };
      },
    });
    await waitFor(() => runner.stats.recordsSucceeded === 7, 'the seven good records');
    expect(runner.stats.batchSizes).toEqual([8, 4, 4, 2, 1, 1, 1, 2]);
    expect(succeeded).toEqual(['r0', 'r1', 'r2', 'r3', 'r4', 'r6', 'r7']);
    const [document] = (await readFile(file, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as FailureDocument);
    expect(document!.KafkaBatchInfo.recordInfo.offset).toBe('5');
    expect(document!.responseContext).toEqual({
      statusCode: 200,
      executedVersion: '$LATEST',
      functionError: 'Unhandled',
    });
  });

  it('stopped mid-invocation (abandoned) and restarted, loses nothing and never commits past unprocessed records', async () => {
    const topic = await topicWith(2);
    const all = Array.from({ length: 20 }, (_, i) => ({ partition: i % 2, value: `m${i}` }));
    await produce(topic, all);
    const config = settings(topic, { batchSize: 5, maximumBatchingWindowInSeconds: 0 });
    const processed = new Set<string>();
    let release: () => void = () => {};
    let blocked = false;
    let blockedRequest = '';
    let calls = 0;
    const first = await startRunner({
      settings: config,
      handler: async (event, context) => {
        if (++calls === 3) {
          blocked = true;
          blockedRequest = context.awsRequestId;
          await new Promise<void>((resolve) => {
            release = resolve;
          });
        }
        for (const record of flatten(event)) processed.add(text(record));
        return { batchItemFailures: [] };
      },
    });
    await waitFor(() => blocked, 'the third invocation to block');
    await first.runner.stop({ inFlight: 'abandon' });
    const afterFirst = await committed(config.consumerGroupId, topic);
    // Never past what was processed before the stop: each committed offset's predecessors were processed.
    for (const [partition, offset] of Object.entries(afterFirst)) {
      for (let o = 0; o < offset; o++) expect(processed.has(`m${o * 2 + Number(partition)}`)).toBe(true);
    }
    // Batches of the other partition may have run beside it: the abandoned one is the blocked one.
    const abandoned = first.events.find((e) => e.type === 'invoke' && e.requestId === blockedRequest)!;
    release(); // the abandoned handler finishes late; its result is ignored

    const second = await startRunner({
      settings: config,
      handler: async (event) => {
        for (const record of flatten(event)) processed.add(text(record));
        return { batchItemFailures: [] };
      },
    });
    await waitFor(async () => {
      const c = await committed(config.consumerGroupId, topic);
      return c[0] === 10 && c[1] === 10;
    }, 'the second runner to commit everything');
    expect([...processed].sort()).toEqual(all.map((m) => m.value).sort());
    // The abandoned batch came back: at least once.
    const redelivered = second.events
      .filter((e) => e.type === 'invoke')
      .flatMap((e) => Object.entries(e.partitions));
    for (const [key, offsets] of Object.entries(abandoned.type === 'invoke' ? abandoned.partitions : {})) {
      const again = redelivered.filter(([k]) => k === key).flatMap(([, o]) => o);
      for (const offset of offsets) expect(again).toContain(offset);
    }
  });

  it('stopped mid-invocation (finish) settles and commits the in-flight batch, so a restart does not repeat it', async () => {
    const topic = await topicWith(1);
    await produce(
      topic,
      Array.from({ length: 6 }, (_, i) => ({ partition: 0, value: `m${i}` })),
    );
    const config = settings(topic, { batchSize: 3, maximumBatchingWindowInSeconds: 0 });
    let inFlight = false;
    const delivered: string[] = [];
    const first = await startRunner({
      settings: config,
      handler: async (event) => {
        inFlight = true;
        await new Promise((resolve) => setTimeout(resolve, 300));
        delivered.push(...values(flatten(event)));
        return { batchItemFailures: [] };
      },
    });
    await waitFor(() => inFlight, 'an invocation in flight');
    await first.runner.stop();
    const done = delivered.length;
    expect(done).toBeGreaterThan(0);
    expect((await committed(config.consumerGroupId, topic))[0]).toBe(done);

    await startRunner({
      settings: config,
      handler: async (event) => {
        delivered.push(...values(flatten(event)));
        return { batchItemFailures: [] };
      },
    });
    await waitFor(async () => (await committed(config.consumerGroupId, topic))[0] === 6, 'the rest');
    expect(delivered).toEqual(['m0', 'm1', 'm2', 'm3', 'm4', 'm5']);
  });

  it('value filters drop non-matching and non-JSON records, and commit past them', async () => {
    const topic = await topicWith(1);
    await produce(topic, [
      { partition: 0, value: JSON.stringify({ domain: 'order', amount: 5 }) },
      { partition: 0, value: JSON.stringify({ domain: 'user', amount: 5 }) },
      { partition: 0, value: 'order but not JSON' },
      { partition: 0, value: JSON.stringify({ domain: 'order', amount: 0 }) },
      { partition: 0, value: JSON.stringify({ domain: 'order', amount: 9 }) },
    ]);
    const seen: KafkaEvent[] = [];
    const config = settings(topic, { maximumBatchingWindowInSeconds: 0 });
    const { runner } = await startRunner({
      settings: config,
      filterCriteria: {
        Filters: [
          { Pattern: JSON.stringify({ value: { domain: ['order'], amount: [{ numeric: ['>', 0] }] } }) },
        ],
      },
      handler: partialHandler(() => false, seen),
    });
    await waitFor(
      async () => (await committed(config.consumerGroupId, topic))[0] === 5,
      'commit past all five',
    );
    expect(seen.flatMap(flatten).map((r) => r.offset)).toEqual([0, 4]);
    expect(runner.stats.recordsFilteredOut).toBe(3);
  });

  it('sends records older than MaximumRecordAgeInSeconds to the destination without invoking', async () => {
    const topic = await topicWith(1);
    await produce(topic, [
      { partition: 0, value: 'stale', timestamp: Date.now() - 120_000 },
      { partition: 0, value: 'fresh' },
    ]);
    const dir = await mkdtemp(join(tmpdir(), 'esm-'));
    const file = join(dir, 'failures.jsonl');
    const seen: KafkaEvent[] = [];
    const config = settings(topic, { maximumRecordAgeInSeconds: 60, maximumBatchingWindowInSeconds: 0 });
    const { runner } = await startRunner({
      settings: config,
      onFailure: { kind: 'file', path: file },
      handler: partialHandler(() => false, seen),
    });
    await waitFor(() => runner.stats.recordsSucceeded === 1, 'the fresh record');
    expect(seen.flatMap(flatten).map(text)).toEqual(['fresh']);
    const [document] = (await readFile(file, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as FailureDocument);
    expect(document!.requestContext).toMatchObject({
      condition: 'RecordAgeExceeded',
      approximateInvokeCount: 0,
    });
    expect(document!.responseContext).toBeNull();
    expect(text(Object.values(document!.payload.records)[0]![0]!)).toBe('stale');
  });
});

describe('EsmRunner concurrency', () => {
  it('runs batches of different partitions at once, never two of one partition, in order within each', async () => {
    const topic = await topicWith(4);
    const messages: Produced[] = [];
    for (let i = 0; i < 160; i++) messages.push({ partition: i % 4, value: `m${i}` });
    await produce(topic, messages);
    const spans: Array<{ partitions: string[]; start: number; end: number }> = [];
    const delivered: Record<string, number[]> = {};
    let running = 0;
    let mostRunning = 0;
    const config = settings(topic, { batchSize: 5, maximumBatchingWindowInSeconds: 0 });
    const { runner } = await startRunner({
      settings: config,
      handler: async (event) => {
        running += 1;
        mostRunning = Math.max(mostRunning, running);
        const start = Date.now();
        for (const [key, records] of Object.entries(event.records)) {
          delivered[key] = [...(delivered[key] ?? []), ...records.map((r) => r.offset)];
        }
        await new Promise((resolve) => setTimeout(resolve, 40));
        running -= 1;
        spans.push({ partitions: Object.keys(event.records), start, end: Date.now() });
        return { batchItemFailures: [] };
      },
    });
    await waitFor(() => runner.stats.recordsSucceeded === 160, '160 records', 60_000);

    // N from the settings: provisioned pollers maximum (3 by default) × 5 invocations each.
    expect(runner.maxConcurrency).toBe(15);
    const overlaps = (a: (typeof spans)[number], b: (typeof spans)[number]) =>
      a.start < b.end && b.start < a.end;
    let concurrent = 0;
    for (const [i, a] of spans.entries()) {
      for (const b of spans.slice(i + 1)) {
        if (!overlaps(a, b)) continue;
        concurrent += 1;
        // Two batches in flight at once never share a partition.
        expect(a.partitions.filter((p) => b.partitions.includes(p))).toEqual([]);
      }
    }
    expect(concurrent).toBeGreaterThan(0);
    expect(mostRunning).toBeGreaterThan(1);
    expect(runner.stats.maxConcurrentBatches).toBeGreaterThan(1);
    // Order within each partition: every offset once, ascending.
    for (let p = 0; p < 4; p++) {
      expect(delivered[`${topic}-${p}`]).toEqual(Array.from({ length: 40 }, (_, i) => i));
    }
    await waitFor(async () => {
      const c = await committed(config.consumerGroupId, topic);
      return [0, 1, 2, 3].every((p) => c[p] === 40);
    }, 'commits at the end of every partition');
  });

  it('keeps at most maxConcurrentBatches in flight, and derives the default from the provisioned pollers', async () => {
    const topic = await topicWith(4);
    await produce(
      topic,
      Array.from({ length: 40 }, (_, i) => ({ partition: i % 4, value: `m${i}` })),
    );
    let running = 0;
    let mostRunning = 0;
    const config = settings(topic, {
      batchSize: 2,
      maximumBatchingWindowInSeconds: 0,
      provisionedPollers: { minimum: 1, maximum: 1 },
    });
    const { runner } = await startRunner({
      settings: config,
      maxConcurrentBatches: 2,
      handler: async () => {
        running += 1;
        mostRunning = Math.max(mostRunning, running);
        await new Promise((resolve) => setTimeout(resolve, 30));
        running -= 1;
        return { batchItemFailures: [] };
      },
    });
    await waitFor(() => runner.stats.recordsSucceeded === 40, '40 records');
    expect(mostRunning).toBe(2);
    expect(runner.stats.maxConcurrentBatches).toBe(2);
    expect(
      new EsmRunner({ handler: async () => ({ batchItemFailures: [] }), brokers: [], settings: config })
        .maxConcurrency,
    ).toBe(5);
  });

  it('a failing partition holds its own commits back until the retry succeeds, while the others go on', async () => {
    const topic = await topicWith(2);
    await produce(topic, [
      ...Array.from({ length: 10 }, (_, i) => ({ partition: 0, value: `a${i}` })),
      ...Array.from({ length: 10 }, (_, i) => ({ partition: 1, value: `b${i}` })),
    ]);
    let failures = 3;
    const config = settings(topic, { batchSize: 4, maximumBatchingWindowInSeconds: 0 });
    const { runner, events } = await startRunner({
      settings: config,
      backoff: { initialMs: 150, maxMs: 150 },
      handler: async (event) => {
        const response: KafkaBatchResponse = { batchItemFailures: [] };
        for (const records of Object.values(event.records)) {
          const bad = records.findIndex((r) => text(r) === 'a5');
          if (bad >= 0 && failures-- > 0) response.batchItemFailures.push(...records.slice(bad).map(fail));
        }
        return response;
      },
    });
    await waitFor(() => runner.stats.recordsSucceeded === 20, 'all records');
    const commits = (p: number) =>
      events
        .filter((e): e is Extract<EsmRunnerEvent, { type: 'commit' }> => e.type === 'commit')
        .filter((e) => e.partition === `${topic}-${p}`)
        .map((e) => Number(e.offset));
    await waitFor(() => commits(0).at(-1) === 10 && commits(1).at(-1) === 10, 'both partitions committed');
    // Partition 0 never commits past a5 (offset 5) before a5 succeeded; partition 1 finished meanwhile.
    const firstPast5 = events.findIndex(
      (e) => e.type === 'commit' && e.partition === `${topic}-0` && Number(e.offset) > 5,
    );
    const lastOf1 = events.findIndex(
      (e) => e.type === 'commit' && e.partition === `${topic}-1` && e.offset === '10',
    );
    expect(lastOf1).toBeGreaterThanOrEqual(0);
    expect(lastOf1).toBeLessThan(firstPast5);
    expect(commits(0)).toEqual([...commits(0)].sort((a, b) => a - b));
    expect(commits(0).at(-1)).toBe(10);
    expect(runner.stats.recordsRetried).toBeGreaterThan(0);
  });
});

describe('EsmRunner metrics', () => {
  it('counts what AWS reports for a Kafka ESM: polled, filtered, invoked, failed, dropped, delivered, errors, OffsetLag', async () => {
    const topic = await topicWith(1);
    const values = ['a', 'skip', 'poison', 'b'].map((v) => ({ partition: 0, value: JSON.stringify({ v }) }));
    await produce(topic, values);
    const dir = await mkdtemp(join(tmpdir(), 'esm-'));
    let throws = 1;
    const config = settings(topic, { maximumRetryAttempts: 2, maximumBatchingWindowInSeconds: 0 });
    const { runner } = await startRunner({
      settings: config,
      onFailure: { kind: 'file', path: join(dir, 'failures.jsonl') },
      filterCriteria: {
        Filters: [{ Pattern: JSON.stringify({ value: { v: [{ 'anything-but': ['skip'] }] } }) }],
      },
      handler: async (event) => {
        if (throws-- > 0) throw new Error('database down');
        const response: KafkaBatchResponse = { batchItemFailures: [] };
        for (const records of Object.values(event.records)) {
          const bad = records.findIndex((r) => text(r).includes('poison'));
          if (bad >= 0) response.batchItemFailures.push(...records.slice(bad).map(fail));
        }
        return response;
      },
    });
    await waitFor(
      () => runner.metrics.OnFailureDestinationDeliveredEventCount === 2,
      'two records discarded',
    );
    // Invocations: [a poison b] throws; [a poison b] reports poison (a done); [poison b] reports poison:
    // poison and b are out of retries (3 failures > 2) and go to the destination together.
    expect(runner.metrics).toEqual({
      PolledEventCount: 4,
      FilteredOutEventCount: 1,
      InvokedEventCount: 3 + 3 + 2,
      FailedInvokeEventCount: 3 + 2 + 2,
      DroppedEventCount: 0,
      OnFailureDestinationDeliveredEventCount: 2,
      InvokeErrorCount: 1,
    });
    await waitFor(async () => (await runner.offsetLag()).total === 0, 'OffsetLag 0');
    await runner.stop();

    // OffsetLag: what the group has not committed, per partition.
    await produce(topic, [
      { partition: 0, value: '{"v":"c"}' },
      { partition: 0, value: '{"v":"d"}' },
    ]);
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const second = await startRunner({
      settings: config,
      onFailure: { kind: 'none' },
      handler: async () => {
        await gate;
        return { batchItemFailures: [] };
      },
    });
    await waitFor(() => second.runner.inFlight === 1, 'the batch in flight');
    expect(await second.runner.offsetLag()).toEqual({ partitions: { [`${topic}-0`]: 2 }, total: 2, max: 2 });
    release();
    await waitFor(async () => (await second.runner.offsetLag()).total === 0, 'OffsetLag 0 again');
  });

  it('counts records discarded without a destination as dropped', async () => {
    const topic = await topicWith(1);
    await produce(topic, [{ partition: 0, value: 'poison' }]);
    const config = settings(topic, { maximumRetryAttempts: 0, maximumBatchingWindowInSeconds: 0 });
    const { runner } = await startRunner({
      settings: config,
      onFailure: { kind: 'none' },
      handler: partialHandler(() => true, []),
    });
    await waitFor(() => runner.metrics.DroppedEventCount === 1, 'one dropped');
    expect(runner.metrics).toMatchObject({
      InvokedEventCount: 1,
      FailedInvokeEventCount: 1,
      OnFailureDestinationDeliveredEventCount: 0,
      InvokeErrorCount: 0,
    });
  });
});
