/**
 * What a Flink SQL job brings with it: the bugs issue 18 found (each test failed before its fix),
 * Flink's syntax (FOR SYSTEM_TIME AS OF, CAST … AS STRING, INSERT INTO t (cols)), WHERE on values
 * and what happens to the events it filters out, and the SQL examples of the README, docs/sql.md
 * and sql.ts, which must compile.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { declared, sql, sqlContext } from '../../../shared/domains/common.ts';
import { productEventWide, productRecommendV1, productViewV1 } from '../../../shared/domains/product.ts';
import { CATALOG, TABLES } from '../../../shared/domains/registry.ts';
import type { BusinessEvent } from '../../../shared/events/business-event.ts';
import type { EventMapping } from '../../../shared/pipeline/declarative.ts';
import { defineDomain } from '../../../shared/pipeline/domain.ts';
import type { DimensionView } from '../../../shared/pipeline/processor.ts';
import { compileSql, type SqlContext } from '../../../shared/pipeline/sql.ts';
import { createHandler } from '../../../shared/runtime/create-handler.ts';
import { businessEvent, kafkaEvent, kafkaRecord, lambdaContext } from '../../support/events.ts';
import { LOCAL_ENV, memoryRuntime } from '../../support/memory-runtime.ts';
import { refusals } from './sql-refusals.ts';

const context: SqlContext = sqlContext({ tables: TABLES, events: CATALOG });

const { failure } = refusals(context);

function position(text: string, needle: string): { line: number; column: number } {
  const offset = text.indexOf(needle);
  const before = text.slice(0, offset);
  return { line: before.split('\n').length, column: offset - before.lastIndexOf('\n') };
}

const NO_DIMENSIONS: DimensionView = { get: () => null };
const event = (type: string, payload: Record<string, unknown>): BusinessEvent => ({
  domain: 'product',
  type,
  timestamp: 1_790_000_000_000,
  eventId: `evt-${type}`,
  payload,
  version: '1.0',
  source: 'test',
});
const RECORD = {
  topic: 'business-events.product',
  partition: 0,
  offset: 1,
  timestamp: 0,
  timestampType: 'CREATE_TIME' as const,
};

/** The row a product statement writes for one event. */
function productRow(statement: string, e: BusinessEvent) {
  const processors = declared(compileSql(statement, context), { tables: TABLES, events: CATALOG });
  return processors.find((p) => p.type === e.type)!.toWrite(e, NO_DIMENSIONS, RECORD).event.row;
}

