/** The two middy middlewares every function uses. */
import type middy from '@middy/core';
import type { Context } from 'aws-lambda';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { KafkaBatchResponse, KafkaEvent, KafkaEventRecord } from '../pipeline/lambda-event.ts';

type KafkaMiddleware = middy.MiddlewareObj<KafkaEvent, KafkaBatchResponse, Error, Context>;

/**
 * Rejects invocations that are not Kafka events (nothing in them can be processed: throw), and
 * turns an unexpected error while processing a real batch into a report of every record — a
 * full retry that keeps per-record identifiers — rather than an exception. When no record can be
 * named the invocation fails: Lambda reads an empty `batchItemFailures` as full success.
 * https://docs.aws.amazon.com/lambda/latest/dg/services-msk-batchfailurereporting.html
 */
export function kafkaBatchGuard(log: Logger): KafkaMiddleware {
  return {
    before(request) {
      const problem = malformation(request.event);
      if (problem) throw new Error(problem);
    },
    onError(request) {
      const records = (request.event as Partial<KafkaEvent> | undefined)?.records;
      // A malformed event names no record safely: the invocation fails (before() threw).
      const batchItemFailures =
        records && typeof records === 'object' && malformation(request.event) === undefined
          ? Object.entries(records).flatMap(([partition, list]) =>
              (Array.isArray(list) ? list : [])
                .filter((r) => Number.isSafeInteger((r as Partial<KafkaEventRecord> | null)?.offset))
                .map((r) => ({ itemIdentifier: { partition, offset: r.offset } })),
            )
          : [];
      if (batchItemFailures.length === 0) {
        // Nothing can be named, and an empty list would read as full success: fail the invocation.
        log.error('invocation failed; no record of it can be reported', { error: request.error });
        return;
      }
      log.error('unexpected error processing the batch; reporting every record for retry', {
        error: request.error,
        count: batchItemFailures.length,
      });
      request.response = { batchItemFailures };
    },
  };
}

/**
 * Why an invocation cannot be a Lambda Kafka event, or undefined. Every record must be nameable in
 * a partial batch response — its `records` key and a whole-number `offset` — or no answer is safe:
 * an identifier without an offset is malformed to Lambda, and leaving a record out of a report
 * would let its partition move past it. So a batch holding such a record fails as a whole.
 */
export function malformation(event: unknown): string | undefined {
  const records = (event as Partial<KafkaEvent> | null | undefined)?.records;
  if (typeof records !== 'object' || records === null || Array.isArray(records)) {
    return 'not a Lambda Kafka event: no "records" object';
  }
  for (const [partition, list] of Object.entries(records)) {
    if (!Array.isArray(list)) return `malformed Lambda Kafka event: records["${partition}"] is not a list`;
    for (const [index, record] of list.entries()) {
      const offset = (record as Partial<KafkaEventRecord> | null)?.offset;
      if (typeof record !== 'object' || record === null || Array.isArray(record)) {
        return `malformed Lambda Kafka event: records["${partition}"][${index}] is not a record`;
      }
      if (!Number.isSafeInteger(offset) || (offset as number) < 0) {
        return `malformed Lambda Kafka event: records["${partition}"][${index}] has no whole-number offset`;
      }
    }
  }
  return undefined;
}

/** Writes the invocation's metrics (EMF) after it, whatever the outcome. */
export function flushMetrics(metrics: Metrics): KafkaMiddleware {
  const flush = async () => metrics.flush();
  return { after: flush, onError: flush };
}
