import { describe, expect, it } from 'vitest';
import { PartitionQueue } from '../../../local-esm/partition-queue.ts';
import { pending } from '../../support/pending-record.ts';

describe('PartitionQueue', () => {
  it('drops repeats of offsets it already holds (a re-fetch after a rebalance)', () => {
    const queue = new PartitionQueue('t', 0);
    expect(queue.accept(pending(0))).toBe(true);
    expect(queue.accept(pending(1))).toBe(true);
    expect(queue.accept(pending(0))).toBe(false);
    expect(queue.pending.map((p) => p.record.offset)).toEqual([0, 1]);
  });

  it('commits past filtered-out records at the head at once', () => {
    const queue = new PartitionQueue('t', 0);
    queue.accept(pending(0, { filteredOut: true }));
    expect(queue.takeCommit()?.record.offset).toBe(0);
    expect(queue.committedOffset).toBe(1n);
  });

  it('on partial failure commits the succeeded prefix and keeps the rest for retry', () => {
    const queue = new PartitionQueue('t', 0);
    const records = [0, 1, 2, 3].map((o) => pending(o));
    for (const r of records) queue.accept(r);
    const settled = queue.settle(records, 2, {
      countsAsRetry: true,
      functionError: undefined,
      maxRetryAttempts: 3,
    });
    expect(settled).toEqual({ succeeded: 2, failed: 2, discarded: [] });
    expect(queue.takeCommit()?.record.offset).toBe(1);
    expect(queue.pending.map((p) => [p.record.offset, p.failures])).toEqual([
      [2, 1],
      [3, 1],
    ]);
  });

  it('discards records whose retries ran out, and the filtered records after them, then commits past them', () => {
    const queue = new PartitionQueue('t', 0);
    const a = pending(0);
    const filtered = pending(1, { filteredOut: true });
    const b = pending(2);
    for (const r of [a, filtered, b]) queue.accept(r);
    const options = { countsAsRetry: true, functionError: 'Unhandled' as const, maxRetryAttempts: 1 };
    queue.settle([a], 'all', options);
    const { discarded } = queue.settle([a], 'all', options);
    expect(discarded.map((d) => [d.record.offset, d.condition, d.lastFunctionError])).toEqual([
      [0, 'RetryAttemptsExhausted', 'Unhandled'],
    ]);
    expect(queue.takeCommit()?.record.offset).toBe(1);
    expect(queue.pending).toEqual([b]);
  });

  it('does not count a bisected failure as a retry', () => {
    const queue = new PartitionQueue('t', 0);
    const a = pending(0);
    queue.accept(a);
    queue.settle([a], 'all', { countsAsRetry: false, functionError: 'Unhandled', maxRetryAttempts: 0 });
    expect(a.failures).toBe(0);
    expect(queue.pending).toEqual([a]);
  });

  it('expires records older than the maximum age from the head', () => {
    const queue = new PartitionQueue('t', 0);
    queue.accept(pending(0, { timestamp: 1_000 }));
    queue.accept(pending(1, { timestamp: 100_000 }));
    const expired = queue.expire(100_500, 60_000);
    expect(expired.map((d) => [d.record.offset, d.condition, d.invokeCount])).toEqual([
      [0, 'RecordAgeExceeded', 0],
    ]);
    expect(queue.pending.map((p) => p.record.offset)).toEqual([1]);
  });
});

describe('PartitionQueue.releasePosition', () => {
  it('is the first record not done, or past the last one done, or nothing when nothing was seen', () => {
    const queue = new PartitionQueue('t', 0);
    expect(queue.releasePosition()).toBeUndefined();
    const records = [0, 1, 2].map((o) => pending(o));
    for (const r of records) queue.accept(r);
    expect(queue.releasePosition()?.offset).toBe(0n);
    queue.settle(records.slice(0, 2), undefined, {
      countsAsRetry: true,
      functionError: undefined,
      maxRetryAttempts: 3,
    });
    expect(queue.releasePosition()?.offset).toBe(2n);
    queue.settle(records.slice(2), undefined, {
      countsAsRetry: true,
      functionError: undefined,
      maxRetryAttempts: 3,
    });
    expect(queue.releasePosition()?.offset).toBe(3n);
  });

  it('keeps a partition with a batch in flight out of delivery', () => {
    const queue = new PartitionQueue('t', 0);
    queue.accept(pending(0));
    queue.inFlight = true;
    expect(queue.deliverable(0)).toEqual([]);
    queue.inFlight = false;
    expect(queue.deliverable(0)).toHaveLength(1);
  });
});
