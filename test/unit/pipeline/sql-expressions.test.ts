/**
 * Scalar expressions in SQL definitions: what they compile to (typed, plain data) and what they
 * evaluate to per event, with Flink SQL's semantics — exact decimals, three-valued logic, NULL
 * propagation — and what is refused.
 */
import { describe, expect, it } from 'vitest';
import { caster, compileExpression } from '../../../shared/definitions/evaluate.ts';
import type { Expr } from '../../../shared/definitions/expression.ts';
import { STRING, showType } from '../../../shared/definitions/types.ts';
import { amountSchema } from '../../../shared/events/amount.ts';
import * as z from '../../../shared/events/zod.ts';
import type { Source } from '../../../shared/pipeline/declarative.ts';
import { compileSql, type SqlContext, SqlDefinitionError } from '../../../shared/pipeline/sql.ts';
import { datetime, decimal, defineTable, int, json, varchar } from '../../../shared/tables/table.ts';

const payload = z.object({
  name: z.string().check(z.maxLength(20)),
  note: z.optional(z.string().check(z.maxLength(50))),
  qty: z.number().check(z.int(), z.gte(0), z.lte(1000)),
  at: z.number().check(z.int(), z.gte(0), z.lte(4_102_444_800_000)),
  price: amountSchema,
  ratio: z.number(),
  ok: z.boolean(),
  tags: z.array(z.string().check(z.maxLength(10))),
  attrs: z.record(z.string(), z.unknown()),
  doc: z.string(),
});

const table = defineTable({
  name: 't',
  columns: {
    event_id: varchar(64),
    v: json().null(),
    s: varchar(20).null(),
    d: decimal(10, 2).null(),
    ts: datetime().null(),
    n: int().null(),
  },
  key: ['event_id'],
});

const context: SqlContext = {
  tables: [table],
  dimensions: [],
  events: [{ type: 'ev', payload }],
  automatic: { event: ['event_id'], state: [] },
};

const EVENT = {
  name: 'Widget',
  qty: 3,
  at: 1_700_000_000_123,
  price: '12.5',
  ratio: 0.1,
  ok: true,
  tags: ['red', 'blue'],
  attrs: { color: 'green', size: 2, nested: { k: 'v' } },
  doc: '{"a":{"b":[10,"x"]},"c":true}',
};

function exprOf(source: Source): Expr {
  if ('expr' in source) return source.expr;
  throw new Error(`not an expression: ${JSON.stringify(source)}`);
}

/** The expression's type and its value written as CAST(… AS STRING) writes it (null for NULL). */
function evaluate(
  sql: string,
  values: Record<string, unknown> = EVENT,
): { type: string; text: string | null } {
  const [mapping] = compileSql(`INSERT INTO t SELECT ${sql} AS v FROM ev e`, context);
  const expr = exprOf((mapping as { columns: Record<string, Source> }).columns.v!);
  const value = compileExpression(expr)({
    event: {
      domain: 'd',
      type: 'ev',
      timestamp: 1_700_000_000_000,
      eventId: 'e1',
      version: '1.0',
      source: 's',
      payload: values,
    },
    dimension: () => undefined,
  });
  return { type: showType(expr.t), text: value === null ? null : (caster(expr.t, STRING)(value) as string) };
}

const text = (sql: string, values?: Record<string, unknown>) => evaluate(sql, values).text;

function failure(sql: string): SqlDefinitionError {
  try {
    compileSql(sql, context);
  } catch (error) {
    if (error instanceof SqlDefinitionError) return error;
    throw error;
  }
  throw new Error('compiled without an error');
}

