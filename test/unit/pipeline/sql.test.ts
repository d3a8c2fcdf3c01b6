/** The SQL form of declarative processors: what statements compile to, and every mistake they can hold. */
import { describe, expect, it } from 'vitest';
import type { Expr } from '../../../shared/definitions/expression.ts';
import { declared, sqlContext } from '../../../shared/domains/common.ts';
import { CATALOG, DIMENSIONS, TABLES } from '../../../shared/domains/registry.ts';
import type { BusinessEvent } from '../../../shared/events/business-event.ts';
import type { EventMapping, StateMapping } from '../../../shared/pipeline/declarative.ts';
import type { DimensionView } from '../../../shared/pipeline/processor.ts';
import { compileSql, type SqlContext, SqlDefinitionError } from '../../../shared/pipeline/sql.ts';

const context: SqlContext = sqlContext({ tables: TABLES, events: CATALOG });

const PRODUCT_SQL = `
-- The product domain: one row of product_event_wide per event.
INSERT INTO product_event_wide
SELECT e.productId AS product_id, e.userId AS user_id, e.referrer,
       p.product_name, p.category, p.brand, u.user_name, u.user_level, u.region
FROM product_view e
LEFT JOIN dim_product p ON p.product_id = e.productId
LEFT JOIN dim_user u ON u.user_id = e.userId;

INSERT INTO product_event_wide
SELECT e.userId AS user_id, e.keyword, e.resultCount AS result_count,
       u.user_name, u.user_level, u.region
FROM product_search e
LEFT JOIN dim_user u ON e.userId = u.user_id;

INSERT INTO product_event_wide
SELECT e.userId AS user_id, e.scene, e.productIds AS recommended_product_ids,
       u.user_name, u.user_level, u.region
FROM product_recommend AS e
LEFT JOIN dim_user u ON u.user_id = e.userId;
`;

const PROFILE_SQL = `
INSERT INTO user_profile_wide
SELECT e.userId AS user_id,
       COUNT(*) FILTER (WHERE type = 'user_login') AS login_count,
       COUNT(*) FILTER (WHERE type = 'user_view') AS view_count,
       COUNT(*) FILTER (WHERE type = 'user_purchase') AS purchase_count,
       SUM(e.amount) FILTER (WHERE type = 'user_purchase') AS purchase_amount,
       LAST_VALUE(CASE WHEN type = 'user_login' THEN TO_TIMESTAMP_LTZ(e.loginTime, 3) END) AS last_login_at,
       LAST_VALUE(CASE WHEN type = 'user_login' THEN e.device END) AS last_device,
       LAST_VALUE(u.user_name) AS user_name,
       LAST_VALUE(u.user_level) AS user_level,
       LAST_VALUE(u.region) AS region
FROM events e
LEFT JOIN dim_user u ON u.user_id = e.userId
WHERE type IN ('user_login', 'user_purchase', 'user_view')
GROUP BY e.userId
`;

const USER_ROWS_SQL = `
INSERT INTO user_event_wide
SELECT e.userId AS user_id, TO_TIMESTAMP_LTZ(e.loginTime, 3) AS login_time, e.device, e.ip, u.user_name, u.user_level, u.region
FROM user_login e LEFT JOIN dim_user u ON u.user_id = e.userId;
INSERT INTO user_event_wide
SELECT e.userId AS user_id, e.orderId AS order_id, e.productId AS product_id, e.amount, e.currency,
       u.user_name, u.user_level, u.region, p.product_name, p.category, p.brand
FROM user_purchase e
LEFT JOIN dim_user u ON u.user_id = e.userId
LEFT JOIN dim_product p ON p.product_id = e.productId;
INSERT INTO user_event_wide
SELECT e.userId AS user_id, e.page, e.productId AS product_id, e.durationMs AS duration_ms,
       u.user_name, u.user_level, u.region, p.product_name, p.category, p.brand
FROM user_view e
LEFT JOIN dim_user u ON u.user_id = e.userId
LEFT JOIN dim_product p ON p.product_id = e.productId;
`;

