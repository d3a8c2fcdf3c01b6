/** A record as the local event source mapping holds it before a batch: what its unit tests queue. */
import type { PendingRecord } from '../../local-esm/partition-queue.ts';

export function pending(
  offset: number,
  options: { filteredOut?: boolean; bytes?: number; timestamp?: number } = {},
) {
  const record: PendingRecord = {
    record: {
      topic: 't',
      partition: 0,
      offset,
      timestamp: options.timestamp ?? 0,
      timestampType: 'CREATE_TIME',
      value: null,
      headers: [],
    },
    offset: BigInt(offset),
    bytes: options.bytes ?? 10,
    leaderEpoch: 0,
    filteredOut: options.filteredOut ?? false,
    invokeCount: 0,
    failures: 0,
    lastFunctionError: undefined,
  };
  return record;
}
