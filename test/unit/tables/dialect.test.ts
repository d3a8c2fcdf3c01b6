/**
 * The SQL dialect: the upsert of every registered table as MySQL 8.4 and MariaDB 10.11 get it
 * (upserts.sql beside this file, one readable statement per table and dialect), checked against
 * node-sql-parser's MySQL grammar; identifier quoting; the dialect chosen from a server version;
 * reserved words refused when a table is defined.
 */
import { existsSync, readFileSync } from 'node:fs';
import NodeSqlParser from 'node-sql-parser';
import { describe, expect, it } from 'vitest';
import { TABLES } from '../../../shared/domains/registry.ts';
import {
  dialectForVersion,
  MARIADB_10_11,
  MYSQL_8_4,
  type SqlDialect,
} from '../../../shared/tables/dialect.ts';
import { MYSQL_RESERVED_WORDS } from '../../../shared/tables/reserved-words.ts';
import { bigint, defineTable, type Table, varchar } from '../../../shared/tables/table.ts';

const parser = new NodeSqlParser.Parser();
const parse = (sql: string) => parser.astify(sql, { database: 'MySQL' });

/** One row of parameters for every written column. */
const tuple = (table: Table) => `(${table.written.map(() => '?').join(', ')})`;

/** Splits at commas outside parentheses. */
function topLevel(list: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < list.length; i++) {
    if (list[i] === '(') depth++;
    else if (list[i] === ')') depth--;
    else if (list[i] === ',' && depth === 0) {
      parts.push(list.slice(start, i).trim());
      start = i + 1;
    }
  }
  parts.push(list.slice(start).trim());
  return parts;
}

/** A statement laid out for people: one column, one assignment a line. */
function readable(sql: string): string {
  const [insert = '', update = ''] = sql.split(' ON DUPLICATE KEY UPDATE ');
  const [into = '', values = ''] = insert.split(' VALUES ');
  const columns = /\((.*)\)$/.exec(into)?.[1] ?? '';
  return [
    `${into.slice(0, into.indexOf(' ('))} (`,
    ...topLevel(columns).map((c, i, all) => `  ${c}${i < all.length - 1 ? ',' : ''}`),
    `) VALUES ${values}`,
    'ON DUPLICATE KEY UPDATE',
    ...topLevel(update).map((a, i, all) => `  ${a}${i < all.length - 1 ? ',' : ';'}`),
  ].join('\n');
}

/** The tables upserts.sql holds, from its `-- <table>, <dialect> <version>` lines (if it exists). */
function recordedTables(): Set<string> | undefined {
  const file = new URL('./upserts.sql', import.meta.url);
  if (!existsSync(file)) return undefined;
  return new Set(
    readFileSync(file, 'utf8')
      .match(/^-- \w+(?=, )/gm)
      ?.map((line) => line.slice(3)),
  );
}

