/**
 * Reads a handler's partial batch response the way the Kafka ESM does (docs/architecture.md, contract 3).
 *
 * AWS (docs.aws.amazon.com/lambda/latest/dg/kafka-retry-configurations.html, and the stream rules in
 * services-kinesis-batchfailurereporting.html): a null/empty response or an empty/null
 * `batchItemFailures` list is full success; for Kafka the identifier must be an object
 * `{partition: "<topic>-<partition>", offset: <number>}`; a string, null or ill-keyed identifier, or
 * one naming a record that is not in the batch, fails the whole batch. Within a partition the lowest
 * reported offset is where the partition resumes: it and everything after it in the batch are retried.
 */
import type { KafkaEventRecord } from '../shared/pipeline/lambda-event.ts';
import { partitionKey } from '../shared/pipeline/lambda-event.ts';

export type BatchOutcome =
  | { kind: 'success' }
  /** `resumeAt`: per `<topic>-<partition>`, the first offset to deliver again. */
  | { kind: 'partial'; resumeAt: Map<string, number> }
  | { kind: 'failure'; reason: string };

export function interpretBatchResponse(response: unknown, batch: readonly KafkaEventRecord[]): BatchOutcome {
  if (response === null || response === undefined) return { kind: 'success' };
  if (typeof response !== 'object' || Array.isArray(response)) {
    return { kind: 'failure', reason: `response is not an object (${describe(response)})` };
  }
  const failures = (response as { batchItemFailures?: unknown }).batchItemFailures;
  if (failures === null || failures === undefined) return { kind: 'success' };
  if (!Array.isArray(failures)) {
    return { kind: 'failure', reason: `batchItemFailures is not a list (${describe(failures)})` };
  }
  if (failures.length === 0) return { kind: 'success' };

  const inBatch = new Set(batch.map((r) => `${partitionKey(r.topic, r.partition)}@${r.offset}`));
  const resumeAt = new Map<string, number>();
  for (const entry of failures) {
    const identifier =
      entry !== null && typeof entry === 'object'
        ? (entry as { itemIdentifier?: unknown }).itemIdentifier
        : undefined;
    if (identifier === null || typeof identifier !== 'object') {
      return { kind: 'failure', reason: `itemIdentifier is not an object (${describe(identifier)})` };
    }
    const { partition, offset } = identifier as { partition?: unknown; offset?: unknown };
    if (typeof partition !== 'string' || typeof offset !== 'number' || !Number.isInteger(offset)) {
      return {
        kind: 'failure',
        reason: `itemIdentifier is not {partition, offset} (${describe(identifier)})`,
      };
    }
    if (!inBatch.has(`${partition}@${offset}`)) {
      return { kind: 'failure', reason: `itemIdentifier ${partition}@${offset} is not in the batch` };
    }
    const current = resumeAt.get(partition);
    if (current === undefined || offset < current) resumeAt.set(partition, offset);
  }
  return { kind: 'partial', resumeAt };
}

function describe(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}
