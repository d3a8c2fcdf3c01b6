/**
 * The lateness bound of windowed state tables (Table.lateness): a row of an event for a window that
 * ended more than `allowedMs` before the event's Kafka record timestamp is left out of the write,
 * the event's other rows (its event row, other tables, its windows still in bound) written as usual
 * — as Flink drops a late element from the windows it is late for only. Both sides of the comparison
 * come from the record, so a replay meets the same fate. The tables dropped from are counted
 * (EventWrite.late, LateEventsDropped).
 */
import type { TableRow } from '../tables/table.ts';
import type { EventWrite } from './processor.ts';

/** Whether `row` is for a window that closed (end + bound) before `recordTimestamp` (epoch ms). */
export function isLate(row: TableRow, recordTimestamp: number): boolean {
  const lateness = row.table.lateness;
  if (!lateness) return false;
  const end = row.row[lateness.windowEnd];
  const endMs = end instanceof Date ? end.getTime() : typeof end === 'number' ? end : undefined;
  return endMs !== undefined && endMs + lateness.allowedMs < recordTimestamp;
}

/** The write without its late window rows, their tables in `late`. */
export function dropLate(write: EventWrite, recordTimestamp: number): EventWrite {
  const late = write.state.filter((row) => isLate(row, recordTimestamp));
  if (late.length === 0) return write;
  return {
    ...write,
    state: write.state.filter((row) => !late.includes(row)),
    late: [...new Set(late.map((row) => row.table.name))],
  };
}
