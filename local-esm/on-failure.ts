/**
 * The ESM's on-failure destination: AWS's invocation record for one discarded Kafka record, sent to a
 * Kafka topic (as AWS does for a `kafka://` destination) or appended to a JSONL file (local stand-in
 * for an SQS/SNS/S3 destination).
 *
 * Format, from docs.aws.amazon.com/lambda/latest/dg/kafka-on-failure-destination.html ("Record format
 * for a Kafka destination"): one message per failed record, keyed by the original record's key;
 * `KafkaBatchInfo.batchSize` 1, `recordInfo.{offset,timestamp}` as strings, `payload` the invocation
 * event holding only that record. `condition` is `RetryAttemptsExhausted`, `RecordAgeExceeded` or
 * `MaximumPayloadSizeExceeded` (kafka-on-failure.html lists the first and last; the Kafka-destination
 * page's example shows `RetriesExhausted`, so readers should accept both spellings).
 * `responseContext` is null when the record never reached the function.
 */
import { randomUUID } from 'node:crypto';
import { appendFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Producer } from '@platformatic/kafka';
import type { KafkaEvent, KafkaEventRecord } from '../shared/pipeline/lambda-event.ts';
import { buildKafkaEvent, type EventSourceForm } from './kafka-event.ts';

export type FailureCondition =
  | 'RetryAttemptsExhausted'
  | 'RecordAgeExceeded'
  | 'MaximumPayloadSizeExceeded'
  /** With a schema registry: the record's schema id is not in the registry (services-consume-kafka-events.html). */
  | 'SCHEMA_NOT_FOUND'
  /** With a schema registry: not in the registry's wire format, or not deserialisable with its schema. */
  | 'DESERIALIZATION_ERROR';

export interface FailureDocument {
  requestContext: {
    requestId: string;
    functionArn: string;
    condition: FailureCondition;
    approximateInvokeCount: number;
  };
  responseContext: { statusCode: number; executedVersion: string; functionError?: string } | null;
  version: '1.0';
  timestamp: string;
  KafkaBatchInfo: {
    batchSize: 1;
    eventSourceArn?: string;
    bootstrapServers: string;
    payloadSize: number;
    recordInfo: { offset: string; timestamp: string };
  };
  payload: KafkaEvent;
}

export interface FailedRecord {
  record: KafkaEventRecord;
  condition: FailureCondition;
  /** Invocations that carried the record. */
  invokeCount: number;
  /** How the last invocation ended: a function error (thrown, timed out, bad response) or a reported item. */
  lastFunctionError?: 'Unhandled' | undefined;
}

export function failureDocument(
  failed: FailedRecord,
  context: { functionArn: string; source: EventSourceForm; bootstrapServers: string; now?: Date },
): FailureDocument {
  const payload = buildKafkaEvent(context.source, context.bootstrapServers, [failed.record]);
  const invoked = failed.invokeCount > 0;
  return {
    requestContext: {
      requestId: randomUUID(),
      functionArn: context.functionArn,
      condition: failed.condition,
      approximateInvokeCount: failed.invokeCount,
    },
    responseContext: invoked
      ? {
          statusCode: 200,
          executedVersion: '$LATEST',
          ...(failed.lastFunctionError ? { functionError: failed.lastFunctionError } : {}),
        }
      : null,
    version: '1.0',
    timestamp: (context.now ?? new Date()).toISOString(),
    KafkaBatchInfo: {
      batchSize: 1,
      ...(context.source.type === 'aws:kafka' ? { eventSourceArn: context.source.eventSourceArn } : {}),
      bootstrapServers: context.bootstrapServers,
      payloadSize: Buffer.byteLength(JSON.stringify(payload)),
      recordInfo: {
        offset: String(failed.record.offset),
        timestamp: new Date(failed.record.timestamp).toISOString(),
      },
    },
    payload,
  };
}

export type OnFailureTarget =
  | { kind: 'kafka'; topic: string }
  | { kind: 'file'; path: string }
  | { kind: 'none' };

/** Where discarded records go. `send` resolves once the document is durable (acked or written). */
export interface OnFailureDestination {
  readonly description: string;
  send(document: FailureDocument): Promise<void>;
  close(): Promise<void>;
}

export function createOnFailureDestination(target: OnFailureTarget, brokers: string[]): OnFailureDestination {
  switch (target.kind) {
    case 'kafka':
      return new KafkaTopicDestination(target.topic, brokers);
    case 'file':
      return new JsonLinesFileDestination(target.path);
    case 'none':
      return { description: 'none', send: async () => {}, close: async () => {} };
  }
}

class KafkaTopicDestination implements OnFailureDestination {
  readonly description: string;
  readonly #topic: string;
  readonly #brokers: string[];
  #producer: Producer | undefined;

  constructor(topic: string, brokers: string[]) {
    this.#topic = topic;
    this.#brokers = brokers;
    this.description = `kafka://${topic}`;
  }

  async send(document: FailureDocument): Promise<void> {
    // Idempotent: a send repeated on stale metadata must not duplicate a failure document.
    this.#producer ??= new Producer({
      clientId: 'lrt-esm-on-failure',
      bootstrapBrokers: this.#brokers,
      idempotent: true,
    });
    const key = document.payload.records ? Object.values(document.payload.records)[0]?.[0]?.key : undefined;
    // Same key as the original record (so it lands beside its siblings); keyless records spread.
    await this.#producer.send({
      messages: [
        {
          topic: this.#topic,
          ...(key ? { key: Buffer.from(key, 'base64') } : {}),
          value: Buffer.from(JSON.stringify(document)),
        },
      ],
    });
  }

  async close(): Promise<void> {
    await this.#producer?.close();
  }
}

class JsonLinesFileDestination implements OnFailureDestination {
  readonly description: string;
  readonly #path: string;

  constructor(path: string) {
    this.#path = path;
    this.description = `file://${path}`;
  }

  async send(document: FailureDocument): Promise<void> {
    await mkdir(dirname(this.#path), { recursive: true });
    await appendFile(this.#path, `${JSON.stringify(document)}\n`);
  }

  async close(): Promise<void> {}
}
