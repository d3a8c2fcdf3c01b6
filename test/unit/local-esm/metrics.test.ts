import { describe, expect, it } from 'vitest';
import { emptyMetrics, offsetLag, sumMetrics } from '../../../local-esm/metrics.ts';

describe('ESM metrics', () => {
  it('OffsetLag sums and maximises the per-partition lags', () => {
    expect(offsetLag({ 't-0': 3, 't-1': 0, 't-2': 7 })).toEqual({
      partitions: { 't-0': 3, 't-1': 0, 't-2': 7 },
      total: 10,
      max: 7,
    });
    expect(offsetLag({})).toEqual({ partitions: {}, total: 0, max: 0 });
  });

  it('adds up several runners', () => {
    const a = { ...emptyMetrics(), PolledEventCount: 2, InvokeErrorCount: 1 };
    const b = { ...emptyMetrics(), PolledEventCount: 3, DroppedEventCount: 4 };
    expect(sumMetrics([a, b])).toMatchObject({
      PolledEventCount: 5,
      InvokeErrorCount: 1,
      DroppedEventCount: 4,
    });
  });
});
