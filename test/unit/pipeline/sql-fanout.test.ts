/**
 * Fan-out and Flink's statement forms: one type written to several tables (Flink's statement set),
 * UNION ALL across types into one table, and the inner lookup join — what each compiles to, what
 * the processor writes (the anchor row, and the others with the state rows, written only when the
 * anchor is new: exactly once), what is refused and where, and how a dropped row is counted.
 */
import { describe, expect, it } from 'vitest';
import { declared, sqlContext, sqlState } from '../../../shared/domains/common.ts';
import { order } from '../../../shared/domains/order.ts';
import { CATALOG, DOMAINS, TABLES } from '../../../shared/domains/registry.ts';
import type { BusinessEvent } from '../../../shared/events/business-event.ts';
import { EventCatalog } from '../../../shared/events/catalog.ts';
import { processBatch } from '../../../shared/pipeline/batch.ts';
import { defineState, type EventMapping, withState } from '../../../shared/pipeline/declarative.ts';
import { defineDomain } from '../../../shared/pipeline/domain.ts';
import type { BatchWrites } from '../../../shared/pipeline/ports.ts';
import type { DimensionView } from '../../../shared/pipeline/processor.ts';
import { compileSql, type SqlContext, SqlDefinitionError } from '../../../shared/pipeline/sql.ts';
import { checkedRow } from '../../../shared/tables/table.ts';
import { businessEvent, kafkaEvent, kafkaRecord } from '../../support/events.ts';
import { refusals } from './sql-refusals.ts';

const context: SqlContext = sqlContext({ tables: TABLES, events: CATALOG });
const scope = { tables: TABLES, events: CATALOG };
const record = {
  topic: 'business-events.product',
  partition: 0,
  offset: 1,
  timestamp: 0,
  timestampType: 'CREATE_TIME' as const,
};

const { failure } = refusals(context);

function position(text: string, needle: string): { line: number; column: number } {
  const offset = text.indexOf(needle);
  const before = text.slice(0, offset);
  return { line: before.split('\n').length, column: offset - before.lastIndexOf('\n') };
}

const view = (payload: Record<string, unknown>): BusinessEvent => ({
  domain: 'product',
  type: 'product_view',
  timestamp: 1_790_000_000_000,
  eventId: 'view-1',
  payload,
  version: '1.0',
  source: 'test',
});

const dims = (rows: Record<string, Record<string, object>>): DimensionView => ({
  get: (name, key) => (key === undefined ? null : (rows[name]?.[key] ?? null)) as never,
});

const PRODUCT_ROW = `INSERT INTO product_event_wide
SELECT e.productId AS product_id, e.userId AS user_id, p.product_name
FROM product_view e
LEFT JOIN dim_product FOR SYSTEM_TIME AS OF e.proc_time AS p ON p.product_id = e.productId`;

const USER_ROW = `INSERT INTO user_event_wide
SELECT COALESCE(e.userId, 'anonymous') AS user_id, 'product' AS page, e.productId AS product_id
FROM product_view e`;

describe("one type into several tables (Flink's statement set)", () => {
  it('compiles each statement, also inside EXECUTE STATEMENT SET BEGIN … END', () => {
    const plain = compileSql(`${PRODUCT_ROW};\n${USER_ROW};`, context);
    expect(plain.map((m) => [(m as EventMapping).type, m.into])).toEqual([
      ['product_view', 'product_event_wide'],
      ['product_view', 'user_event_wide'],
    ]);
    const set = `EXECUTE STATEMENT SET\nBEGIN\n${PRODUCT_ROW};\n${USER_ROW};\nEND;`;
    expect(compileSql(set, context)).toEqual(plain);
    const client = `BEGIN STATEMENT SET;\n${PRODUCT_ROW};\n${USER_ROW};\nEND;`;
    expect(compileSql(client, context)).toEqual(plain);
  });

  it('writes the first row as the event row and the others with it, once (as state rows are)', () => {
    const [processor] = declared(compileSql(`${PRODUCT_ROW};\n${USER_ROW}`, context), scope);
    expect(processor!.where).toBeUndefined();
    const write = processor!.toWrite(
      view({ productId: 'p1' }),
      dims({ dim_product: { p1: { product_name: 'Lamp' } } }),
      record,
    );
    expect(write.event.table.name).toBe('product_event_wide');
    expect(write.event.row).toMatchObject({ event_id: 'view-1', product_id: 'p1', product_name: 'Lamp' });
    expect(write.state.map((s) => [s.table.name, s.row])).toEqual([
      [
        'user_event_wide',
        expect.objectContaining({ event_id: 'view-1', user_id: 'anonymous', page: 'product' }),
      ],
    ]);
    expect(write.skipped).toBeUndefined();
  });

  it('refuses a second row of a type in one table, at the statement that writes it', () => {
    const text = `${PRODUCT_ROW};\nINSERT INTO product_event_wide\nSELECT e.referrer FROM product_view e`;
    const error = failure(text);
    expect(error.message).toMatch(
      /product_view is written to product_event_wide by mapping 1 already: an event table holds one row per event/,
    );
    expect(error.statement).toBe('INSERT INTO product_event_wide');
    expect({ line: error.line, column: error.column }).toEqual({ line: 5, column: 13 });
  });

  it('refuses one type joining a dimension on two fields', () => {
    const text = `${PRODUCT_ROW};
INSERT INTO user_event_wide
SELECT e.productId AS user_id, p.brand FROM product_view e LEFT JOIN dim_product p ON p.product_id = e.referrer`;
    const error = failure(text);
    expect(error.message).toMatch(
      /product_view joins dimension dim_product on referrer here and on productId/,
    );
    expect({ line: error.line, column: error.column }).toEqual(position(text, 'dim_product p ON'));
  });
});