describe('arithmetic', () => {
  it('is exact on decimals, with Flink result types', () => {
    expect(evaluate('e.price * e.qty')).toEqual({ type: 'DECIMAL(28, 4)', text: '37.5000' });
    expect(evaluate('e.price + 0.1')).toEqual({ type: 'DECIMAL(19, 4)', text: '12.6000' });
    expect(text('0.1 + 0.2')).toBe('0.3');
    expect(evaluate('e.price / 3')).toEqual({ type: 'DECIMAL(29, 15)', text: '4.166666666666667' });
    expect(text('e.qty / 2')).toBe('1'); // INT / INT truncates, as Flink
    expect(text('e.qty % 2')).toBe('1');
    expect(text('-e.price')).toBe('-12.5000');
  });

  it('is NULL on a NULL operand or a division by zero', () => {
    expect(text('e.price / 0')).toBeNull();
    expect(text('e.qty + NULL')).toBeNull();
  });

  it('refuses text without a CAST', () => {
    expect(failure(`INSERT INTO t SELECT e.name * 2 AS v FROM ev e`).message).toMatch(
      /\* needs numbers, not VARCHAR\(20\); CAST\(… AS DECIMAL\(p, s\)\) reads a number from text/,
    );
  });
});

describe('CAST', () => {
  it('converts between the supported types', () => {
    expect(evaluate("CAST('12.345' AS DECIMAL(10, 2))")).toEqual({ type: 'DECIMAL(10, 2)', text: '12.35' });
    expect(text("CAST('oops' AS DECIMAL(10, 2))")).toBeNull();
    expect(text("CAST('123456789012' AS DECIMAL(10, 2))")).toBeNull();
    expect(evaluate('CAST(e.qty AS STRING)')).toEqual({ type: 'STRING', text: '3' });
    expect(text('CAST(e.price AS BIGINT)')).toBe('12');
    expect(text("CAST(' 42 ' AS INT)")).toBe('42');
    expect(text('CAST(e.ok AS STRING)')).toBe('TRUE');
    expect(text("CAST('2024-02-29 10:11:12.5' AS TIMESTAMP(3))")).toBe('2024-02-29 10:11:12.500');
    expect(text("CAST('2023-02-29' AS TIMESTAMP(3))")).toBeNull();
    expect(text("CAST('yes' AS BOOLEAN)")).toBe('TRUE');
    expect(text('CAST(e.name AS VARCHAR(3))')).toBe('Wid');
    expect(evaluate('CAST(e.ratio AS DECIMAL(5, 2))')).toEqual({ type: 'DECIMAL(5, 2)', text: '0.10' });
  });

  it('refuses a number into TIMESTAMP, naming TO_TIMESTAMP_LTZ', () => {
    expect(failure('INSERT INTO t SELECT CAST(e.at AS TIMESTAMP(3)) AS ts FROM ev e').message).toMatch(
      /cannot CAST BIGINT to TIMESTAMP\(3\); epoch milliseconds are read with TO_TIMESTAMP_LTZ\(x, 3\)/,
    );
  });
});