describe('the bugs issue 18 lists', () => {
  it('positions count the leading whitespace (the parser is told not to trim)', () => {
    const text = `\n\n      INSERT INTO product_event_wide\n      SELECT e.productId AS product_id,\n      FROM product_view e`;
    const error = failure(text);
    expect(error.message).toMatch(/parse error/);
    expect({ line: error.line, column: error.column }).toEqual(position(text, 'product_view e'));
    const where = `\n   INSERT INTO product_event_wide\n   SELECT e.productId AS product_id FROM product_view e\n   WHERE e.referrer + 1 > 0`;
    const typed = failure(where);
    expect(typed.message).toMatch(/\+ needs numbers, not VARCHAR\(255\)/);
    expect({ line: typed.line, column: typed.column }).toEqual(position(where, 'e.referrer + 1'));
  });

  it('reads e.productIds[1] as the first element (1-based, as in Flink), never the whole array', () => {
    const statement = `INSERT INTO product_event_wide
      SELECT e.userId AS user_id, e.productIds[1] AS product_id, e.scene FROM product_recommend e`;
    expect((compileSql(statement, context)[0] as EventMapping).columns.product_id).toEqual({
      expr: { op: 'field', path: ['productIds', 0], t: { type: 'STRING', length: 64 } },
      nullable: true,
    });
    const row = productRow(
      statement,
      event('product_recommend', { userId: 'u1', productIds: ['p7', 'p8'], scene: 'home' }),
    );
    expect(row.product_id).toBe('p7');
    expect(failure(statement.replace('[1]', '[0]')).message).toMatch(/arrays are 1-based, as in Flink/);
  });

  it('refuses a string into a DECIMAL column and a number into a DATETIME column', () => {
    const decimal = `INSERT INTO user_event_wide\nSELECT e.userId AS user_id, e.device AS amount\nFROM user_login e`;
    const error = failure(decimal);
    expect(error.message).toMatch(
      /type mismatch: e\.device \(VARCHAR\(64\)\) does not fit decimal column amount \(decimal\(18,4\)\); CAST\(… AS DECIMAL\(18, 4\)\) reads it exactly/,
    );
    expect({ line: error.line, column: error.column, identifier: error.identifier }).toEqual({
      ...position(decimal, 'e.device'),
      identifier: 'e.device',
    });
    const time = `INSERT INTO user_event_wide\nSELECT e.userId AS user_id, e.loginTime AS login_time\nFROM user_login e`;
    expect(failure(time).message).toMatch(
      /e\.loginTime \(BIGINT\) does not fit datetime column login_time \(datetime\(3\)\); epoch milliseconds are read with TO_TIMESTAMP_LTZ\(x, 3\)/,
    );
    expect(() =>
      compileSql(time.replace('e.loginTime AS', 'TO_TIMESTAMP_LTZ(e.loginTime, 3) AS'), context),
    ).not.toThrow();
    // The amount schema is DECIMAL(18, 4): it fills the column as it is.
    expect(() =>
      compileSql(
        `INSERT INTO user_event_wide SELECT e.userId AS user_id, e.orderId AS order_id, e.productId AS product_id, e.amount FROM user_purchase e`,
        context,
      ),
    ).not.toThrow();
  });

  it('writes a string literal into a JSON column as the JSON it spells, once encoded', () => {
    const statement = `INSERT INTO product_event_wide
      SELECT e.userId AS user_id, '["p1","p2"]' AS recommended_product_ids FROM product_recommend e`;
    const row = productRow(
      statement,
      event('product_recommend', { userId: 'u1', productIds: ['p7'], scene: 'home' }),
    );
    expect(row.recommended_product_ids).toBe('["p1","p2"]');
    expect(failure(statement.replace(`'["p1","p2"]'`, `'not json'`)).message).toMatch(
      /'not json' is not JSON text/,
    );
  });
});

/** ```sql blocks of a Markdown file, and the INSERT statements of sql.ts's header. */
function sqlBlocks(file: string): string[] {
  const text = readFileSync(new URL(`../../../${file}`, import.meta.url), 'utf8');
  if (file.endsWith('.ts')) {
    const header = text.slice(0, text.indexOf('*/'));
    return header
      .split(/\n \*\n/)
      .map((block) => block.replace(/^ \* ?/gm, ''))
      .filter((block) => /^\s+INSERT INTO/.test(block));
  }
  return [...text.matchAll(/```sql\n([\s\S]*?)```/g)].map((m) => m[1]!);
}

describe('the documented examples compile', () => {
  it.each(['README.md', 'docs/sql.md', 'shared/pipeline/sql.ts'])('%s', (file) => {
    const blocks = sqlBlocks(file);
    expect(blocks.length).toBeGreaterThan(0);
    for (const block of blocks) {
      try {
        compileSql(block, context);
      } catch (error) {
        throw new Error(`${file}: ${(error as Error).message}\n${block}`);
      }
    }
  });
});

describe("Flink's syntax", () => {
  it('accepts FOR SYSTEM_TIME AS OF e.proc_time in a lookup join, and refuses any other time', () => {
    const flink = `INSERT INTO product_event_wide
      SELECT e.productId AS product_id, p.brand
      FROM product_view AS e
      LEFT JOIN dim_product FOR SYSTEM_TIME AS OF e.proc_time AS p ON p.product_id = e.productId`;
    const plain = flink.replace('FOR SYSTEM_TIME AS OF e.proc_time ', '');
    expect(compileSql(flink, context)).toEqual(compileSql(plain, context));
    const other = flink.replace('e.proc_time', 'e.productId');
    const error = failure(other);
    expect(error.message).toMatch(
      /unsupported: FOR SYSTEM_TIME AS OF e\.productId; a lookup join reads the dimension's current row/,
    );
    expect({ line: error.line, column: error.column }).toEqual(position(other, 'e.productId AS p ON'));
    expect(failure(plain.replace('p.brand', 'e.proc_time AS referrer')).message).toMatch(
      /e\.proc_time outside FOR SYSTEM_TIME AS OF/,
    );
  });

  it('reads CAST(x AS STRING) and INSERT INTO t (columns) SELECT', () => {
    const listed = `INSERT INTO product_event_wide (user_id, keyword, result_count, scene)
      SELECT e.userId, UPPER(e.keyword), e.resultCount, CAST(e.resultCount AS STRING) FROM product_search e`;
    const [mapping] = compileSql(listed, context) as EventMapping[];
    expect(Object.keys(mapping!.columns)).toEqual(['user_id', 'keyword', 'result_count', 'scene']);
    const row = productRow(listed, event('product_search', { keyword: 'shoes', resultCount: 12 }));
    expect(row).toMatchObject({ keyword: 'SHOES', result_count: 12, scene: '12', user_id: null });
    const short = listed.replace('(user_id, keyword, result_count, scene)', '(user_id, keyword)');
    expect(failure(short).message).toMatch(/the column list names 2 columns but the SELECT has 4/);
  });
});