/** TO_TIMESTAMP_LTZ(e.loginTime, 3), compiled. */
const LOGIN_TIME: Expr = {
  op: 'call',
  fn: 'toTimestampLtz',
  args: [
    { op: 'field', path: ['loginTime'], t: { type: 'BIGINT' } },
    { op: 'literal', value: '3', t: { type: 'INT' } },
  ],
  t: { type: 'TIMESTAMP' },
};

const USER_DIMENSION_COLUMNS = {
  user_name: { dimension: 'dim_user', column: 'user_name' },
  user_level: { dimension: 'dim_user', column: 'user_level' },
  region: { dimension: 'dim_user', column: 'region' },
};

describe('compileSql', () => {
  it("compiles the product domain's three event types into event mappings", () => {
    const expected: EventMapping[] = [
      {
        type: 'product_view',
        into: 'product_event_wide',
        joins: [
          { dimension: 'dim_product', on: 'productId' },
          { dimension: 'dim_user', on: 'userId' },
        ],
        columns: {
          product_id: { payload: 'productId' },
          user_id: { payload: 'userId' },
          referrer: { payload: 'referrer' },
          product_name: { dimension: 'dim_product', column: 'product_name' },
          category: { dimension: 'dim_product', column: 'category' },
          brand: { dimension: 'dim_product', column: 'brand' },
          user_name: { dimension: 'dim_user', column: 'user_name' },
          user_level: { dimension: 'dim_user', column: 'user_level' },
          region: { dimension: 'dim_user', column: 'region' },
        },
      },
      {
        type: 'product_search',
        into: 'product_event_wide',
        joins: [{ dimension: 'dim_user', on: 'userId' }],
        columns: {
          user_id: { payload: 'userId' },
          keyword: { payload: 'keyword' },
          result_count: { payload: 'resultCount' },
          user_name: { dimension: 'dim_user', column: 'user_name' },
          user_level: { dimension: 'dim_user', column: 'user_level' },
          region: { dimension: 'dim_user', column: 'region' },
        },
      },
      {
        type: 'product_recommend',
        into: 'product_event_wide',
        joins: [{ dimension: 'dim_user', on: 'userId' }],
        columns: {
          user_id: { payload: 'userId' },
          scene: { payload: 'scene' },
          recommended_product_ids: { payload: 'productIds' },
          user_name: { dimension: 'dim_user', column: 'user_name' },
          user_level: { dimension: 'dim_user', column: 'user_level' },
          region: { dimension: 'dim_user', column: 'region' },
        },
      },
    ];
    expect(compileSql(PRODUCT_SQL, context)).toEqual(expected);
  });

  it('compiles an aggregation of user_profile_wide into a state mapping', () => {
    const expected: StateMapping = {
      into: 'user_profile_wide',
      types: ['user_login', 'user_purchase', 'user_view'],
      joins: [{ dimension: 'dim_user', on: 'userId' }],
      key: { user_id: { payload: 'userId' } },
      columns: {
        login_count: { count: true, when: ['user_login'] },
        view_count: { count: true, when: ['user_view'] },
        purchase_count: { count: true, when: ['user_purchase'] },
        purchase_amount: { sum: { payload: 'amount' }, when: ['user_purchase'] },
        last_login_at: { last: { expr: LOGIN_TIME, nullable: false }, when: ['user_login'] },
        last_device: { last: { payload: 'device' }, when: ['user_login'] },
        user_name: { last: { dimension: 'dim_user', column: 'user_name' } },
        user_level: { last: { dimension: 'dim_user', column: 'user_level' } },
        region: { last: { dimension: 'dim_user', column: 'region' } },
      },
    };
    expect(compileSql(PROFILE_SQL, context)).toEqual([expected]);
  });

  it('reads the CASE forms of filtered COUNT and SUM like FILTER', () => {
    const cases = PROFILE_SQL.replace(
      "COUNT(*) FILTER (WHERE type = 'user_login')",
      "COUNT(CASE WHEN type = 'user_login' THEN 1 END)",
    ).replace(
      "SUM(e.amount) FILTER (WHERE type = 'user_purchase')",
      "sum(CASE WHEN type IN ('user_purchase') THEN e.amount ELSE 0 END)",
    );
    expect(cases).not.toBe(PROFILE_SQL);
    expect(compileSql(cases, context)).toEqual(compileSql(PROFILE_SQL, context));
  });

  it('reads one type from FROM, envelope functions, literals, quoted identifiers and comments', () => {
    const sql = `
      /* Logins only. */
      INSERT INTO user_profile_wide
      SELECT "e"."userId" AS user_id,
             count(*) AS login_count, -- every event the statement reads
             LAST_VALUE(CASE WHEN type = 'user_login' THEN TO_TIMESTAMP_LTZ(e.loginTime, 3) END) AS last_login_at,
             LAST_VALUE(CASE WHEN type = 'user_login' THEN e.device END) AS last_device,
             LAST_VALUE(event_source()) AS user_name, LAST_VALUE('gold') AS user_level,
             LAST_VALUE(NULL) AS region
      FROM user_login e
      GROUP BY e."userId";
      INSERT INTO user_event_wide
      SELECT e.userId AS user_id, event_time() AS login_time, 'web;app' AS page, 42 AS duration_ms, NULL AS ip
      FROM events e WHERE type = 'user_login'`;
    expect(compileSql(sql, context)).toEqual([
      {
        into: 'user_profile_wide',
        types: ['user_login'],
        joins: [],
        key: { user_id: { payload: 'userId' } },
        columns: {
          login_count: { count: true },
          last_login_at: { last: { expr: LOGIN_TIME, nullable: false }, when: ['user_login'] },
          last_device: { last: { payload: 'device' }, when: ['user_login'] },
          user_name: { last: { event: 'source' } },
          user_level: { last: { literal: 'gold' } },
          region: { last: { literal: null } },
        },
      },
      {
        type: 'user_login',
        into: 'user_event_wide',
        joins: [],
        columns: {
          user_id: { payload: 'userId' },
          login_time: { event: 'timestamp' },
          page: { literal: 'web;app' },
          duration_ms: { literal: 42 },
          ip: { literal: null },
        },
      },
    ]);
  });

  it('compiles to mappings the declarative compiler turns into processors', () => {
    const mappings = compileSql(`${USER_ROWS_SQL};${PROFILE_SQL}`, context);
    expect(mappings[0]).toEqual({
      type: 'user_login',
      into: 'user_event_wide',
      joins: [{ dimension: 'dim_user', on: 'userId' }],
      columns: {
        user_id: { payload: 'userId' },
        login_time: { expr: LOGIN_TIME, nullable: false },
        device: { payload: 'device' },
        ip: { payload: 'ip' },
        ...USER_DIMENSION_COLUMNS,
      },
    });
    const processors = declared(mappings, { tables: TABLES, events: CATALOG });
    expect(processors.map((p) => p.type)).toEqual(['user_login', 'user_purchase', 'user_view']);
    const purchase = processors[1]!;
    const e: BusinessEvent = {
      domain: 'user',
      type: 'user_purchase',
      timestamp: 1_790_000_000_000,
      eventId: 'evt-1',
      payload: { userId: 'u1', orderId: 'o1', productId: 'p1', amount: '12.5' },
      version: '1.0',
      source: 'test',
    };
    const rows: Record<string, Record<string, object>> = { dim_user: { u1: { user_name: 'Ann' } } };
    const dims: DimensionView = {
      get: (name, key) => (key === undefined ? null : (rows[name]?.[key] ?? null)) as never,
    };
    const write = purchase.toWrite(e, dims, {
      topic: 'business-events',
      partition: 0,
      offset: 7,
      timestamp: 0,
      timestampType: 'CREATE_TIME' as const,
    });
    expect(write.event.row).toMatchObject({
      user_id: 'u1',
      order_id: 'o1',
      amount: '12.5',
      user_name: 'Ann',
    });
    expect(write.state[0]!.row).toMatchObject({
      user_id: 'u1',
      login_count: 0,
      view_count: 0,
      purchase_count: 1,
      purchase_amount: '12.5',
      last_device: null,
      user_name: 'Ann',
    });
  });
});

