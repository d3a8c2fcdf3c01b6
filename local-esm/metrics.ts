/**
 * The event source mapping's own metrics, kept the way Lambda reports them for a Kafka ESM when its
 * MetricsConfig enables them (infra/lib/domain-function.ts enables `EventCount`, `ErrorCount` and
 * `KafkaMetrics`). Definitions: docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics-types.html
 * ("Event source mapping metrics"); OffsetLag: aws.amazon.com/blogs/compute/offset-lag-metric-for-amazon-msk-as-an-event-source-for-lambda/.
 *
 * Counts are of records ("events"), summed over the runner's life, except `InvokeErrorCount`, which
 * counts invocations. AWS publishes them per minute; the runner keeps running totals.
 */

export interface EsmMetrics {
  /** EventCount: records read from the topic (a record read again after a rebalance counts again). */
  PolledEventCount: number;
  /** EventCount: records the filter criteria dropped (committed, never delivered). */
  FilteredOutEventCount: number;
  /** EventCount: records delivered to the function, once per invocation that carried them (retries count again). */
  InvokedEventCount: number;
  /**
   * EventCount: records of invocations that failed — every record of a batch that ended in a
   * function error (thrown, timed out, invalid response), and with partial batch responses the
   * records the response reported (each reported record and those after it in its partition, which
   * are retried with it).
   */
  FailedInvokeEventCount: number;
  /**
   * EventCount: records discarded because they exceeded MaximumRetryAttempts or
   * MaximumRecordAgeInSeconds (or alone exceed the payload cap) and that went to no on-failure
   * destination. Records sent to a destination are counted by OnFailureDestinationDeliveredEventCount.
   */
  DroppedEventCount: number;
  /** EventCount: discarded records the on-failure destination accepted. */
  OnFailureDestinationDeliveredEventCount: number;
  /**
   * ErrorCount (this runner's name): invocations that ended in a function error — the handler threw,
   * timed out, or answered with a response the ESM cannot read — and so failed their whole batch.
   */
  InvokeErrorCount: number;
}

export function emptyMetrics(): EsmMetrics {
  return {
    PolledEventCount: 0,
    FilteredOutEventCount: 0,
    InvokedEventCount: 0,
    FailedInvokeEventCount: 0,
    DroppedEventCount: 0,
    OnFailureDestinationDeliveredEventCount: 0,
    InvokeErrorCount: 0,
  };
}

/**
 * KafkaMetrics' OffsetLag: per partition, the difference between the last offset written to the
 * topic (its high watermark) and the consumer group's committed offset; `total` sums the partitions,
 * `max` is the largest (CloudWatch's Sum and Maximum of the per-partition values).
 */
export interface OffsetLag {
  partitions: Record<string, number>;
  total: number;
  max: number;
}

export function offsetLag(partitions: Record<string, number>): OffsetLag {
  const values = Object.values(partitions);
  return {
    partitions,
    total: values.reduce((a, b) => a + b, 0),
    max: Math.max(0, ...values),
  };
}

/** Adds up the metrics of several runners (one function's runners, or all functions). */
export function sumMetrics(all: readonly EsmMetrics[]): EsmMetrics {
  const out = emptyMetrics();
  for (const metrics of all) {
    for (const key of Object.keys(out) as Array<keyof EsmMetrics>) out[key] += metrics[key];
  }
  return out;
}
