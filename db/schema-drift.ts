/**
 * Compares table definitions (shared/tables, gathered in shared/domains/registry.ts) with what the
 * migrations created, as information_schema reports it: the same columns, each of the same type,
 * nullability, default-ness, character set and collation, and the same primary (or unique) key.
 * Definitions and DDL are kept in step by hand; this is what notices when they are not.
 *
 * One check for both servers, reading each as it prints (MySQL 8.4 is production, MariaDB 10.11
 * runs the tests; test/fixtures/mysql-8.4/ records MySQL 8.4's rows):
 * - integer types: MariaDB prints a display width (`int(11)`), MySQL 8.4 does not (`int`);
 * - JSON: MySQL's own `json` type (no character set); MariaDB's alias for LONGTEXT utf8mb4_bin;
 * - database-filled defaults: MySQL marks expression defaults `DEFAULT_GENERATED` in EXTRA
 *   (https://dev.mysql.com/doc/refman/8.4/en/information-schema-columns-table.html), MariaDB prints
 *   the expression unquoted (`current_timestamp(3)`) and quotes literals;
 * - collations: as the DDL states them, whatever the server's default (8.4: utf8mb4_0900_ai_ci).
 */
import type { Connection } from 'mysql2/promise';
import type { Column, Table } from '../shared/tables/table.ts';

interface DbColumn {
  COLUMN_NAME: string;
  COLUMN_TYPE: string;
  IS_NULLABLE: 'YES' | 'NO';
  COLUMN_DEFAULT: string | null;
  EXTRA: string;
  CHARACTER_SET_NAME: string | null;
  COLLATION_NAME: string | null;
}

/** A column type as both MySQL 8 and MariaDB would print it for the definition's SQL type. */
function normalise(type: string): string {
  return type
    .toLowerCase()
    .replace(/^(tinyint|smallint|mediumint|int|bigint)\(\d+\)/, '$1') // MariaDB's display width
    .replace(/ (unsigned|zerofill)$/, ' $1');
}

/**
 * What a text column must be stored as. Ids compare byte for byte, as the code compares them
 * (docs/architecture.md, contract 6): with a case-insensitive collation `evt-A` and `evt-a` are one
 * row to MySQL and two to the sink, and a replay counts one of them again.
 * - `event_id`, `kafka_topic` and the order keys (`*_key`): ascii, ascii_bin;
 * - entity ids (`*_id`): utf8mb4, utf8mb4_bin;
 * - any other text: utf8mb4 (any character a producer sends), in whichever collation.
 */
export interface TextStorage {
  characterSet: string;
  /** The collation required, or undefined when any collation of the character set will do. */
  collation?: string;
}

/**
 * Text columns named like ids that are not compared: the dead letter's `event_id` is whatever a
 * bad record claimed (up to 255 characters of any text), kept for people and queries only.
 */
const FREE_TEXT = new Set(['event_dead_letter.event_id']);

export function expectedTextStorage(table: string, column: string): TextStorage {
  if (FREE_TEXT.has(`${table}.${column}`)) return { characterSet: 'utf8mb4' };
  if (column === 'event_id' || column === 'kafka_topic' || column.endsWith('_key')) {
    return { characterSet: 'ascii', collation: 'ascii_bin' };
  }
  if (column.endsWith('_id')) return { characterSet: 'utf8mb4', collation: 'utf8mb4_bin' };
  return { characterSet: 'utf8mb4' };
}

function textProblem(table: string, name: string, db: DbColumn): string | undefined {
  const expected = expectedTextStorage(table, name);
  const characterSet = db.CHARACTER_SET_NAME ?? 'binary';
  const actual = db.COLLATION_NAME ? `${characterSet} ${db.COLLATION_NAME}` : characterSet;
  if (expected.collation) {
    if (characterSet === expected.characterSet && db.COLLATION_NAME === expected.collation) return undefined;
    return `${table}.${name}: compares byte for byte (${expected.characterSet} ${expected.collation}), the database has ${actual}`;
  }
  if (characterSet === expected.characterSet) return undefined;
  return `${table}.${name}: holds ${expected.characterSet} text, the database has ${actual}`;
}

/**
 * Whether the database fills the column itself: auto-increment, or an expression default
 * (CURRENT_TIMESTAMP): DEFAULT_GENERATED on MySQL, an unquoted non-numeric default on MariaDB.
 */
function filledByDatabase(db: DbColumn, mariadb: boolean): boolean {
  if (/auto_increment/i.test(db.EXTRA)) return true;
  if (!mariadb) return /\bDEFAULT_GENERATED\b/i.test(db.EXTRA);
  const value = db.COLUMN_DEFAULT;
  return value !== null && value !== 'NULL' && !value.startsWith("'") && !/^-?[\d.]+$/.test(value);
}

function columnProblems(
  table: string,
  name: string,
  column: Column,
  db: DbColumn,
  mariadb: boolean,
): string[] {
  const problems: string[] = [];
  const expected = normalise(column.sqlType);
  const actual = normalise(db.COLUMN_TYPE);
  // MariaDB stores JSON as LONGTEXT with a json_valid check; MySQL has a JSON type.
  if (actual !== expected && !(mariadb && expected === 'json' && actual === 'longtext')) {
    problems.push(`${table}.${name}: defined as ${expected}, the database has ${actual}`);
  }
  if (column.nullable !== (db.IS_NULLABLE === 'YES')) {
    problems.push(
      `${table}.${name}: defined ${column.nullable ? 'NULL' : 'NOT NULL'}, the database has ${db.IS_NULLABLE === 'YES' ? 'NULL' : 'NOT NULL'}`,
    );
  }
  const hasDefault =
    db.IS_NULLABLE === 'YES' || db.COLUMN_DEFAULT !== null || /auto_increment/i.test(db.EXTRA);
  if (column.optional && !hasDefault) {
    problems.push(`${table}.${name}: defined as optional, but the database has no default for it`);
  } else if (!column.written && !column.nullable && !filledByDatabase(db, mariadb)) {
    problems.push(
      `${table}.${name}: filled by the database, but the database neither generates a default for it nor auto-increments it`,
    );
  }
  if (column.kind === 'string') {
    const text = textProblem(table, name, db);
    if (text) problems.push(text);
  }
  return problems;
}

/** Every difference between the definitions and the schema; empty when they agree. */
export async function schemaDrift(conn: Connection, tables: readonly Table[]): Promise<string[]> {
  const problems: string[] = [];
  const [[{ version }]] = (await conn.query('SELECT VERSION() AS version')) as unknown as [
    [{ version: string }],
  ];
  const mariadb = /mariadb/i.test(version);
  for (const table of tables) {
    // Aliased: MySQL 8's information_schema views otherwise name the columns as the query spells them.
    const [rows] = (await conn.query(
      `SELECT COLUMN_NAME AS COLUMN_NAME, COLUMN_TYPE AS COLUMN_TYPE, IS_NULLABLE AS IS_NULLABLE,
              COLUMN_DEFAULT AS COLUMN_DEFAULT, EXTRA AS EXTRA,
              CHARACTER_SET_NAME AS CHARACTER_SET_NAME, COLLATION_NAME AS COLLATION_NAME
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
      problems.push(...columnProblems(table.name, name, column, db, mariadb));
    }
    const [keyRows] = (await conn.query(
      `SELECT INDEX_NAME AS INDEX_NAME, COLUMN_NAME AS COLUMN_NAME FROM information_schema.STATISTICS
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