// ------------------------------------------------------------------------------------ errors

function failure(sql: string): SqlDefinitionError {
  try {
    compileSql(sql, context);
  } catch (error) {
    if (error instanceof SqlDefinitionError) return error;
    throw error;
  }
  throw new Error('compiled without an error');
}

/** Line and column (1-based) of the `nth` occurrence of `needle` in `sql`. */
function where(sql: string, needle: string, nth = 1): { line: number; column: number } {
  let offset = -1;
  for (let i = 0; i < nth; i++) offset = sql.indexOf(needle, offset + 1);
  if (offset < 0) throw new Error(`${needle} not in the SQL`);
  const before = sql.slice(0, offset);
  return { line: before.split('\n').length, column: offset - before.lastIndexOf('\n') };
}

/** The error names the statement, the position of `at` (its nth occurrence), the identifier and the problem. */
function expectError(
  sql: string,
  expected: { statement: string; at: string; nth?: number; identifier: string; problem: RegExp },
): void {
  const error = failure(sql);
  const { line, column } = where(sql, expected.at, expected.nth);
  expect({
    statement: error.statement,
    line: error.line,
    column: error.column,
    identifier: error.identifier,
  }).toEqual({ statement: expected.statement, line, column, identifier: expected.identifier });
  expect(error.message).toContain(expected.statement);
  expect(error.message).toContain(`line ${line}, column ${column}`);
  expect(error.message).toContain(expected.identifier.replace(/^'|'$/g, ''));
  expect(error.message).toMatch(expected.problem);
}

