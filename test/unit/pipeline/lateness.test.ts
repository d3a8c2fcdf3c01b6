/**
 * The lateness bound of a windowed state table (Table.lateness, shared/pipeline/lateness.ts): a
 * window row is left out when window_end + allowedMs < the record's timestamp, at the boundary kept;
 * a HOP event loses only the windows it is late for; the same record meets the same fate twice.
 */
import { describe, expect, it } from 'vitest';
import { orderKeyColumn, sqlState } from '../../../shared/domains/common.ts';
import { CATALOG, TABLES } from '../../../shared/domains/registry.ts';
import type { BusinessEvent } from '../../../shared/events/business-event.ts';
import { dropLate, isLate } from '../../../shared/pipeline/lateness.ts';
import type { DimensionView, EventWrite } from '../../../shared/pipeline/processor.ts';
import { bigint, checkedRow, datetime, defineTable, varchar } from '../../../shared/tables/table.ts';

const MINUTE = 60_000;
const BOUND = 2 * MINUTE;

const columns = {
  product_id: varchar(64),
  window_start: datetime(),
  window_end: datetime(),
  order_count: bigint().defaulted(),
  last_event_time: datetime().null(),
  last_event_key: orderKeyColumn(),
};
const bounded = defineTable({
  name: 'sales_hop_bounded',
  columns,
  key: ['product_id', 'window_start', 'window_end'],
  merge: { order_count: 'add', last_event_time: 'newest' },
  lateness: { windowEnd: 'window_end', allowedMs: BOUND },
});
const unbounded = defineTable({
  name: 'sales_hop_unbounded',
  columns,
  key: ['product_id', 'window_start', 'window_end'],
  merge: { order_count: 'add', last_event_time: 'newest' },
});

const hop = (table: string) => `INSERT INTO ${table}
SELECT e.productId AS product_id, window_start, window_end, COUNT(*) AS order_count
FROM TABLE(HOP(TABLE order_create, DESCRIPTOR(event_time), INTERVAL '5' MINUTE, INTERVAL '15' MINUTE)) e
GROUP BY e.productId, window_start, window_end`;

const scope = { tables: [...TABLES, bounded, unbounded], events: CATALOG };
const NO_DIMENSIONS: DimensionView = { get: () => null as never };
// An event 1 minute into a 5-minute slide: its HOP windows end 4, 9 and 14 minutes later.
const T = 1_790_000_100_000 - (1_790_000_100_000 % (5 * MINUTE)) + MINUTE;
const event: BusinessEvent<Record<string, unknown>> = {
  domain: 'order',
  type: 'order_create',
  timestamp: T,
  eventId: 'e1',
  version: '1.0',
  source: 't',
  payload: { orderId: 'o1', userId: 'u1', productId: 'p1', quantity: 1, amount: '1.00' },
};

function writeOf(table: string): EventWrite {
  const state = sqlState(hop(table), scope)
    .find((s) => s.type === 'order_create')!
    .state(event, NO_DIMENSIONS);
  return { eventId: 'e1', event: checkedRow(TABLES[0]!, {}), state };
}
const ends = (w: EventWrite) => w.state.map((r) => ((r.row.window_end as Date).getTime() - T) / MINUTE);

describe('the lateness bound', () => {
  it('keeps every window while the record is within the bound of the earliest window end', () => {
    const write = writeOf('sales_hop_bounded');
    expect(ends(write)).toEqual([4, 9, 14]);
    for (const at of [T, T + 4 * MINUTE, T + 4 * MINUTE + BOUND]) expect(dropLate(write, at)).toBe(write);
  });

  it('drops a window one millisecond past end + bound, and only that window (HOP)', () => {
    const write = writeOf('sales_hop_bounded');
    const late = dropLate(write, T + 4 * MINUTE + BOUND + 1);
    expect(ends(late)).toEqual([9, 14]);
    expect(late.late).toEqual(['sales_hop_bounded']);
    expect(late.event).toBe(write.event);
    expect(ends(dropLate(write, T + 9 * MINUTE + BOUND))).toEqual([9, 14]);
    expect(ends(dropLate(write, T + 9 * MINUTE + BOUND + 1))).toEqual([14]);
    const gone = dropLate(write, T + 14 * MINUTE + BOUND + 1);
    expect(gone.state).toEqual([]);
    expect(gone.late).toEqual(['sales_hop_bounded']);
  });

  it('gives a replayed record (same timestamp) the same outcome', () => {
    const at = T + 9 * MINUTE + BOUND + 1;
    const first = dropLate(writeOf('sales_hop_bounded'), at);
    const replay = dropLate(writeOf('sales_hop_bounded'), at);
    expect(replay.state.map((r) => r.row)).toEqual(first.state.map((r) => r.row));
    expect(replay.late).toEqual(first.late);
  });

  it('never drops from a table without a bound, nor rows of other tables', () => {
    const write = writeOf('sales_hop_unbounded');
    expect(dropLate(write, T + 365 * 1440 * MINUTE)).toBe(write);
    expect(isLate(write.event, Number.MAX_SAFE_INTEGER)).toBe(false);
  });

  it('is declared on a DATETIME key column, with whole milliseconds', () => {
    const define = (lateness: { windowEnd: 'window_end' | 'product_id'; allowedMs: number }) => () =>
      defineTable({ name: 't', columns, key: ['product_id', 'window_end'], lateness });
    expect(define({ windowEnd: 'product_id', allowedMs: 0 })).toThrow(/not a DATETIME key column/);
    expect(define({ windowEnd: 'window_end', allowedMs: -1 })).toThrow(/whole number of milliseconds/);
    expect(define({ windowEnd: 'window_end', allowedMs: 1.5 })).toThrow(/whole number of milliseconds/);
    expect(define({ windowEnd: 'window_end', allowedMs: 0 })().lateness).toEqual({
      windowEnd: 'window_end',
      allowedMs: 0,
    });
  });
});