describe('the upsert of every registered table', () => {
  it('reads as recorded in upserts.sql, for MySQL 8.4 and MariaDB 10.11', async () => {
    // The tables recorded there: every one must still be registered, and reads as recorded. A table
    // registered since (as the extension guide adds one) is checked by the tests below until
    // `vitest -u` records every registered table again.
    const recorded = recordedTables();
    const updating = expect.getState().snapshotState.snapshotUpdateState === 'all';
    const tables = updating || recorded === undefined ? TABLES : TABLES.filter((t) => recorded.has(t.name));
    if (recorded && !updating) expect(tables.map((t) => t.name).sort()).toEqual([...recorded].sort());
    const text = [MYSQL_8_4, MARIADB_10_11]
      .flatMap((dialect) =>
        tables.map(
          (table) =>
            `-- ${table.name}, ${dialect.name} ${dialect.version}\n${readable(dialect.upsert(table, tuple(table)))}\n`,
        ),
      )
      .join('\n');
    await expect(text).toMatchFileSnapshot('./upserts.sql');
  });

  it.each(TABLES.map((t) => [t.name, t] as const))(
    '%s: MySQL refers to the new row by the row alias, never by the deprecated VALUES()',
    (_name, table) => {
      const sql = MYSQL_8_4.upsert(table, tuple(table));
      expect(sql).not.toMatch(/VALUES\s*\(`/);
      expect(sql).toContain(`${tuple(table)} AS \`new\` ON DUPLICATE KEY UPDATE `);
      // The same statement MariaDB gets, the new row named differently.
      const mariadb = MARIADB_10_11.upsert(table, tuple(table));
      expect(sql.replace(' AS `new`', '').replaceAll(/`new`\.(`\w+`)/g, 'VALUES($1)')).toBe(mariadb);
    },
  );

  it.each(TABLES.map((t) => [t.name, t] as const))(
    "%s: node-sql-parser's MySQL grammar parses both statements",
    (_name, table) => {
      const mariadb = MARIADB_10_11.upsert(table, tuple(table));
      expect(parse(mariadb)).toMatchObject({ type: 'insert', on_duplicate_update: expect.anything() });
      // node-sql-parser 5.4 has no row alias (INSERT … VALUES … AS alias, MySQL 8.0.19): it stops
      // exactly there, and parses the rest, `new`.`c` references included.
      const mysql = MYSQL_8_4.upsert(table, tuple(table));
      const alias = mysql.indexOf(' AS `new` ON DUPLICATE KEY UPDATE ');
      const error = (() => {
        try {
          parse(mysql);
        } catch (e) {
          return e as { location?: { start: { offset: number } } };
        }
        return undefined;
      })();
      if (error) expect(error.location?.start.offset).toBe(alias + 1);
      const withoutAlias = mysql.slice(0, alias) + mysql.slice(alias + ' AS `new`'.length);
      expect(parse(withoutAlias)).toMatchObject({ type: 'insert', on_duplicate_update: expect.anything() });
    },
  );

  it('keeps the assignment order of the merges: order keys after the columns they order', () => {
    const profile = TABLES.find((t) => t.name === 'user_profile_wide')!;
    const assigned = topLevel(
      MYSQL_8_4.upsert(profile, tuple(profile)).split(' ON DUPLICATE KEY UPDATE ')[1]!,
    ).map((a) => a.split(' = ')[0]);
    expect(assigned.at(-1)).toBe('`last_event_key`');
    expect(assigned.indexOf('`last_login_key`')).toBeGreaterThan(assigned.indexOf('`last_device`'));
  });
});

describe('identifiers', () => {
  it('are always backquoted, a backquote doubled', () => {
    for (const dialect of [MYSQL_8_4, MARIADB_10_11]) {
      expect(dialect.quote('user_id')).toBe('`user_id`');
      expect(dialect.quote('a`b')).toBe('`a``b`');
    }
    const table = defineTable({ name: 'probe_wide', columns: { id: bigint(), n: bigint() }, key: ['id'] });
    expect(MARIADB_10_11.upsert(table, '(?, DEFAULT)')).toBe(
      'INSERT INTO `probe_wide` (`id`, `n`) VALUES (?, DEFAULT) ON DUPLICATE KEY UPDATE `id` = `probe_wide`.`id`',
    );
  });
});

describe('the dialect of a server', () => {
  const of = (version: string): Pick<SqlDialect, 'name' | 'rowAlias' | 'isolationVariable'> => {
    const { name, rowAlias, isolationVariable } = dialectForVersion(version);
    return { name, rowAlias, isolationVariable };
  };

  it('is MySQL with the row alias from 8.0.19, MariaDB without', () => {
    expect(of('8.4.8')).toEqual({
      name: 'mysql',
      rowAlias: true,
      isolationVariable: 'transaction_isolation',
    });
    expect(of('8.0.19')).toMatchObject({ name: 'mysql', rowAlias: true });
    expect(of('8.0.18')).toMatchObject({ name: 'mysql', rowAlias: false });
    expect(of('9.1.0')).toMatchObject({ name: 'mysql', rowAlias: true });
    expect(of('10.11.6-MariaDB-0+deb12u1')).toEqual({
      name: 'mariadb',
      rowAlias: false,
      isolationVariable: 'tx_isolation',
    });
    // MariaDB's handshake to old clients; MariaDB 11.1.1 renamed tx_isolation.
    expect(of('5.5.5-10.11.6-MariaDB')).toMatchObject({ name: 'mariadb', isolationVariable: 'tx_isolation' });
    expect(of('11.4.2-MariaDB')).toMatchObject({
      name: 'mariadb',
      isolationVariable: 'transaction_isolation',
    });
  });

  it('is refused when the version says nothing', () => {
    expect(() => dialectForVersion('')).toThrow(/cannot tell the SQL dialect/);
    expect(() => dialectForVersion('proxy')).toThrow(/cannot tell the SQL dialect/);
  });
});

describe('reserved words', () => {
  it("are MySQL 8.4's: 8.0's, with MANUAL, PARALLEL, QUALIFY, TABLESAMPLE, without MASTER_BIND", () => {
    for (const word of ['order', 'rank', 'groups', 'lateral', 'qualify', 'tablesample', 'manual', 'parallel'])
      expect(MYSQL_RESERVED_WORDS.has(word)).toBe(true);
    for (const word of ['master_bind', 'status', 'source', 'region', 'new', 'amount'])
      expect(MYSQL_RESERVED_WORDS.has(word)).toBe(false);
  });

  it('are refused as table and column names when a table is defined', () => {
    expect(() =>
      defineTable({ name: 'order_wide2', columns: { id: bigint(), order: varchar(8) }, key: ['id'] }),
    ).toThrow('table order_wide2: column name order is a reserved word in MySQL 8.4 or MariaDB');
    expect(() => defineTable({ name: 'Rank', columns: { id: bigint() }, key: ['id'] })).toThrow(
      /table name Rank is a reserved word/,
    );
    // MariaDB 10.11's too: the tests run there.
    expect(() => defineTable({ name: 'offset', columns: { id: bigint() }, key: ['id'] })).toThrow(
      /reserved word/,
    );
  });

  it('leave plain names only: no quoting tricks, nothing over 64 characters, no row alias as a table', () => {
    for (const name of ['user-wide', 'a`b', 'x y', '1st', 'a'.repeat(65), ''])
      expect(() => defineTable({ name, columns: { id: bigint() }, key: ['id'] })).toThrow(/must be 1-64/);
    expect(() => defineTable({ name: 'new', columns: { id: bigint() }, key: ['id'] })).toThrow(/row alias/);
    expect(() => defineTable({ name: 'ok_wide', columns: { id: bigint() }, key: [] })).toThrow(/no key/);
  });

  it('name none of the registered tables or columns', () => {
    for (const table of TABLES) {
      for (const name of [table.name, ...Object.keys(table.columns)])
        expect(MYSQL_RESERVED_WORDS.has(name.toLowerCase()), name).toBe(false);
    }
  });
});
