/**
 * The sink's precomputed VALUES list builds the bytes mysql2's `format` builds from `?` placeholders
 * with the pool's options (stringifyObjects false, time zone 'Z'), for every table and every kind of
 * value, the awkward ones included. bench/statements.ts checks the same on the handlers' real rows.
 */
import { format } from 'mysql2/promise';
import { describe, expect, it } from 'vitest';
import { TABLES } from '../../../shared/domains/registry.ts';
import { valuesList } from '../../../shared/sink/values-list.ts';
import { MARIADB_10_11, MYSQL_8_4 } from '../../../shared/tables/dialect.ts';
import type { ColumnKind, Row, SqlValue, Table } from '../../../shared/tables/table.ts';

const AWKWARD_TEXT = [
  'plain',
  "it's",
  'back\\slash',
  'a ? mark',
  '??',
  '"quoted"',
  'nul\0byte',
  'line\nbreak\r\t\x1a',
  'émoji 🚀',
  '',
];
const SAMPLES: Record<ColumnKind, SqlValue[]> = {
  string: AWKWARD_TEXT,
  int: [0, -1, 2_147_483_647, 42],
  bigint: [0, -1, 9_007_199_254_740_991, 9_223_372_036_854_775_807n, -9_223_372_036_854_775_808n],
  decimal: ['12.34', '-0.01', 99.5, 0],
  datetime: [
    new Date(0),
    new Date(Date.UTC(2026, 11, 6, 14, 30, 51, 7)),
    new Date(Date.UTC(9999, 11, 31, 23, 59, 59, 499)),
  ],
  json: ['{"a":"it\'s","b":[1,2]}', '{}', '"\\u0000"'],
  bytes: [Buffer.from([]), Buffer.from([0, 39, 92, 255]), Buffer.from("key ? ' \\")],
};

/** Rows of the table: a sample of each column's kind, some NULL, some left out (DEFAULT), booleans. */
function rowsOf(table: Table, count: number): Row[] {
  return Array.from({ length: count }, (_, r) => {
    const row: Row = {};
    table.written.forEach((name, c) => {
      const column = table.columns[name]!;
      const samples = SAMPLES[column.kind];
      const pick = (r * 7 + c * 3) % (samples.length + 3);
      if (pick === samples.length && column.nullable) row[name] = null;
      else if (pick === samples.length + 1 && column.optional) return;
      else if (pick === samples.length + 2 && column.kind === 'int') row[name] = r % 2 === 0;
      else row[name] = samples[pick % samples.length]!;
    });
    return row;
  });
}

/** What the sink sent before: `?` per value (booleans as 1 or 0), formatted as mysql2 formats a query. */
function viaPlaceholders(
  upsert: (values: string) => string,
  columns: readonly string[],
  rows: Row[],
): string {
  const params: SqlValue[] = [];
  const tuples = rows.map((row) => {
    const values = columns.map((column) => {
      const value = row[column];
      if (value === undefined) return 'DEFAULT';
      params.push(typeof value === 'boolean' ? (value ? 1 : 0) : value);
      return '?';
    });
    return `(${values.join(', ')})`;
  });
  return format(upsert(tuples.join(', ')), params, false, 'Z');
}

describe('valuesList', () => {
  it("builds the statement mysql2's format builds, for every table, dialect and kind of value", () => {
    for (const dialect of [MARIADB_10_11, MYSQL_8_4]) {
      for (const table of TABLES) {
        const rows = rowsOf(table, 40);
        const upsert = (values: string) => dialect.upsert(table, values);
        expect(upsert(valuesList(table.written, rows)), table.name).toBe(
          viaPlaceholders(upsert, table.written, rows),
        );
      }
    }
  });

  it('writes DEFAULT for a value left out and NULL for null', () => {
    expect(
      valuesList(
        ['a', 'b', 'c'],
        [
          { a: null, c: "it's" },
          { a: true, b: 1.5, c: false },
        ],
      ),
    ).toBe("(NULL, DEFAULT, 'it\\'s'), (1, 1.5, 0)");
  });
});
