/**
 * Where the runner (./runner.ts) commits each partition: past its settled progress after a batch, or
 * at its release position when the group takes the partition away.
 */
import type { CommitOffset } from './intake.ts';
import type { PartitionQueue } from './partition-queue.ts';

/** Each partition's progress not yet committed (taken from its queue: commit it or lose it). */
export function takeProgress(queues: Iterable<PartitionQueue>): CommitOffset[] {
  const offsets: CommitOffset[] = [];
  for (const queue of queues) {
    const record = queue.takeCommit();
    if (!record) continue;
    offsets.push({
      topic: queue.topic,
      partition: queue.partition,
      offset: record.offset + 1n,
      leaderEpoch: record.leaderEpoch,
    });
  }
  return offsets;
}

/** Each partition's release position: where the next owner starts. */
export function releasePositions(queues: Iterable<PartitionQueue>): CommitOffset[] {
  const release: CommitOffset[] = [];
  for (const queue of queues) {
    const position = queue.releasePosition();
    if (position) release.push({ topic: queue.topic, partition: queue.partition, ...position });
  }
  return release;
}
