/**
 * Kafka plumbing of the replay tool: the producer that republishes raw records, the partition a
 * record goes to, and the connection settings.
 */
import type { ConnectionOptions } from 'node:tls';
import {
  compatibilityPartitioner,
  type MessageToProduce,
  Producer,
  type SASLOptions,
} from '@platformatic/kafka';
import { mskIamToken } from './msk-iam.ts';

/** What every client of the tool connects with. */
export interface KafkaConnection {
  bootstrapBrokers: string[];
  tls?: ConnectionOptions;
  tlsServerName?: boolean;
  sasl?: SASLOptions;
}

/**
 * From the environment: KAFKA_BROKERS (comma-separated); KAFKA_AUTH `none` (default), `tls` (TLS,
 * no authentication) or `msk-iam` (TLS and SASL/OAUTHBEARER with an IAM token signed for
 * AWS_REGION from the default credential chain — MSK's IAM listener, port 9098).
 */
export function kafkaConnectionFromEnv(env: NodeJS.ProcessEnv): KafkaConnection {
  const bootstrapBrokers = (env.KAFKA_BROKERS ?? '')
    .split(',')
    .map((b) => b.trim())
    .filter(Boolean);
  if (bootstrapBrokers.length === 0) throw new Error('KAFKA_BROKERS is empty');
  const auth = env.KAFKA_AUTH?.trim() || 'none';
  switch (auth) {
    case 'none':
      return { bootstrapBrokers };
    case 'tls':
      return { bootstrapBrokers, tls: {}, tlsServerName: true };
    case 'msk-iam': {
      const region = env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
      if (!region) throw new Error("KAFKA_AUTH=msk-iam needs AWS_REGION (the cluster's region)");
      return {
        bootstrapBrokers,
        tls: {},
        tlsServerName: true,
        sasl: { mechanism: 'OAUTHBEARER', token: () => mskIamToken({ region }) },
      };
    }
    default:
      throw new Error(`KAFKA_AUTH must be none, tls or msk-iam, not ${JSON.stringify(auth)}`);
  }
}

/** One record to publish again: the original bytes, and where it came from. */
export interface RawRecord {
  /** The destination topic. */
  topic: string;
  /** Where the record was: its own topic and partition. */
  sourceTopic: string;
  sourcePartition: number;
  key: Buffer | null;
  value: Buffer | null;
  /** In order, duplicates kept. */
  headers: Array<[name: Buffer, value: Buffer]>;
}

/**
 * A producer of raw bytes: no serializers, idempotent (a send repeated on stale metadata must not
 * write a record twice), and waiting for every in-sync replica's acknowledgement.
 */
export function rawProducer(connection: KafkaConnection, clientId: string): Producer {
  return new Producer({ clientId, ...connection, idempotent: true });
}

/**
 * Where a record goes, so that its entity's order holds:
 * - back into its own topic: the partition it came from, where its entity's other records are
 *   (whichever partitioner the business system used), while that partition exists;
 * - into another topic: by key with Java's partitioner (murmur2, the Kafka default), keyless
 *   records round robin.
 */
export function toMessage(record: RawRecord, partitionsOf: ReadonlyMap<string, number>): MessageToProduce {
  const samePlace =
    record.topic === record.sourceTopic && record.sourcePartition < (partitionsOf.get(record.topic) ?? 0);
  const partition = samePlace
    ? record.sourcePartition
    : record.key
      ? compatibilityPartitioner({ topic: record.topic }, record.key) % (partitionsOf.get(record.topic) ?? 1)
      : undefined;
  return {
    topic: record.topic,
    ...(partition === undefined ? {} : { partition }),
    // null stays null: a tombstone is replayed as a tombstone, a keyless record stays keyless.
    ...(record.key ? { key: record.key } : {}),
    // The client writes a null value as Kafka's null (length -1); its type only says Buffer.
    value: record.value as Buffer,
    // Distinct Buffer objects are distinct Map keys: repeated header names survive, in order.
    headers: new Map(record.headers.map(([name, value]) => [Buffer.from(name), value])),
  };
}

/**
 * Publishes raw records with one producer, each batch in one send. It learns a destination topic's
 * partition count (toMessage needs it) the first time the topic comes up, and fails naming a topic
 * that does not exist or cannot be read.
 */
export class Republisher {
  readonly #producer: Producer;
  #partitions = new Map<string, number>();

  constructor(producer: Producer) {
    this.#producer = producer;
  }

  /** Sends `records` in one send; returns why the send failed (then none of them counts as sent). */
  async publish(records: readonly RawRecord[]): Promise<string | undefined> {
    const missing = [...new Set(records.map((r) => r.topic))].filter((t) => !this.#partitions.has(t));
    if (missing.length > 0) {
      this.#partitions = new Map([...this.#partitions, ...(await partitionCounts(this.#producer, missing))]);
    }
    try {
      await this.#producer.send({ messages: records.map((r) => toMessage(r, this.#partitions)) });
      return undefined;
    } catch (error) {
      return (error as Error).message;
    }
  }
}

/** Partition counts of the topics; fails naming a topic that does not exist. */
async function partitionCounts(producer: Producer, topics: string[]): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  if (topics.length === 0) return counts;
  for (const topic of topics) {
    try {
      const metadata = await producer.metadata({ topics: [topic], autocreateTopics: false, retries: 1 });
      counts.set(topic, metadata.topics.get(topic)?.partitionsCount ?? 0);
    } catch (error) {
      throw new Error(
        `cannot read topic ${topic} (is Kafka reachable, does the topic exist?): ${(error as Error).message}`,
      );
    }
    if (!counts.get(topic)) throw new Error(`topic ${topic} does not exist`);
  }
  return counts;
}
