/**
 * Compares table definitions (shared/tables, gathered in shared/domains/registry.ts) with what the
 * migrations created, as information_schema reports it: the same columns, each of the same type,
 * nullability and default-ness, and the same primary (or unique) key. Definitions and DDL are kept
 * in step by hand; this is what notices when they are not.
 */
import type { Connection } from 'mysql2/promise';
import type { Table } from '../shared/tables/table.ts';

interface DbColumn {
  COLUMN_NAME: string;
  COLUMN_TYPE: string;
  IS_NULLABLE: 'YES' | 'NO';
  COLUMN_DEFAULT: string | null;
  EXTRA: string;
}

/** A column type as both MySQL 8 and MariaDB would print it for the definition's SQL type. */
function normalise(type: string): string {
  return type
    .toLowerCase()
    .replace(/^(tinyint|smallint|mediumint|int|bigint)\(\d+\)/, '$1') // MariaDB's display width
    .replace(/ (unsigned|zerofill)$/, ' $1');
}

/** Every difference between the definitions and the schema; empty when they agree. */
export async function schemaDrift(conn: Connection, tables: readonly Table[]): Promise<string[]> {
  const problems: string[] = [];
  const [[{ version }]] = (await conn.query('SELECT VERSION() AS version')) as unknown as [
    [{ version: string }],
  ];
  const mariadb = /mariadb/i.test(version);
  for (const table of tables) {
    const [rows] = (await conn.query(
      `SELECT COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE, COLUMN_DEFAULT, EXTRA
         FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?
        ORDER BY ORDINAL_POSITION`,
      [table.name],
    )) as unknown as [DbColumn[]];
    if (rows.length === 0) {
      problems.push(`${table.name}: defined, but no migration creates it`);
      continue;
    }
    const inDb = new Map(rows.map((r) => [r.COLUMN_NAME, r]));
    for (const name of inDb.keys()) {
      if (!table.columns[name])
        problems.push(`${table.name}.${name}: in the database, not in the definition`);
    }
    for (const [name, column] of Object.entries(table.columns)) {
      const db = inDb.get(name);
      if (!db) {
        problems.push(`${table.name}.${name}: in the definition, not in the database`);
        continue;
      }
      const expected = normalise(column.sqlType);
      const actual = normalise(db.COLUMN_TYPE);
      // MariaDB stores JSON as LONGTEXT with a json_valid check.
      if (actual !== expected && !(mariadb && expected === 'json' && actual === 'longtext')) {
        problems.push(`${table.name}.${name}: defined as ${expected}, the database has ${actual}`);
      }
      if (column.nullable !== (db.IS_NULLABLE === 'YES')) {
        problems.push(
          `${table.name}.${name}: defined ${column.nullable ? 'NULL' : 'NOT NULL'}, the database has ${db.IS_NULLABLE === 'YES' ? 'NULL' : 'NOT NULL'}`,
        );
      }
      const hasDefault =
        db.IS_NULLABLE === 'YES' || db.COLUMN_DEFAULT !== null || /auto_increment/i.test(db.EXTRA);
      if (column.optional && !hasDefault) {
        problems.push(`${table.name}.${name}: defined as optional, but the database has no default for it`);
      }
    }
    const [keyRows] = (await conn.query(
      `SELECT INDEX_NAME, COLUMN_NAME FROM information_schema.STATISTICS
        WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND NON_UNIQUE = 0
        ORDER BY INDEX_NAME, SEQ_IN_INDEX`,
      [table.name],
    )) as unknown as [Array<{ INDEX_NAME: string; COLUMN_NAME: string }>];
    const uniqueKeys = new Map<string, string[]>();
    for (const k of keyRows)
      uniqueKeys.set(k.INDEX_NAME, [...(uniqueKeys.get(k.INDEX_NAME) ?? []), k.COLUMN_NAME]);
    const wanted = table.key.join(', ');
    if (![...uniqueKeys.values()].some((cols) => cols.join(', ') === wanted)) {
      problems.push(`${table.name}: key (${wanted}) is not a primary or unique key in the database`);
    }
  }
  return problems;
}
