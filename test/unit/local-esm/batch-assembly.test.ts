import { describe, expect, it } from 'vitest';
import { assembleBatch, BatchAssembler } from '../../../local-esm/batch-assembly.ts';
import { PartitionQueue } from '../../../local-esm/partition-queue.ts';
import { pending } from '../../support/pending-record.ts';

const limits = (maxRecords: number, maxBytes = 1_000_000) => ({
  maxRecords,
  maxBytes,
  envelopeBytes: 100,
  keyBytes: () => 5,
});

describe('assembleBatch', () => {
  it('takes runs from partition heads, skipping filtered records and partitions in backoff', () => {
    const q0 = new PartitionQueue('t', 0);
    const q1 = new PartitionQueue('t', 1);
    const q2 = new PartitionQueue('t', 2);
    for (const r of [pending(0), pending(1, { filteredOut: true }), pending(2)]) q0.accept(r);
    q1.accept(pending(0));
    q2.accept(pending(0));
    q2.retryAt = 5_000;
    const { records } = assembleBatch([q0, q1, q2], limits(10), 1_000, 0);
    expect(records.map(({ queue, pending: p }) => `${queue.key}@${p.record.offset}`)).toEqual([
      't-0@0',
      't-0@2',
      't-1@0',
    ]);
  });

  it('stops at the record count and at the payload cap, and reports a record too big to ever fit', () => {
    const q0 = new PartitionQueue('t', 0);
    for (const o of [0, 1, 2]) q0.accept(pending(o, { bytes: 100 }));
    expect(assembleBatch([q0], limits(2), 0, 0).records).toHaveLength(2);
    expect(assembleBatch([q0], limits(10, 100 + 5 + 250), 0, 0).records).toHaveLength(2);
    const big = new PartitionQueue('t', 1);
    big.accept(pending(0, { bytes: 10_000 }));
    const batch = assembleBatch([big, q0], limits(10, 1_000), 0, 0);
    expect(batch.oversized).toEqual([big]);
    expect(batch.records).toHaveLength(3);
  });
});

describe('BatchAssembler', () => {
  const assembler = (batchSize: number, window: number | undefined) =>
    new BatchAssembler({
      batchSize,
      maximumBatchingWindowInSeconds: window,
      source: { type: 'SelfManagedKafka' },
      bootstrapServers: 'b:9092',
    });

  it('never takes records of a partition whose batch is in flight; the others go', () => {
    const q0 = new PartitionQueue('t', 0);
    const q1 = new PartitionQueue('t', 1);
    for (const o of [0, 1, 2]) q0.accept(pending(o));
    q1.accept(pending(0));
    q0.inFlight = true;
    const next = assembler(2, 0).next([q0, q1], 0, 0, []);
    expect(next.kind).toBe('batch');
    if (next.kind !== 'batch') return;
    expect(next.batch.records.map(({ queue }) => queue.key)).toEqual(['t-1']);
    q1.inFlight = true;
    expect(assembler(2, 0).next([q0, q1], 0, 0, [])).toEqual({ kind: 'wait', ms: 60_000 });
  });

  it('waits for the window (500 ms when unset) unless the batch is full', () => {
    const q0 = new PartitionQueue('t', 0);
    q0.accept(pending(0));
    const a = assembler(2, undefined);
    expect(a.next([q0], 1_000, 0, [])).toEqual({ kind: 'wait', ms: 500 });
    expect(a.next([q0], 1_300, 0, [])).toEqual({ kind: 'wait', ms: 200 });
    expect(a.next([q0], 1_500, 0, []).kind).toBe('batch');
    q0.accept(pending(1));
    expect(a.next([q0], 2_000, 0, []).kind).toBe('batch'); // full: at once
  });

  it('re-forms a bisected batch from its own partitions with the planned size; other partitions go as usual', () => {
    const q0 = new PartitionQueue('t', 0);
    const q1 = new PartitionQueue('t', 1);
    for (const o of [0, 1, 2, 3]) q0.accept(pending(o));
    for (const o of [0, 1, 2, 3]) q1.accept(pending(o));
    const plan = { keys: new Set(['t-0']), sizes: [2, 2] };
    const a = assembler(10, 0);
    const first = a.next([q0, q1], 0, 0, [plan]);
    expect(first.kind === 'batch' && first.plan).toBe(plan);
    expect(first.kind === 'batch' && first.batch.records.map(({ pending: p }) => p.record.offset)).toEqual([
      0, 1,
    ]);
    q0.inFlight = true;
    const second = a.next([q0, q1], 0, 0, [plan]);
    expect(second.kind === 'batch' && second.plan).toBeUndefined();
    expect(second.kind === 'batch' && second.batch.records.map(({ queue }) => queue.key)).toEqual([
      't-1',
      't-1',
      't-1',
      't-1',
    ]);
  });
});
