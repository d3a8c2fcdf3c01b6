/** Declarative processors: what they compile to, and every mistake found when they compile. */
import { describe, expect, it } from 'vitest';
import { declared } from '../../../shared/domains/common.ts';
import { product, productEventWide } from '../../../shared/domains/product.ts';
import { user, userEventWide, userProfileWide } from '../../../shared/domains/user.ts';
import type { BusinessEvent } from '../../../shared/events/business-event.ts';
import type { EventMapping, StateMapping } from '../../../shared/pipeline/declarative.ts';
import type { DimensionView } from '../../../shared/pipeline/processor.ts';

const record = {
  topic: 'business-events',
  partition: 1,
  offset: 42,
  timestamp: 0,
  timestampType: 'CREATE_TIME' as const,
};
const scope = {
  tables: [productEventWide, userEventWide, userProfileWide],
  events: [...product.events, ...user.events],
};

const view: EventMapping = {
  type: 'product_view',
  into: 'product_event_wide',
  joins: [{ dimension: 'dim_product', on: 'productId' }],
  columns: {
    product_id: { payload: 'productId' },
    product_name: { dimension: 'dim_product', column: 'product_name' },
  },
};

function event(type: string, payload: Record<string, unknown>, timestamp = 1_790_000_000_000): BusinessEvent {
  return {
    domain: 'x',
    type,
    timestamp,
    eventId: `${type}-${timestamp}`,
    payload,
    version: '1.0',
    source: 's',
  };
}

const dims = (rows: Record<string, Record<string, object>>): DimensionView => ({
  get: (name, key) => (key === undefined ? null : (rows[name]?.[key] ?? null)) as never,
});

describe('compiled event mappings', () => {
  it('fill the standard columns, convert to the column kinds and left-join dimensions', () => {
    const [processor] = declared(
      [
        {
          ...view,
          joins: [...view.joins, { dimension: 'dim_user', on: 'userId' }],
          columns: {
            ...view.columns,
            user_id: { payload: 'userId' },
            region: { dimension: 'dim_user', column: 'region' },
            referrer: { literal: 'web' },
          },
        },
      ],
      scope,
    );
    const e = event('product_view', { productId: 'p1', userId: 'u9' });
    expect(processor!.dimensionKeys(e)).toEqual({ dim_product: 'p1', dim_user: 'u9' });
    const write = processor!.toWrite(e, dims({ dim_product: { p1: { product_name: 'Lamp' } } }), record);
    expect(write.event.table).toBe(productEventWide);
    expect(write.event.row).toEqual({
      event_id: e.eventId,
      event_type: 'product_view',
      event_time: new Date(e.timestamp),
      event_version: '1.0',
      source: 's',
      kafka_topic: 'business-events',
      kafka_partition: 1,
      kafka_offset: 42,
      product_id: 'p1',
      product_name: 'Lamp',
      user_id: 'u9',
      region: null, // no user row: a left join
      referrer: 'web',
    });
    expect(write.state).toEqual([]);
  });
});

const profile: StateMapping = {
  into: 'user_profile_wide',
  types: ['user_login', 'user_purchase'],
  joins: [{ dimension: 'dim_user', on: 'userId' }],
  key: { user_id: { payload: 'userId' } },
  columns: {
    login_count: { count: true, when: ['user_login'] },
    purchase_count: { count: true, when: ['user_purchase'] },
    purchase_amount: { sum: { payload: 'amount' }, when: ['user_purchase'] },
    last_device: { last: { payload: 'device' }, when: ['user_login'] },
    last_login_at: { last: { payload: 'loginTime' }, when: ['user_login'] },
    user_name: { last: { dimension: 'dim_user', column: 'user_name' } },
    user_level: { last: { dimension: 'dim_user', column: 'user_level' } },
    region: { last: { dimension: 'dim_user', column: 'region' } },
  },
};
const loginRow: EventMapping = {
  type: 'user_login',
  into: 'user_event_wide',
  joins: [],
  columns: { user_id: { payload: 'userId' } },
};
const purchaseRow: EventMapping = { ...loginRow, type: 'user_purchase' };

describe('compiled state mappings', () => {
  it('turn each event into the deltas and newest values the table merges', () => {
    const [login, purchase] = declared([loginRow, purchaseRow, profile], scope);
    const e = event('user_login', {
      userId: 'u1',
      loginTime: 1_790_000_000_500,
      device: 'ios',
      ip: '1.2.3.4',
    });
    const users = dims({ dim_user: { u1: { user_name: 'Ann' } } });
    expect(login!.toWrite(e, users, record).state[0]!.row).toEqual({
      user_id: 'u1',
      login_count: 1,
      purchase_count: 0,
      purchase_amount: 0,
      last_device: 'ios',
      last_login_at: new Date(1_790_000_000_500),
      last_login_key: expect.stringMatching(/^001790000000000\|0001\.0000\|user_login-/),
      view_count: 0, // no aggregate feeds it: adds nothing
      user_name: 'Ann',
      user_level: null,
      region: null,
      // Each LAST_VALUE column's own order key; the sink sends '' for a NULL (combineRows).
      user_name_key: expect.stringMatching(/^001790000000000\|/),
      user_level_key: expect.stringMatching(/^001790000000000\|/),
      region_key: expect.stringMatching(/^001790000000000\|/),
      last_event_time: new Date(e.timestamp),
      last_event_key: expect.stringMatching(/^001790000000000\|/),
    });
    const p = event('user_purchase', { userId: 'u1', orderId: 'o', productId: 'p', amount: '9.50' });
    expect(purchase!.toWrite(p, users, record).state[0]!.row).toMatchObject({
      login_count: 0,
      purchase_count: 1,
      purchase_amount: '9.50',
      last_device: null,
      last_login_key: '', // never newer than a login
    });
  });
});