const VIEW = 'INSERT INTO product_event_wide';

describe('definition errors', () => {
  it('an unknown target table', () => {
    expectError(`INSERT INTO product_events\nSELECT e.productId AS product_id FROM product_view e`, {
      statement: 'INSERT INTO product_events',
      at: 'product_events',
      identifier: 'product_events',
      problem: /unknown table product_events \(known: .*product_event_wide/,
    });
  });

  it('an unknown column of the target table', () => {
    expectError(`${VIEW}\nSELECT e.productId AS product_id,\n  e.referrer AS referer\nFROM product_view e`, {
      statement: VIEW,
      at: 'referer',
      identifier: 'referer',
      problem: /unknown column referer of product_event_wide/,
    });
  });

  it('an unknown event type, in FROM or in a filter', () => {
    expectError(`${VIEW}\nSELECT e.productId AS product_id\nFROM product_viewed e`, {
      statement: VIEW,
      at: 'product_viewed',
      identifier: 'product_viewed',
      problem: /unknown event type product_viewed \(known: .*product_view,/,
    });
    const sql = PROFILE_SQL.replace("type = 'user_view'", "type = 'user_viewed'");
    expectError(sql, {
      statement: 'INSERT INTO user_profile_wide',
      at: "'user_viewed'",
      identifier: 'user_viewed',
      problem: /unknown event type user_viewed/,
    });
  });

  it('an event type the statement does not read', () => {
    const sql = PROFILE_SQL.replace(
      "'user_login', 'user_purchase', 'user_view'",
      "'user_login', 'user_view'",
    );
    expectError(sql, {
      statement: 'INSERT INTO user_profile_wide',
      at: "'user_purchase'",
      identifier: 'user_purchase',
      problem: /event type user_purchase is not read by this statement \(it reads user_login, user_view\)/,
    });
  });

  it('an unknown payload field, with the fields there are', () => {
    expectError(`${VIEW}\nSELECT e.productId AS product_id, e.refferer AS referrer\nFROM product_view e`, {
      statement: VIEW,
      at: 'e.refferer',
      identifier: 'e.refferer',
      problem: /unknown payload field refferer of product_view \(fields: productId, userId, referrer\)/,
    });
  });

  it('a payload field missing from one of the types it is read from', () => {
    const sql = PROFILE_SQL.replace('SUM(e.amount) FILTER', 'SUM(e.amount) FILTER').replace(
      "LAST_VALUE(CASE WHEN type = 'user_login' THEN e.device END)",
      "LAST_VALUE(CASE WHEN type IN ('user_login', 'user_view') THEN e.device END)",
    );
    expectError(sql, {
      statement: 'INSERT INTO user_profile_wide',
      at: 'e.device',
      identifier: 'e.device',
      problem: /unknown payload field device of user_view/,
    });
  });

  it('an unknown dimension table', () => {
    const sql = `${VIEW}\nSELECT e.productId AS product_id\nFROM product_view e\nLEFT JOIN dim_products p ON p.product_id = e.productId`;
    expectError(sql, {
      statement: VIEW,
      at: 'dim_products',
      identifier: 'dim_products',
      problem: new RegExp(
        `unknown dimension table dim_products \\(known: ${DIMENSIONS.map((d) => d.table.name).join(', ')}\\)`,
      ),
    });
  });

  it('an unknown dimension column, or one its lookup does not return', () => {
    const sql = (column: string) =>
      `${VIEW}\nSELECT e.productId AS product_id, p.${column}\nFROM product_view e\nLEFT JOIN dim_product p ON p.product_id = e.productId`;
    expectError(sql('product_title'), {
      statement: VIEW,
      at: 'p.product_title',
      identifier: 'p.product_title',
      problem:
        /unknown column product_title of dimension dim_product \(its lookup returns product_name, category, brand, price\)/,
    });
    expectError(sql('updated_at'), {
      statement: VIEW,
      at: 'p.updated_at',
      identifier: 'p.updated_at',
      problem: /unknown column updated_at of dimension dim_product/,
    });
  });

  it('a type mismatch between a payload field and its column', () => {
    expectError(`${VIEW}\nSELECT e.productIds AS scene\nFROM product_recommend e`, {
      statement: VIEW,
      at: 'e.productIds',
      identifier: 'e.productIds',
      problem:
        /type mismatch: e\.productIds \(ARRAY<VARCHAR\(64\)>\) does not fit string column scene \(varchar\(64\)\)/,
    });
    expectError(`${VIEW}\nSELECT e.keyword AS result_count\nFROM product_search e`, {
      statement: VIEW,
      at: 'e.keyword',
      identifier: 'e.keyword',
      problem: /e\.keyword \(VARCHAR\(255\)\) does not fit int column result_count/,
    });
    expectError(
      `INSERT INTO user_event_wide\nSELECT e.userId AS user_id, e.loginTime AS device\nFROM user_login e`,
      {
        statement: 'INSERT INTO user_event_wide',
        at: 'e.loginTime',
        identifier: 'e.loginTime',
        problem: /e\.loginTime \(BIGINT\) does not fit string column device/,
      },
    );
    const price = `${VIEW}\nSELECT p.price AS scene\nFROM product_view e LEFT JOIN dim_product p ON p.product_id = e.productId`;
    expectError(price, {
      statement: VIEW,
      at: 'p.price',
      identifier: 'p.price',
      problem: /p\.price \(DECIMAL\(18, 4\)\) does not fit string column scene/,
    });
  });

  it('a value that may be NULL in a NOT NULL column', () => {
    expectError(`INSERT INTO user_event_wide\nSELECT NULL AS user_id\nFROM user_login e`, {
      statement: 'INSERT INTO user_event_wide',
      at: 'NULL',
      identifier: 'NULL',
      problem: /column user_id is NOT NULL but NULL cannot fill it/,
    });
    const sql = `INSERT INTO user_event_wide\nSELECT u.user_name AS user_id\nFROM user_login e LEFT JOIN dim_user u ON u.user_id = e.userId`;
    expectError(sql, {
      statement: 'INSERT INTO user_event_wide',
      at: 'u.user_name',
      identifier: 'u.user_name',
      problem: /column user_id is NOT NULL but u\.user_name may be NULL/,
    });
  });

  it('a standard column, which is filled automatically', () => {
    expectError(
      `${VIEW}\nSELECT e.productId AS product_id, event_time() AS event_time\nFROM product_view e`,
      {
        statement: VIEW,
        at: 'event_time\n',
        identifier: 'event_time',
        problem: /column event_time is filled automatically/,
      },
    );
    const sql = PROFILE_SQL.replace(
      'AS region',
      'AS region,\n       LAST_VALUE(event_id()) AS last_event_key',
    );
    expectError(sql, {
      statement: 'INSERT INTO user_profile_wide',
      at: 'last_event_key',
      identifier: 'last_event_key',
      problem: /column last_event_key is filled automatically/,
    });
  });

  it('a NOT NULL column without a default that is not selected', () => {
    expectError(`INSERT INTO user_event_wide\nSELECT e.device\nFROM user_login e`, {
      statement: 'INSERT INTO user_event_wide',
      at: 'user_event_wide',
      identifier: 'user_id',
      problem: /NOT NULL column user_id of user_event_wide has no default and is not selected/,
    });
  });

  it("an aggregate that does not fit the column's merge", () => {
    const profile = 'INSERT INTO user_profile_wide';
    expectError(PROFILE_SQL.replace('LAST_VALUE(u.user_name) AS user_name', 'COUNT(*) AS user_name'), {
      statement: profile,
      at: 'user_name,',
      identifier: 'user_name',
      problem: /column user_name merges {"lastValue":"user_name_key"}; COUNT needs merge 'add'/,
    });
    expectError(
      PROFILE_SQL.replace(
        "LAST_VALUE(CASE WHEN type = 'user_login' THEN e.device END)",
        'LAST_VALUE(e.userId)',
      ),
      {
        statement: profile,
        at: 'last_device',
        identifier: 'last_device',
        // Unfiltered, it would be the newest of every type read, while last_login_at (same order
        // key) is the newest login's.
        problem:
          /column last_\w+ is ordered by last_login_key like last_\w+, so it must be filtered to the same types/,
      },
    );
    expectError(
      PROFILE_SQL.replace(
        "LAST_VALUE(CASE WHEN type = 'user_login' THEN e.device END)",
        "LAST_VALUE(CASE WHEN type = 'user_login' THEN u.region END)",
      ),
      {
        statement: profile,
        at: 'last_device',
        identifier: 'last_device',
        // Its order key is last_login_at's too, so a NULL region could not be skipped.
        problem:
          /column last_device merges {"newestBy":"last_login_key"}, but u\.region may be NULL and LAST_VALUE skips NULLs \(as Flink's does\): merge it { lastValue: <an order key of its own> }/,
      },
    );
    const lastAmount = PROFILE_SQL.replace(
      "SUM(e.amount) FILTER (WHERE type = 'user_purchase')",
      "LAST_VALUE(CASE WHEN type = 'user_purchase' THEN e.amount END)",
    );
    expectError(lastAmount, {
      statement: profile,
      at: 'purchase_amount',
      identifier: 'purchase_amount',
      problem:
        /column purchase_amount merges "add"; a filtered LAST_VALUE needs merge { newestBy: <order key> }/,
    });
  });

  it('a GROUP BY other than the key', () => {
    expectError(PROFILE_SQL.replace('GROUP BY e.userId', 'GROUP BY e.userId, event_source()'), {
      statement: 'INSERT INTO user_profile_wide',
      at: 'event_source()',
      identifier: 'event_source()',
      problem: /GROUP BY event_source\(\) is not the source of a key column of user_profile_wide \(user_id\)/,
    });
    expectError(PROFILE_SQL.replace('GROUP BY e.userId', ''), {
      statement: 'INSERT INTO user_profile_wide',
      at: 'user_profile_wide',
      identifier: 'user_profile_wide',
      problem: /needs GROUP BY the sources of its key \(user_id\)/,
    });
  });

  it.each([
    {
      construct: 'a payload field named like the type',
      sql: PROFILE_SQL.replace('WHERE type IN', 'WHERE e.type IN'),
      at: 'e.type',
      identifier: 'e.type',
      problem: /the event type is the bare word type; e\.type would be a payload field/,
    },
    {
      construct: 'a subquery',
      sql: `${VIEW}\nSELECT (SELECT 1) AS result_count\nFROM product_search e`,
      at: 'SELECT 1',
      identifier: 'SELECT',
      problem: /unsupported: a subquery/,
    },
    {
      construct: 'ORDER BY',
      sql: `${VIEW}\nSELECT e.productId AS product_id\nFROM product_view e\nORDER BY e.productId`,
      at: 'ORDER BY',
      identifier: 'ORDER BY',
      problem: /unsupported: ORDER BY/,
    },
    {
      construct: 'a function there is not',
      sql: `${VIEW}\nSELECT e.productId AS product_id, INITCAP(e.referrer) AS referrer\nFROM product_view e`,
      at: 'INITCAP',
      identifier: 'INITCAP(…)',
      problem: /unsupported: function INITCAP \(docs\/sql\.md lists the functions: UPPER, LOWER/,
    },
    {
      construct: 'an interval',
      sql: `${VIEW}\nSELECT e.keyword, INTERVAL '1' DAY AS result_count\nFROM product_search e`,
      at: 'INTERVAL',
      identifier: 'INTERVAL',
      problem: /unsupported: the expression INTERVAL/,
    },
    {
      construct: 'a join not on the key',
      sql: `${VIEW}\nSELECT u.region\nFROM product_view e\nLEFT JOIN dim_user u ON u.region = e.referrer`,
      at: 'u.region =',
      identifier: 'u.region',
      problem: /unsupported: a join not on the key of dim_user \(user_id\)/,
    },
    {
      construct: 'a right join',
      sql: `${VIEW}\nSELECT u.region\nFROM product_view e\nRIGHT JOIN dim_user u ON u.user_id = e.userId`,
      at: 'dim_user',
      identifier: 'dim_user',
      problem: /unsupported: RIGHT JOIN; dimensions are joined with LEFT JOIN or \(inner\) JOIN/,
    },
    {
      construct: 'AVG (its SUM and COUNT merge; an average does not)',
      sql: PROFILE_SQL.replace('SUM(e.amount)', 'AVG(e.amount)'),
      at: 'AVG',
      identifier: 'AVG',
      problem:
        /unsupported: AVG \(an average does not merge\); keep SUM\(x\) AS x_sum and COUNT\(x\) AS x_count/,
    },
    {
      construct: 'an aggregate into an event table',
      sql: `${VIEW}\nSELECT COUNT(*) AS result_count\nFROM product_search e`,
      at: 'COUNT',
      identifier: 'COUNT',
      problem: /unsupported: aggregate COUNT into an event table/,
    },
    {
      construct: 'several event types into an event table',
      sql: `${VIEW}\nSELECT e.userId AS user_id\nFROM events e\nWHERE type IN ('product_view', 'product_search')`,
      at: "'product_search'",
      identifier: 'product_search',
      problem: /a statement into event table product_event_wide reads one event type/,
    },
    {
      construct: 'UPDATE',
      sql: `UPDATE product_event_wide SET referrer = 'x'`,
      at: 'UPDATE',
      identifier: 'UPDATE',
      problem: /unsupported: UPDATE statements; only INSERT INTO … SELECT/,
    },
    {
      construct: 'DELETE',
      sql: `DELETE FROM product_event_wide WHERE event_id = 'x'`,
      at: 'DELETE',
      identifier: 'DELETE',
      problem: /unsupported: DELETE statements/,
    },
  ])('an unsupported construct: $construct', ({ sql, at, identifier, problem }) => {
    expectError(sql, { statement: failure(sql).statement, at, identifier, problem });
    expect(failure(sql).statement).toBe(sql.trim().split('\n')[0]!.trim());
  });

  it("a parse error, with the parser's message and location", () => {
    const sql = `${VIEW}\nSELECT e.productId AS product_id,\nFROM product_view e`;
    const error = failure(sql);
    expect(error.message).toMatch(/parse error: Expected .* but "p" found/);
    expectError(sql, {
      statement: VIEW,
      at: 'product_view',
      identifier: 'product_view',
      problem: /parse error/,
    });
  });

  it('names the statement the mistake is in, among several', () => {
    const sql = `${PRODUCT_SQL};\nINSERT INTO user_event_wide\nSELECT e.userId AS user_id, e.pages AS page\nFROM user_view e`;
    expectError(sql, {
      statement: 'INSERT INTO user_event_wide',
      at: 'e.pages',
      identifier: 'e.pages',
      problem: /unknown payload field pages of user_view/,
    });
  });
});