describe('UNION ALL across event types', () => {
  const UNION = `INSERT INTO product_event_wide
SELECT e.productId AS product_id, e.userId AS user_id, u.region
FROM product_view e LEFT JOIN dim_user u ON u.user_id = e.userId
UNION ALL
SELECT NULL, e.userId, u.region
FROM product_search e LEFT JOIN dim_user u ON u.user_id = e.userId`;

  it('compiles one mapping per branch, the columns named by the first', () => {
    expect(compileSql(UNION, context)).toEqual([
      {
        type: 'product_view',
        into: 'product_event_wide',
        joins: [{ dimension: 'dim_user', on: 'userId' }],
        columns: {
          product_id: { payload: 'productId' },
          user_id: { payload: 'userId' },
          region: { dimension: 'dim_user', column: 'region' },
        },
      },
      {
        type: 'product_search',
        into: 'product_event_wide',
        joins: [{ dimension: 'dim_user', on: 'userId' }],
        columns: {
          product_id: { literal: null },
          user_id: { payload: 'userId' },
          region: { dimension: 'dim_user', column: 'region' },
        },
      },
    ]);
  });

  it("checks each branch's values against the first's columns, at the branch", () => {
    const text = UNION.replace('SELECT NULL, e.userId', 'SELECT e.resultCount, e.userId');
    const error = failure(text);
    expect(error.message).toMatch(/e\.resultCount \(INT\) does not fit string column product_id/);
    expect({ line: error.line, column: error.column }).toEqual(position(text, 'e.resultCount'));
  });

  it('refuses branches of different widths, UNION without ALL, and UNION ALL into a state table', () => {
    const narrow = UNION.replace('SELECT NULL, e.userId, u.region', 'SELECT NULL, e.userId');
    expect(failure(narrow).message).toMatch(/UNION ALL: this SELECT has 2 columns but the first has 3/);
    const distinct = UNION.replace('UNION ALL', 'UNION');
    const error = failure(distinct);
    expect(error.message).toMatch(/unsupported: UNION \(it removes duplicates: write UNION ALL\)/);
    expect({ line: error.line, column: error.column, identifier: error.identifier }).toEqual({
      ...position(distinct, 'UNION'),
      identifier: 'UNION',
    });
    const state = `INSERT INTO user_profile_wide
SELECT e.userId AS user_id, COUNT(*) AS view_count FROM user_view e GROUP BY e.userId
UNION ALL
SELECT e.userId, COUNT(*) FROM user_login e GROUP BY e.userId`;
    expect(failure(state).message).toMatch(/unsupported: UNION ALL into state table user_profile_wide/);
  });
});

