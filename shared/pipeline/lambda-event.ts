/**
 * The Lambda Kafka invocation event and partial batch response (docs/architecture.md, contracts 2 and 3),
 * shared by the handlers, the local event-source-mapping runner and the tests.
 */
import type { Context } from 'aws-lambda';

/** One record as Lambda delivers it: key/value base64, headers as arrays of byte values. */
export interface KafkaEventRecord {
  topic: string;
  partition: number;
  offset: number;
  /** Epoch milliseconds. */
  timestamp: number;
  timestampType: 'CREATE_TIME' | 'LOG_APPEND_TIME';
  key?: string | null;
  value: string | null;
  headers: Array<Record<string, number[]>>;
  /** With a schema registry: the format and schema id the ESM validated the key/value against. */
  keySchemaMetadata?: SchemaMetadata;
  valueSchemaMetadata?: SchemaMetadata;
}

/** What the ESM adds to a record it validated against a schema registry (services-consume-kafka-events.html). */
export interface SchemaMetadata {
  dataFormat: 'AVRO' | 'PROTOBUF' | 'JSON' | (string & {});
  schemaId: string;
}

export interface KafkaEvent {
  eventSource: 'aws:kafka' | 'SelfManagedKafka';
  /** MSK only. */
  eventSourceArn?: string;
  /** Comma-separated. */
  bootstrapServers: string;
  /** Keyed `<topic>-<partition>`; each array in offset order. */
  records: Record<string, KafkaEventRecord[]>;
}

export interface KafkaItemIdentifier {
  /** `<topic>-<partition>` */
  partition: string;
  offset: number;
}

export interface KafkaBatchResponse {
  batchItemFailures: Array<{ itemIdentifier: KafkaItemIdentifier }>;
}

export type KafkaHandler = (event: KafkaEvent, context: Context) => Promise<KafkaBatchResponse>;

export function partitionKey(topic: string, partition: number): string {
  return `${topic}-${partition}`;
}