describe('definition errors', () => {
  it.each<[string, Array<EventMapping | StateMapping>, RegExp]>([
    ['unknown table', [{ ...view, into: 'product_wide' }], /unknown table product_wide/],
    [
      'unknown column',
      [{ ...view, columns: { prodct_id: { payload: 'productId' } } }],
      /unknown column prodct_id of product_event_wide/,
    ],
    ['unknown event type', [{ ...view, type: 'product_like' }], /unknown event type product_like/],
    [
      'unknown payload field',
      [{ ...view, columns: { product_id: { payload: 'productID' } } }],
      /unknown payload field productID/,
    ],
    [
      'unknown dimension',
      [{ ...view, joins: [{ dimension: 'no_such_dimension', on: 'productId' }] }],
      /unknown dimension no_such_dimension/,
    ],
    ['a dimension not joined', [{ ...view, joins: [] }], /dimension dim_product is not joined/],
    [
      'an unknown dimension column',
      [{ ...view, columns: { brand: { dimension: 'dim_product', column: 'colour' } } }],
      /unknown column colour of dimension dim_product/,
    ],
    [
      'a join on an unknown field',
      [{ ...view, joins: [{ dimension: 'dim_product', on: 'sku' }] }],
      /unknown payload field sku/,
    ],
    [
      'a type mismatch',
      [{ ...view, columns: { result_count: { payload: 'productId' } } }],
      /column result_count: type mismatch: productId \(VARCHAR\(64\)\) does not fit int column result_count/,
    ],
    [
      'a standard column',
      [{ ...view, columns: { event_id: { payload: 'productId' } } }],
      /event_id is filled automatically/,
    ],
    [
      'a NOT NULL column left out',
      [{ ...loginRow, columns: {} }],
      /NOT NULL column user_id of user_event_wide has no default and is not selected/,
    ],
    [
      'two mappings of a type',
      [view, view],
      /product_view is written to product_event_wide by mapping 1 already/,
    ],
    [
      'a counter into a newest-wins column',
      [loginRow, purchaseRow, { ...profile, columns: { ...profile.columns, user_name: { count: true } } }],
      /column user_name: column user_name merges \{"lastValue":"user_name_key"\}; COUNT needs merge 'add'/,
    ],
    [
      'LAST_VALUE into a counter',
      [
        loginRow,
        purchaseRow,
        { ...profile, columns: { ...profile.columns, login_count: { last: { literal: 1 } } } },
      ],
      /column login_count merges "add"; LAST_VALUE needs merge \{ lastValue: <an order key of its own> \}/,
    ],
    [
      'a LAST_VALUE that may be NULL into a column sharing its order key',
      [
        loginRow,
        purchaseRow,
        {
          ...profile,
          columns: {
            ...profile.columns,
            last_device: { last: { dimension: 'dim_user', column: 'region' }, when: ['user_login'] },
          },
        },
      ],
      /column last_device merges \{"newestBy":"last_login_key"\}, but dim_user\.region may be NULL and LAST_VALUE skips NULLs \(as Flink's does\): merge it \{ lastValue/,
    ],
    [
      'GROUP BY other than the key',
      [loginRow, purchaseRow, { ...profile, key: { last_device: { payload: 'userId' } } }],
      /GROUP BY must be the key of user_profile_wide/,
    ],
    [
      'a merged column nothing feeds',
      [
        loginRow,
        purchaseRow,
        {
          ...profile,
          columns: Object.fromEntries(Object.entries(profile.columns).filter(([c]) => c !== 'last_device')),
        },
      ],
      /column last_device of user_profile_wide merges \{"newestBy":"last_login_key"\} but nothing feeds it/,
    ],
    [
      // Issue 18: the object form accepted these, and the database dead-lettered every such event.
      'an optional payload field into a NOT NULL column',
      [{ ...loginRow, type: 'user_view', columns: { user_id: { payload: 'productId' } } }],
      /event mapping user_view → user_event_wide, column user_id: column user_id is NOT NULL but productId may be NULL/,
    ],
    [
      'a decimal dimension column into an int column',
      [{ ...view, columns: { result_count: { dimension: 'dim_product', column: 'price' } } }],
      /column result_count: type mismatch: dim_product\.price \(DECIMAL\(18, 4\)\) does not fit int column result_count/,
    ],
    [
      'a string payload field into a DECIMAL column',
      [{ ...loginRow, columns: { ...loginRow.columns, amount: { payload: 'device' } } }],
      /type mismatch: device \(VARCHAR\(64\)\) does not fit decimal column amount/,
    ],
    ['a state type without its event row', [loginRow, profile], /user_purchase has no event mapping/],
  ])('%s', (_name, mappings, message) => {
    expect(() => declared(mappings, scope)).toThrow(message);
  });
});