describe('conditions', () => {
  it('use three-valued logic', () => {
    expect(text('e.qty > 2 AND e.note IS NULL')).toBe('TRUE');
    expect(text("e.note = 'x' AND FALSE")).toBe('FALSE');
    expect(text("e.note = 'x' AND TRUE")).toBeNull();
    expect(text("e.note = 'x' OR TRUE")).toBe('TRUE');
    expect(text("NOT (e.note = 'x')")).toBeNull();
    expect(text('e.note IS NOT NULL')).toBe('FALSE');
    expect(text("(e.note = 'x') IS TRUE")).toBe('FALSE');
  });

  it('compare numbers of any exact type exactly, and strings', () => {
    expect(text('e.price = 12.50')).toBe('TRUE');
    expect(text('e.qty BETWEEN 1 AND 3')).toBe('TRUE');
    expect(text('e.qty NOT BETWEEN 1 AND 3')).toBe('FALSE');
    expect(text('e.qty IN (1, 2, 3)')).toBe('TRUE');
    expect(text('e.qty IN (1, NULL)')).toBeNull();
    expect(text('e.qty NOT IN (1, 2)')).toBe('TRUE');
    expect(text("e.name LIKE 'Wid%'")).toBe('TRUE');
    expect(text("e.name LIKE 'W_dget'")).toBe('TRUE');
    expect(text("e.name NOT LIKE '%x%'")).toBe('TRUE');
    expect(text("'50%' LIKE '50!%' ESCAPE '!'")).toBe('TRUE');
    expect(text("'a.c' LIKE 'a_c'")).toBe('TRUE');
    expect(text("'abc' LIKE 'a.c'")).toBe('FALSE');
  });

  it('refuse comparing text with numbers', () => {
    expect(failure(`INSERT INTO t SELECT e.name = 1 AS v FROM ev e`).message).toMatch(
      /cannot compare VARCHAR\(20\) with INT; CAST one of them/,
    );
  });

  it('CASE, COALESCE, IFNULL, NULLIF and IF', () => {
    expect(evaluate("CASE WHEN e.qty > 5 THEN 'many' WHEN e.qty > 1 THEN 'some' ELSE 'one' END")).toEqual({
      type: 'VARCHAR(4)',
      text: 'some',
    });
    expect(text("CASE e.qty WHEN 3 THEN 'three' END")).toBe('three');
    expect(text("CASE e.qty WHEN 4 THEN 'four' END")).toBeNull();
    expect(evaluate('CASE WHEN e.ok THEN e.price ELSE 0 END')).toEqual({
      type: 'DECIMAL(18, 4)',
      text: '12.5000',
    });
    expect(text("COALESCE(e.note, e.name, 'x')")).toBe('Widget');
    expect(text("IFNULL(e.note, 'none')")).toBe('none');
    expect(text('NULLIF(e.qty, 3)')).toBeNull();
    expect(text("IF(e.qty > 2, 'big', 'small')")).toBe('big');
  });
});

