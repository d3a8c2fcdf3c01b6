/**
 * The intake's message stream failing (what a broker restart does: the client keeps fetching with
 * the partitions' old leader epoch, the broker answers FENCED_LEADER_EPOCH, and after its retries
 * the client destroys the stream): the intake reports it and opens a new stream, which starts at
 * the committed offsets; only a stream that cannot be opened again, time after time, is fatal.
 */
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { type IntakeListener, KafkaIntake, type KafkaMessage } from '../../../local-esm/intake.ts';

class FakeStream extends EventEmitter {
  paused = false;
  closed = false;
  pause() {
    this.paused = true;
  }
  resume() {
    this.paused = false;
  }
  isPaused() {
    return this.paused;
  }
  async close() {
    this.closed = true;
  }
}

/** The part of @platformatic/kafka's Consumer the intake uses; `consume` fails `failures` times first. */
class FakeConsumer extends EventEmitter {
  assignments = [{ topic: 't', partitions: [0] }];
  readonly streams: FakeStream[] = [];
  failures = 0;
  async consume() {
    if (this.failures > 0) {
      this.failures -= 1;
      throw new Error('Connection refused');
    }
    const stream = new FakeStream();
    this.streams.push(stream);
    setImmediate(() => stream.emit('offsets'));
    return stream;
  }
  async close() {}
}

function message(offset: number): KafkaMessage {
  return {
    topic: 't',
    partition: 0,
    offset: BigInt(offset),
    timestamp: 0n,
    key: Buffer.from('k'),
    value: Buffer.from('v'),
    headers: new Map(),
    headerEntries: [],
    leaderEpoch: 0,
    metadata: {},
    commit: () => undefined,
    toJSON: () => ({}) as never,
  } as unknown as KafkaMessage;
}

function intakeWith(consumer: FakeConsumer) {
  const seen: number[] = [];
  const errors: string[] = [];
  const fatal: unknown[] = [];
  const listener: IntakeListener = {
    message: (m) => seen.push(Number(m.offset)),
    revoke: async () => {},
    assigned: () => {},
    fatal: (error) => fatal.push(error),
    error: (what) => errors.push(what),
  };
  const intake = new KafkaIntake({
    brokers: ['127.0.0.1:1'],
    groupId: 'g',
    clientId: 'c',
    topics: ['t'],
    startingPosition: 'TRIM_HORIZON',
    maxWaitTimeMs: 100,
    sessionTimeoutMs: 10_000,
    listener,
    reopen: { initialMs: 1, maxMs: 5, attempts: 4 },
    createConsumer: () => consumer as never,
  });
  return { intake, seen, errors, fatal };
}

const until = async (condition: () => boolean) => {
  for (let i = 0; i < 500 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 2));
  expect(condition()).toBe(true);
};

describe('KafkaIntake', () => {
  it('opens a new message stream when the one it reads fails, and takes messages only from the new one', async () => {
    const consumer = new FakeConsumer();
    const { intake, seen, errors, fatal } = intakeWith(consumer);
    await intake.start();
    const [first] = consumer.streams as [FakeStream];
    first.emit('data', message(0));
    consumer.failures = 2; // the broker is still away for the first two attempts
    first.emit('error', new Error('fetch failed 4 times'));
    await until(() => consumer.streams.length === 2);
    const second = consumer.streams[1]!;
    first.emit('data', message(1)); // late, from the failed stream: ignored
    second.emit('data', message(1));
    expect(seen).toEqual([0, 1]);
    expect(fatal).toEqual([]);
    expect(errors).toEqual([
      'message stream failed; reading again from the committed offsets',
      'reopening the message stream',
      'reopening the message stream',
    ]);
    await until(() => first.closed);
    await intake.close();
    expect(second.closed).toBe(true);
  });

  it('is fatal when no stream can be opened again', async () => {
    const consumer = new FakeConsumer();
    const { intake, fatal } = intakeWith(consumer);
    await intake.start();
    consumer.failures = 10;
    consumer.streams[0]!.emit('error', new Error('fetch failed 4 times'));
    await until(() => fatal.length === 1);
    expect(String(fatal[0])).toContain('Connection refused');
    expect(consumer.failures).toBe(6); // four attempts
    await intake.close();
  });
});
