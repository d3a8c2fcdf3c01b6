/**
 * When fetching pauses and resumes: the records the runner (./runner.ts) holds, per partition, against
 * its maxBufferedRecords.
 */
import type { PartitionQueue } from './partition-queue.ts';

/** How far past maxBufferedRecords fetching goes on while a partition that could take a batch holds nothing. */
const STARVED_BUFFER_FACTOR = 4;

/** The records held, by `<topic>-<partition>`. */
export type HeldQueues = ReadonlyMap<string, PartitionQueue>;

function buffered(queues: HeldQueues): number {
  let n = 0;
  for (const queue of queues.values()) n += queue.pending.length;
  return n;
}

/**
 * Fetching pauses once the records held reach maxBuffered, unless an assigned partition that could
 * take a batch holds none (then up to STARVED_BUFFER_FACTOR × maxBuffered). A fetch brings a few
 * partitions' records at a time, so a full buffer could hold only one or two partitions; with one
 * batch per partition at most, that kept 1.3 batches in flight on average of the 15 allowed
 * (bench/consumer.ts, docs/benchmarks.md) while the process waited on MySQL. AWS's pollers keep
 * reading every partition they own: one concurrent invocation per partition at most, up to 5 per
 * provisioned poller, and no more pollers than partitions "to maintain ordered processing within
 * partitions" (docs.aws.amazon.com/lambda/latest/dg/kafka-scaling-modes.html, provisioned mode).
 */
export function shouldPause(
  queues: HeldQueues,
  assignments: readonly string[],
  maxBuffered: number,
): boolean {
  const held = buffered(queues);
  if (held < maxBuffered) return false;
  return held >= maxBuffered * STARVED_BUFFER_FACTOR || !starving(queues, assignments);
}

/** A paused fetch resumes below half of maxBuffered, or below the starved limit while a partition starves. */
export function shouldResume(
  queues: HeldQueues,
  assignments: readonly string[],
  maxBuffered: number,
): boolean {
  const held = buffered(queues);
  return (
    held < maxBuffered / 2 || (held < maxBuffered * STARVED_BUFFER_FACTOR && starving(queues, assignments))
  );
}

/** An assigned partition with nothing held and no batch in flight: the next fetch may bring it some. */
function starving(queues: HeldQueues, assignments: readonly string[]): boolean {
  for (const key of assignments) {
    const queue = queues.get(key);
    if (!queue || (!queue.inFlight && queue.pending.length === 0)) return true;
  }
  return false;
}
