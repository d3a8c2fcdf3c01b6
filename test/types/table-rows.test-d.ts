/**
 * Rows are typed from their table's definition: `npm test` type-checks these cases (vitest's
 * typecheck mode); each @ts-expect-error must meet the error it announces, or the run fails.
 */
import { describe, expectTypeOf, it } from 'vitest';
import { eventRow } from '../../shared/domains/common.ts';
import { productEventWide } from '../../shared/domains/product.ts';
import type { userProfileWide } from '../../shared/domains/user.ts';
import { defineProcessor } from '../../shared/pipeline/processor.ts';
import { type RowOf, rowOf } from '../../shared/tables/table.ts';

const event = {
  event_id: 'e1',
  event_type: 'product_view',
  event_time: new Date(0),
  event_version: '1.0',
  source: 'shop',
  kafka_topic: 'business-events',
  kafka_partition: 0,
  kafka_offset: 1,
};

describe('rows of a table', () => {
  it('accepts a row with every required column and optional ones', () => {
    rowOf(productEventWide, event);
    rowOf(productEventWide, { ...event, product_id: 'p1', result_count: 3, brand: null });
  });

  it('rejects a misspelled column', () => {
    // @ts-expect-error product_nme is not a column of product_event_wide
    rowOf(productEventWide, { ...event, product_nme: 'Lamp' });
  });

  it('rejects a value of the wrong type', () => {
    // @ts-expect-error result_count is an INT column
    rowOf(productEventWide, { ...event, result_count: 'twelve' });
    // @ts-expect-error event_time is a DATETIME column
    rowOf(productEventWide, { ...event, event_time: 1_700_000_000_000 });
  });

  it('rejects a row without a required column, and NULL in a NOT NULL column', () => {
    const { event_id: _, ...withoutId } = event;
    // @ts-expect-error event_id is required
    rowOf(productEventWide, withoutId);
    // @ts-expect-error event_type is NOT NULL
    rowOf(productEventWide, { ...event, event_type: null });
  });

  it('never takes columns the database fills', () => {
    // @ts-expect-error processed_at is filled by the database
    rowOf(productEventWide, { ...event, processed_at: new Date() });
  });

  it('types each column from its kind and nullability', () => {
    expectTypeOf<RowOf<typeof productEventWide>['result_count']>().toEqualTypeOf<number | null | undefined>();
    expectTypeOf<RowOf<typeof userProfileWide>['user_id']>().toEqualTypeOf<string>();
    expectTypeOf<RowOf<typeof userProfileWide>['purchase_amount']>().toEqualTypeOf<
      string | number | undefined
    >();
  });
});

describe('code processors', () => {
  it('cannot write a row that did not go through rowOf', () => {
    defineProcessor({
      type: 'product_view',
      dimensionKeys: () => ({}),
      toWrite: (e) => ({
        eventId: e.eventId,
        // @ts-expect-error a hand-made { table, row } is not a checked TableRow
        event: { table: productEventWide, row: { ...event, product_nme: 'Lamp' } },
        state: [],
      }),
    });
  });

  it('fails on a misspelled column in toWrite', () => {
    defineProcessor({
      type: 'product_view',
      dimensionKeys: () => ({}),
      toWrite: (e, _dims, record) => ({
        eventId: e.eventId,
        // @ts-expect-error product_nme is not a column of product_event_wide
        event: rowOf(productEventWide, { ...eventRow(e, record), product_nme: 'Lamp' }),
        state: [],
      }),
    });
  });
});