describe('WHERE on values', () => {
  const FILTERED = `
INSERT INTO product_event_wide
SELECT e.productId AS product_id, e.referrer, p.brand
FROM product_view e
LEFT JOIN dim_product FOR SYSTEM_TIME AS OF e.proc_time AS p ON p.product_id = e.productId
WHERE e.referrer LIKE 'ad-%' AND COALESCE(p.brand, '') <> 'internal';

INSERT INTO product_event_wide
SELECT e.userId AS user_id, e.scene, e.productIds AS recommended_product_ids
FROM product_recommend e;
`;
  const events = [
    { type: 'product_view', version: '1.0', payload: productViewV1 },
    { type: 'product_recommend', version: '1.0', payload: productRecommendV1 },
  ];
  const filteredDomain = () =>
    defineDomain({
      name: 'product',
      events,
      tables: [productEventWide],
      processors: sql(FILTERED, { tables: [productEventWide], events }),
    });

  it('compiles to a condition on the event mapping', () => {
    const [view] = compileSql(FILTERED, context) as EventMapping[];
    expect(view!.where).toMatchObject({ op: 'call', fn: 'and', t: { type: 'BOOLEAN' } });
  });

  it('writes the events it holds for; one it drops is done: not written, not dead-lettered, not retried, and the same on replay', async () => {
    const runtime = memoryRuntime(
      {},
      { p1: { product_name: 'P', category: 'c', brand: 'internal', price: '1' } },
    );
    const handler = createHandler(filteredDomain(), { env: LOCAL_ENV, runtime, writeLog: () => {} });
    const kept = businessEvent('product_view', {}, { productId: 'p2', referrer: 'ad-summer' });
    const organic = businessEvent('product_view', {}, { productId: 'p2', referrer: 'search' });
    const internal = businessEvent('product_view', {}, { productId: 'p1', referrer: 'ad-x' });
    const noReferrer = businessEvent('product_view', {}, { productId: 'p2' });
    const other = businessEvent('product_recommend', {}, { userId: 'u1', productIds: ['p1'], scene: 's' });
    const records = [kept, organic, internal, noReferrer, other].map((value, offset) =>
      kafkaRecord({ partition: 0, offset, value }),
    );
    for (let pass = 0; pass < 2; pass++) {
      const response = await handler(kafkaEvent(records), lambdaContext());
      expect(response).toEqual({ batchItemFailures: [] });
      expect([...runtime.events.keys()].sort()).toEqual([kept.eventId, other.eventId].sort());
      expect(runtime.deadLetters).toEqual([]);
    }
  });

  it('is refused on a type a state table aggregates: the event row is what merges its state exactly once', () => {
    const text = `INSERT INTO user_event_wide
SELECT e.userId AS user_id, e.page FROM user_view e WHERE e.durationMs > 1000;
INSERT INTO user_profile_wide
SELECT e.userId AS user_id, COUNT(*) AS view_count, LAST_VALUE(u.user_name) AS user_name,
       LAST_VALUE(u.user_level) AS user_level, LAST_VALUE(u.region) AS region
FROM user_view e LEFT JOIN dim_user u ON u.user_id = e.userId GROUP BY e.userId`;
    const error = failure(text);
    expect(error.message).toMatch(
      /unsupported: WHERE on user_view's event-table statement while user_profile_wide aggregates user_view/,
    );
    expect({ line: error.line, column: error.column }).toEqual(position(text, 'WHERE'));
  });

  it('needs a condition', () => {
    expect(
      failure(`INSERT INTO product_event_wide SELECT e.keyword FROM product_search e WHERE e.resultCount`)
        .message,
    ).toMatch(/WHERE needs a condition \(BOOLEAN\), not INT/);
  });
});
