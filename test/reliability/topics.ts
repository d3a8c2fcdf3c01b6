/**
 * A scenario's Kafka side: its topics, the lag of the functions' consumer groups, the topics read
 * back whole, and a producer. Both survive a broker restart: a failed admin call gets the next one
 * a new client, a failed send is retried on a new producer.
 */
import { Admin, Consumer, type MessageToProduce, Producer } from '@platformatic/kafka';
import { uniqueName } from '../support/services.ts';
import { sleep, withTimeout } from './processes.ts';

/** Topics take values a bit over 1 MiB (the oversize bad input); the broker's default is 1 MB. */
const MAX_MESSAGE_BYTES = 4 * 1024 * 1024;

/** A record read back from a topic. */
export interface TopicMessage {
  partition: number;
  offset: number;
  key: string | undefined;
  value: Buffer | undefined;
  headers: Array<[string, Buffer]>;
}

export class Topics {
  readonly #brokers: string[];
  #admin: Admin;

  constructor(brokers: string[]) {
    this.#brokers = brokers;
    this.#admin = this.#newAdmin();
  }

  #newAdmin(): Admin {
    return new Admin({ clientId: 'lrt-reliability-admin', bootstrapBrokers: this.#brokers });
  }

  async create(topic: string, partitions: number): Promise<void> {
    await this.#admin.createTopics({
      topics: [topic],
      partitions,
      replicas: 1,
      configs: [{ name: 'max.message.bytes', value: String(MAX_MESSAGE_BYTES) }],
    });
  }

  /** An admin call; when it fails (the broker restarted, say), the next one gets a new client. */
  async #withAdmin<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      const old = this.#admin;
      this.#admin = this.#newAdmin();
      await old.close().catch(() => {});
      throw error;
    }
  }

  /** The next offset of each partition of `topic` (its high watermark), retried on a new client. */
  async ends(topic: string, partitions: number): Promise<Map<number, bigint>> {
    for (let attempt = 1; ; attempt++) {
      try {
        const ends = await this.#withAdmin(() =>
          this.#admin.listOffsets({
            topics: [
              {
                name: topic,
                partitions: Array.from({ length: partitions }, (_, p) => ({
                  partitionIndex: p,
                  timestamp: -1n,
                })),
              },
            ],
          }),
        );
        return new Map((ends[0]?.partitions ?? []).map((p) => [p.partitionIndex, p.offset]));
      } catch (error) {
        if (attempt >= 10) throw error;
        await sleep(1_000);
      }
    }
  }

  /** Σ over `groups` and the partitions of `topic` of high watermark − committed offset. */
  lag(topic: string, partitions: number, groups: readonly string[]): Promise<number> {
    return this.#withAdmin(async () => {
      const end = await this.ends(topic, partitions);
      const committed = await this.#admin.listConsumerGroupOffsets({ groups: [...groups] });
      let lag = 0;
      for (const groupId of groups) {
        const group = committed.find((g) => g.groupId === groupId);
        for (let p = 0; p < partitions; p++) {
          const offset = group?.topics
            .find((t) => t.name === topic)
            ?.partitions.find((x) => x.partitionIndex === p)?.committedOffset;
          const done = offset === undefined || offset < 0n ? 0n : offset;
          lag += Number((end.get(p) ?? 0n) - done);
        }
      }
      return lag;
    });
  }

  /** Every record of `topic`, read from the start up to its high watermarks. */
  async readAll(topic: string, partitions: number): Promise<TopicMessage[]> {
    const want = new Map<number, number>();
    for (const [partition, end] of await this.ends(topic, partitions)) {
      if (end > 0n) want.set(partition, Number(end));
    }
    const total = [...want.values()].reduce((a, b) => a + b, 0);
    if (total === 0) return [];
    const consumer = new Consumer({
      clientId: 'lrt-reliability-reader',
      groupId: uniqueName('lrt-reliability-reader'),
      bootstrapBrokers: this.#brokers,
    });
    const stream = await consumer.consume({ topics: [topic], mode: 'earliest', autocommit: false });
    const out: TopicMessage[] = [];
    const seen = new Set<string>();
    try {
      await withTimeout(
        (async () => {
          for await (const m of stream) {
            const id = `${m.partition}:${m.offset}`;
            if (seen.has(id)) continue;
            seen.add(id);
            out.push({
              partition: m.partition,
              offset: Number(m.offset),
              key: m.key?.toString(),
              value: m.value ?? undefined,
              headers: m.headerEntries.map(([k, v]) => [k.toString(), v]),
            });
            if (out.length >= total) break;
          }
        })(),
        120_000,
        () => `read ${out.length} of ${total} records of ${topic}`,
      );
    } finally {
      await stream.close().catch(() => {});
      await consumer.close(true).catch(() => {});
    }
    return out;
  }

  async delete(topics: string[]): Promise<void> {
    await this.#admin.deleteTopics({ topics });
  }

  async close(): Promise<void> {
    await this.#admin.close();
  }
}

/**
 * Sends until the broker takes the messages: a failed send (the broker away) is retried on a new
 * producer, so a message may then be in the topic twice, which the accounting sees (two records,
 * one eventId).
 */
export class RetryingProducer {
  readonly #brokers: string[];
  readonly #log: (line: string) => void;
  #producer: Producer | undefined;

  constructor(brokers: string[], log: (line: string) => void) {
    this.#brokers = brokers;
    this.#log = log;
  }

  /** Sends `messages`; answers how many were handed to a producer again (after failed sends). */
  async send(messages: MessageToProduce[]): Promise<number> {
    let resent = 0;
    for (let attempt = 1; ; attempt++) {
      try {
        this.#producer ??= new Producer({
          clientId: 'lrt-reliability-producer',
          bootstrapBrokers: this.#brokers,
          idempotent: true,
        });
        await this.#producer.send({ messages });
        return resent;
      } catch (error) {
        if (attempt === 1 || attempt % 10 === 0) {
          this.#log(`  producer: send failed (${(error as Error).message}); retrying`);
        }
        const old = this.#producer;
        this.#producer = undefined;
        await old?.close().catch(() => {});
        resent += messages.length;
        if (attempt > 600) throw error;
        await sleep(1_000);
      }
    }
  }

  async close(): Promise<void> {
    await this.#producer?.close().catch(() => {});
  }
}