describe('the inner lookup join', () => {
  const INNER = PRODUCT_ROW.replace('LEFT JOIN', 'JOIN');

  it('writes no row when the dimension row is missing: the event is filtered out', () => {
    const mappings = compileSql(INNER, context) as EventMapping[];
    expect(mappings[0]!.joins).toEqual([{ dimension: 'dim_product', on: 'productId', inner: true }]);
    const [processor] = declared(mappings, scope);
    const found = dims({ dim_product: { p1: { product_name: 'Lamp' } } });
    expect(processor!.where!(view({ productId: 'p1' }), found)).toBe(true);
    expect(processor!.where!(view({ productId: 'p2' }), found)).toBe(false);
    expect(processor!.toWrite(view({ productId: 'p1' }), found, record).event.row).toMatchObject({
      product_name: 'Lamp',
    });
  });

  it('a joined column is as nullable as the dimension column is (the row was found)', () => {
    // dim_user.user_id is NOT NULL, but a lookup returns only its other columns: the key's own
    // field is the way to fill a NOT NULL column, and an inner join does not make it NOT NULL.
    const text = `INSERT INTO user_event_wide
SELECT u.user_name AS user_id FROM user_view e JOIN dim_user u ON u.user_id = e.userId`;
    expect(failure(text).message).toMatch(/column user_id is NOT NULL but u\.user_name may be NULL/);
  });

  it('beside an unconditional row: that row anchors the event, the dropped table is named in skipped', () => {
    const [processor] = declared(compileSql(`${INNER};\n${USER_ROW}`, context), scope);
    expect(processor!.where).toBeUndefined();
    const write = processor!.toWrite(view({ productId: 'p2' }), dims({}), record);
    expect(write.event.table.name).toBe('user_event_wide');
    expect(write.state).toEqual([]);
    expect(write.skipped).toEqual(['product_event_wide']);
  });

  it('is counted per table by processBatch, and the event is written once however often it is replayed', async () => {
    const domain = defineDomain({
      name: 'product',
      events: DOMAINS.find((d) => d.name === 'product')!.events,
      tables: TABLES.filter((t) => t.name === 'product_event_wide' || t.name === 'user_event_wide'),
      processors: [
        ...declared(compileSql(`${INNER};\n${USER_ROW}`, context), scope),
        ...declared(
          compileSql(
            `INSERT INTO product_event_wide SELECT e.keyword FROM product_search e;
             INSERT INTO product_event_wide SELECT e.scene FROM product_recommend e`,
            context,
          ),
          scope,
        ),
      ],
    });
    const applied: BatchWrites[] = [];
    const seen = new Set<string>();
    const deps = {
      domain,
      catalog: new EventCatalog(CATALOG),
      dimensions: new Map([
        [
          'dim_product',
          { getMany: async (keys: Iterable<string>) => new Map([...keys].map((k) => [k, null])) },
        ],
      ]),
      sink: {
        async apply(writes: BatchWrites) {
          applied.push(writes);
          const fresh = writes.events.filter((w) => !seen.has(w.eventId));
          for (const w of fresh) seen.add(w.eventId);
          return { applied: fresh.length, duplicates: writes.events.length - fresh.length, deadLettered: 0 };
        },
      },
      log: { info() {}, warn() {}, error() {}, debug() {} } as never,
    };
    const value = businessEvent('product_view', {}, { productId: 'p9' });
    const event = kafkaEvent([kafkaRecord({ partition: 0, offset: 0, value })]);
    const first = await processBatch(event, deps);
    expect(first.stats.rowsSkipped).toEqual({ product_event_wide: 1 });
    expect(first.stats.processed).toBe(1);
    const replay = await processBatch(event, deps);
    expect(replay.stats).toMatchObject({ processed: 0, duplicates: 1 });
    expect(applied.map((w) => w.events.map((e) => e.event.table.name))).toEqual([
      ['user_event_wide'],
      ['user_event_wide'],
    ]);
  });

  it("is refused as the only row of a type a state table aggregates, at the join (its row anchors the state's merge)", () => {
    const text = `INSERT INTO user_event_wide
SELECT e.userId AS user_id, e.page FROM user_view e JOIN dim_user u ON u.user_id = e.userId;
INSERT INTO user_profile_wide
SELECT e.userId AS user_id, COUNT(*) AS view_count, LAST_VALUE(u.user_name) AS user_name,
       LAST_VALUE(u.user_level) AS user_level, LAST_VALUE(u.region) AS region
FROM user_view e LEFT JOIN dim_user u ON u.user_id = e.userId GROUP BY e.userId`;
    const error = failure(text);
    expect(error.message).toMatch(
      /unsupported: an inner join of dim_user on user_view's event-table statement while user_profile_wide aggregates user_view/,
    );
    expect({ line: error.line, column: error.column }).toEqual(position(text, 'dim_user u ON'));
    // With an unfiltered row of the type beside it, the state merges exactly once by that row.
    const anchored = text.replace(
      'INSERT INTO user_profile_wide',
      `INSERT INTO product_event_wide SELECT e.userId AS user_id FROM user_view e;
INSERT INTO user_profile_wide`,
    );
    expect(() => compileSql(anchored, context)).not.toThrow();
  });
});

