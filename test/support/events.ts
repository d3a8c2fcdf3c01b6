/** Builders for business events and the Lambda Kafka events that carry them. */
import type { Context } from 'aws-lambda';
import { buildKafkaEvent, createLambdaContext } from '../../local-esm/index.ts';
import { SAMPLE_T0 } from '../../shared/domains/common.ts';
import { CATALOG, domainOfType, samplePayload } from '../../shared/domains/registry.ts';
import type { KafkaEvent, KafkaEventRecord } from '../../shared/pipeline/lambda-event.ts';

export type Json = Record<string, unknown>;

/** Every event type of the registry, each with the sample payload its domain module declares. */
export const EVENT_TYPES: string[] = [...new Set(CATALOG.map((entry) => entry.type))];

/** The sample payloads, by type (shared/domains/registry.ts, samplePayload). */
const PAYLOADS: Record<string, (i: number) => Json> = Object.fromEntries(
  EVENT_TYPES.map((type) => [type, (i: number) => samplePayload(type, i)]),
);

/** The type's domain, from the registry; a type no domain has (a test's own) keeps its prefix. */
export function domainOf(type: string): string {
  return domainOfType(type) ?? type.split('_')[0]!;
}

let sequence = 0;

/** A valid BusinessEvent of `type`; `overrides` replace envelope fields, `payload` payload fields. */
export function businessEvent(type: string, overrides: Json = {}, payload: Json = {}): Json {
  const i = ++sequence;
  return {
    domain: domainOf(type),
    type,
    timestamp: SAMPLE_T0 + i * 1000,
    eventId: `evt-${type}-${i}-${Math.random().toString(36).slice(2, 8)}`,
    payload: { ...PAYLOADS[type]?.(i), ...payload },
    version: '1.0',
    source: `${domainOf(type)}-service`,
    ...overrides,
  };
}

export interface RecordSpec {
  topic?: string;
  partition?: number;
  offset: number;
  /** An object is sent as JSON; a string as UTF-8; a Buffer as is; null as a tombstone. */
  value: Json | string | Buffer | null;
  key?: string;
  headers?: Record<string, string>;
  timestamp?: number;
}

export function kafkaRecord(spec: RecordSpec): KafkaEventRecord {
  const bytes =
    spec.value === null
      ? null
      : Buffer.isBuffer(spec.value)
        ? spec.value
        : Buffer.from(typeof spec.value === 'string' ? spec.value : JSON.stringify(spec.value), 'utf8');
  return {
    topic: spec.topic ?? 'business-events',
    partition: spec.partition ?? 0,
    offset: spec.offset,
    timestamp: spec.timestamp ?? Date.now(),
    timestampType: 'CREATE_TIME',
    ...(spec.key ? { key: Buffer.from(spec.key).toString('base64') } : {}),
    value: bytes === null ? null : bytes.toString('base64'),
    headers: Object.entries(spec.headers ?? {}).map(([name, v]) => ({ [name]: [...Buffer.from(v)] })),
  };
}

/** The Lambda Kafka event for these records, in MSK (`aws:kafka`) or self-managed form. */
export function kafkaEvent(records: KafkaEventRecord[], form: 'msk' | 'self-managed' = 'msk'): KafkaEvent {
  return form === 'msk'
    ? buildKafkaEvent(
        {
          type: 'aws:kafka',
          eventSourceArn:
            'arn:aws:kafka:us-east-1:123456789012:cluster/lrt-test/abcd1234-ab12-cd34-ef56-abcdef123456-1',
        },
        'b-1.lrt-test.kafka.us-east-1.amazonaws.com:9098,b-2.lrt-test.kafka.us-east-1.amazonaws.com:9098',
        records,
      )
    : buildKafkaEvent({ type: 'SelfManagedKafka' }, '127.0.0.1:9092', records);
}

/** A Lambda context as the local runner makes them (60 s left). */
export function lambdaContext(name = 'lambda-realtime-test'): Context {
  const identity = {
    functionName: name,
    region: 'us-east-1',
    accountId: '123456789012',
    memoryLimitInMB: 512,
    timeoutSeconds: 60,
  };
  return createLambdaContext(identity, 'test');
}

/** Identifiers of a partial batch response, as `topic-partition@offset` strings, for readable asserts. */
export function failedIds(response: {
  batchItemFailures: Array<{ itemIdentifier: { partition: string; offset: number } }>;
}): string[] {
  return response.batchItemFailures.map((f) => `${f.itemIdentifier.partition}@${f.itemIdentifier.offset}`);
}