describe('functions', () => {
  it('on strings', () => {
    expect(text('UPPER(e.name)')).toBe('WIDGET');
    expect(text('LOWER(e.name)')).toBe('widget');
    expect(evaluate("CONCAT(e.name, '-', e.name)")).toEqual({ type: 'VARCHAR(41)', text: 'Widget-Widget' });
    expect(text("e.name || '!'")).toBe('Widget!');
    expect(text('CONCAT(e.name, e.note)')).toBeNull();
    expect(text("CONCAT_WS('/', e.name, e.note, 'x')")).toBe('Widget/x');
    expect(text('SUBSTRING(e.name, 2, 3)')).toBe('idg');
    expect(text('SUBSTRING(e.name, -3)')).toBe('get');
    expect(text("TRIM('  a b  ')")).toBe('a b');
    expect(text("TRIM(LEADING 'x' FROM 'xxaxx')")).toBe('axx');
    expect(text("TRIM(BOTH 'xy' FROM 'xyaxy')")).toBe('a');
    expect(text("RTRIM('a  ')")).toBe('a');
    expect(text('CHAR_LENGTH(e.name)')).toBe('6');
    expect(text("REPLACE(e.name, 'dg', 'DG')")).toBe('WiDGet');
    expect(text("LPAD(e.name, 8, '*')")).toBe('**Widget');
    expect(text("RPAD(e.name, 3, '*')")).toBe('Wid');
    expect(text("REGEXP_EXTRACT('order-42-x', 'order-(\\d+)', 1)")).toBe('42');
    expect(text("REGEXP_EXTRACT('none', 'order-(\\d+)', 1)")).toBeNull();
  });

  it('on time, in UTC', () => {
    expect(evaluate('TO_TIMESTAMP_LTZ(e.at, 3)')).toEqual({
      type: 'TIMESTAMP(3)',
      text: '2023-11-14 22:13:20.123',
    });
    expect(text('TO_TIMESTAMP_LTZ(1700000000, 0)')).toBe('2023-11-14 22:13:20.000');
    expect(text('FROM_UNIXTIME(1700000000)')).toBe('2023-11-14 22:13:20');
    expect(text("DATE_FORMAT(TO_TIMESTAMP_LTZ(e.at, 3), 'yyyy/MM/dd HH''h''')")).toBe('2023/11/14 22h');
    expect(text("DATE_FORMAT(event_time(), 'yyyy-MM-dd')")).toBe('2023-11-14');
    expect(text('EXTRACT(YEAR FROM TO_TIMESTAMP_LTZ(e.at, 3))')).toBe('2023');
    expect(text('HOUR(TO_TIMESTAMP_LTZ(e.at, 3))')).toBe('22');
    expect(text('MONTH(event_time())')).toBe('11');
    expect(text("TIMESTAMP '2024-01-31 12:00:00' < event_time()")).toBe('FALSE');
  });

  it('on JSON, arrays and maps', () => {
    expect(text("JSON_VALUE(e.doc, '$.a.b[1]')")).toBe('x');
    expect(text("JSON_VALUE(e.doc, '$.c')")).toBe('true');
    expect(text("JSON_VALUE(e.doc, '$.a')")).toBeNull();
    expect(text("JSON_VALUE(e.attrs, '$.color')")).toBe('green');
    expect(text("JSON_VALUE('not json', '$.a')")).toBeNull();
    expect(evaluate('e.tags[2]')).toEqual({ type: 'VARCHAR(10)', text: 'blue' });
    expect(text('e.tags[3]')).toBeNull();
    expect(text("CAST(e.attrs['color'] AS STRING)")).toBe('green');
    expect(text("CAST(e.attrs['nested'] AS STRING)")).toBe('{"k":"v"}');
    expect(text("CONCAT('it''s')")).toBe("it's");
    expect(text('CARDINALITY(e.tags)')).toBe('2');
  });

  it('refuses functions whose result changes on replay, saying why', () => {
    for (const call of ['CURRENT_TIMESTAMP', 'NOW()', 'RAND()', 'UUID()', 'LOCALTIMESTAMP']) {
      const error = failure(`INSERT INTO t SELECT ${call} AS v FROM ev e`);
      expect(error.message).toMatch(/a replayed event must write the same row/);
      expect(error.column).toBe('INSERT INTO t SELECT '.length + 1);
    }
  });

  it('checks constant arguments when the definition compiles', () => {
    expect(
      failure("INSERT INTO t SELECT DATE_FORMAT(event_time(), 'yyyy-QQ') AS v FROM ev e").message,
    ).toMatch(/'yyyy-QQ' is not a date format/);
    expect(failure("INSERT INTO t SELECT JSON_VALUE(e.doc, 'a.b') AS v FROM ev e").message).toMatch(
      /'a\.b' is not a JSON path/,
    );
    expect(failure('INSERT INTO t SELECT e.tags[0] AS v FROM ev e').message).toMatch(
      /array index 0: arrays are 1-based, as in Flink/,
    );
  });
});

describe('into columns', () => {
  it('checks DECIMAL precision and scale, string lengths and kinds', () => {
    expect(failure('INSERT INTO t SELECT e.price AS d FROM ev e').message).toMatch(
      /e\.price \(DECIMAL\(18, 4\)\) may not fit decimal column d \(decimal\(10,2\)\); CAST\(… AS DECIMAL\(10, 2\)\) rounds it/,
    );
    expect(() =>
      compileSql('INSERT INTO t SELECT CAST(e.price AS DECIMAL(10, 2)) AS d FROM ev e', context),
    ).not.toThrow();
    expect(failure('INSERT INTO t SELECT CONCAT(e.name, e.name) AS s FROM ev e').message).toMatch(
      /\(VARCHAR\(40\)\) may not fit string column s \(varchar\(20\)\); CAST\(… AS VARCHAR\(20\)\) truncates it/,
    );
    expect(failure('INSERT INTO t SELECT e.ratio AS n FROM ev e').message).toMatch(
      /e\.ratio \(DOUBLE\) does not fit int column n \(int\); CAST\(… AS INT\) converts it/,
    );
  });
});