describe('code state beside declared event rows (withState)', () => {
  const profile = TABLES.find((t) => t.name === 'user_profile_wide')!;
  const viewState = defineState<{ userId: string }, Record<string, object>>({
    type: 'product_view',
    dimensionKeys: (e) => ({ dim_user: e.payload.userId }),
    state: (e) => [checkedRow(profile, { user_id: e.payload.userId, view_count: 1 })],
  });

  it("adds the code's state rows and dimension keys to the type's processor", () => {
    const [processor] = withState(declared(compileSql(PRODUCT_ROW, context), scope), [viewState]);
    const e = view({ productId: 'p1', userId: 'u1' });
    expect(processor!.dimensionKeys(e)).toEqual({ dim_product: 'p1', dim_user: 'u1' });
    const write = processor!.toWrite(e, dims({}), record);
    expect(write.event.table.name).toBe('product_event_wide');
    expect(write.state.map((r) => [r.table, r.row])).toEqual([[profile, { user_id: 'u1', view_count: 1 }]]);
  });

  it('is refused for a type whose statements may write no row (its state would merge by nothing)', () => {
    const inner = declared(compileSql(PRODUCT_ROW.replace('LEFT JOIN', 'JOIN'), context), scope);
    expect(() => withState(inner, [viewState])).toThrow(
      /code state for product_view: its statements may write no row for an event/,
    );
    expect(() => withState([], [viewState])).toThrow(
      /code state for product_view: the type has no processor/,
    );
  });
});

describe('a SQL aggregate beside a code processor of the same type (sqlState)', () => {
  const BUYERS = `INSERT INTO user_profile_wide
SELECT e.userId AS user_id, COUNT(*) AS purchase_count, SUM(e.amount) AS purchase_amount,
       LAST_VALUE(u.user_name) AS user_name, LAST_VALUE(u.user_level) AS user_level, LAST_VALUE(u.region) AS region
FROM order_create e
LEFT JOIN dim_user FOR SYSTEM_TIME AS OF e.proc_time AS u ON u.user_id = e.userId
GROUP BY e.userId`;

  it("adds the aggregate's state rows to the type's processor, which writes the event row", () => {
    const [create] = withState(order.processors, sqlState(BUYERS, scope));
    const e: BusinessEvent = {
      domain: 'order',
      type: 'order_create',
      timestamp: 1_790_000_000_000,
      eventId: 'create-1',
      payload: { orderId: 'o1', userId: 'u1', productId: 'p1', quantity: 2, amount: '12.50' },
      version: '1.0',
      source: 'test',
    };
    expect(create!.dimensionKeys(e)).toEqual({ dim_user: 'u1', dim_product: 'p1' });
    const write = create!.toWrite(e, dims({ dim_user: { u1: { user_name: 'Ann' } } }), record);
    expect(write.event.table.name).toBe('order_event_wide');
    // order_wide (code), product_sales_minute (the domain's SQL aggregate), then this one.
    expect(write.state.map((r) => r.table.name)).toEqual([
      'order_wide',
      'product_sales_minute',
      'user_profile_wide',
    ]);
    expect(write.state[1]!.row).toMatchObject({
      product_id: 'p1',
      window_start: new Date(1_790_000_000_000 - (1_790_000_000_000 % 60_000)),
      order_count: 1,
      quantity: 2,
      gmv: '12.50',
      max_amount: '12.50',
    });
    expect(write.state[2]!.row).toMatchObject({
      user_id: 'u1',
      purchase_count: 1,
      purchase_amount: '12.50',
      login_count: 0,
      user_name: 'Ann',
    });
  });

  it('takes state statements only', () => {
    expect(() => sqlState(PRODUCT_ROW, scope)).toThrow(/state statements only here/);
  });
});

describe('a whole domain (sql(…))', () => {
  it('names the state statement whose type has no event-table statement, at the type', () => {
    const text = `INSERT INTO user_profile_wide
SELECT e.userId AS user_id, COUNT(*) AS view_count, LAST_VALUE(u.user_name) AS user_name,
       LAST_VALUE(u.user_level) AS user_level, LAST_VALUE(u.region) AS region
FROM user_view e LEFT JOIN dim_user u ON u.user_id = e.userId GROUP BY e.userId`;
    expect(() => compileSql(text, context)).not.toThrow();
    let error: unknown;
    try {
      compileSql(text, context, { complete: true });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SqlDefinitionError);
    const found = error as SqlDefinitionError;
    expect(found.message).toMatch(
      /user_view has no event mapping: its event row is what merges user_profile_wide/,
    );
    expect({ line: found.line, column: found.column, identifier: found.identifier }).toEqual({
      ...position(text, 'user_view'),
      identifier: 'user_view',
    });
  });
});
