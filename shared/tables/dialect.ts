/**
 * The SQL dialect of the server the sink writes to (compare flink-connector-jdbc's MySqlDialect):
 * identifier quoting and upsert generation, chosen from the server's version when a pool first
 * connects (shared/sink/session-check.ts). Tables say how a row merges (shared/tables/table.ts);
 * the dialect writes the statement.
 *
 *  - Identifiers are always backquoted, a backquote inside doubled (MySQL 8.4 manual, 11.2 "Schema
 *    Object Names", https://dev.mysql.com/doc/refman/8.4/en/identifiers.html).
 *  - The new row is referred to in ON DUPLICATE KEY UPDATE by a row alias on MySQL 8.0.19 and
 *    later, `INSERT … VALUES (…) AS new ON DUPLICATE KEY UPDATE c = new.c`: "The use of VALUES() to
 *    refer to the new row and columns is deprecated beginning with MySQL 8.0.20" (warning 1287) "and
 *    is subject to removal in a future version of MySQL. Instead, use row and column aliases" (MySQL
 *    8.4 manual, 15.2.7.2 "INSERT ... ON DUPLICATE KEY UPDATE Statement",
 *    https://dev.mysql.com/doc/refman/8.4/en/insert-on-duplicate.html). MariaDB refuses the row
 *    alias and keeps `VALUES(c)` (https://mariadb.com/kb/en/values-value/), as does MySQL before
 *    8.0.19.
 *  - Either way the assignments are evaluated left to right, each seeing the columns already
 *    updated, while `new.c` / `VALUES(c)` is always the value the row would have inserted — the
 *    order table.ts puts the assignments in relies on both.
 */
import type { Assignment, Table } from './table.ts';

export type DialectName = 'mysql' | 'mariadb';

/** A server version's major.minor.patch, at the start of what the server reports. */
const VERSION = /^(\d+)\.(\d+)(?:\.(\d+))?/;

/** The row alias the MySQL dialect gives the new row (the manual's own name for it). */
export const ROW_ALIAS = 'new';

export class SqlDialect {
  readonly name: DialectName;
  /** The server's version as it reported it (`SELECT VERSION()`). */
  readonly version: string;
  /** `INSERT … AS new ON DUPLICATE KEY UPDATE c = new.c` (MySQL ≥ 8.0.19) instead of `VALUES(c)`. */
  readonly rowAlias: boolean;
  /**
   * The session variable holding the isolation level: `transaction_isolation` (MySQL ≥ 5.7.20,
   * the only one in 8.0 and later; MariaDB ≥ 11.1.1), else `tx_isolation` (MariaDB 10.11).
   */
  readonly isolationVariable: 'transaction_isolation' | 'tx_isolation';
  readonly #statements = new WeakMap<Table, { head: string; tail: string }>();

  constructor(name: DialectName, version: string) {
    const [major = 0, minor = 0, patch = 0] = (VERSION.exec(version) ?? [])
      .slice(1)
      .map((n) => Number(n ?? 0));
    const atLeast = (a: number, b: number, c: number) =>
      major !== a ? major > a : minor !== b ? minor > b : patch >= c;
    this.name = name;
    this.version = version;
    this.rowAlias = name === 'mysql' && atLeast(8, 0, 19);
    this.isolationVariable = (name === 'mysql' ? atLeast(5, 7, 20) : atLeast(11, 1, 1))
      ? 'transaction_isolation'
      : 'tx_isolation';
  }

  /** An identifier, backquoted. */
  quote(identifier: string): string {
    return `\`${identifier.replaceAll('`', '``')}\``;
  }

  /**
   * `INSERT INTO t (columns) VALUES <tuples> … ON DUPLICATE KEY UPDATE <the table's merges>`, the
   * columns `table.written`; `tuples` is the VALUES list, `(?, DEFAULT), (?, ?)`.
   */
  upsert(table: Table, tuples: string): string {
    let parts = this.#statements.get(table);
    if (!parts) {
      const q = (id: string) => this.quote(id);
      const current = (col: string) => `${q(table.name)}.${q(col)}`;
      const incoming = (col: string) => (this.rowAlias ? `${q(ROW_ALIAS)}.${q(col)}` : `VALUES(${q(col)})`);
      parts = {
        head: `INSERT INTO ${q(table.name)} (${table.written.map(q).join(', ')}) VALUES `,
        tail: `${this.rowAlias ? ` AS ${q(ROW_ALIAS)}` : ''} ON DUPLICATE KEY UPDATE ${table.assignments
          .map((a) => assignment(a, q, current, incoming))
          .join(', ')}`,
      };
      this.#statements.set(table, parts);
    }
    return parts.head + tuples + parts.tail;
  }

  /**
   * `INSERT INTO t (columns) VALUES <tuples>`: a plain insert, which fails on a key that exists
   * (ER_DUP_ENTRY, 1062) — how the sink learns that another writer committed an event meanwhile.
   */
  insert(table: Table, tuples: string): string {
    const q = (id: string) => this.quote(id);
    return `INSERT INTO ${q(table.name)} (${table.written.map(q).join(', ')}) VALUES ${tuples}`;
  }
}

/**
 * `column = <expression>`: the row's current values named by table (`t`.`c`), so that no reading of
 * an unqualified name beside the row alias can take the new row's value for the current one.
 */
function assignment(
  { column, merge, by }: Assignment,
  q: (id: string) => string,
  current: (col: string) => string,
  incoming: (col: string) => string,
): string {
  const c = current(column);
  const target = q(column);
  switch (merge) {
    case 'same':
      return `${target} = ${c}`;
    case 'add':
      return `${target} = ${c} + ${incoming(column)}`;
    case 'newest':
      return `${target} = IF(${incoming(by)} > ${current(by)}, ${incoming(column)}, ${c})`;
    case 'newestOrFirst':
      return `${target} = IF(${incoming(by)} > ${current(by)} OR ${c} IS NULL, ${incoming(column)}, ${c})`;
    case 'oldest':
      return `${target} = IF(${incoming(by)} <> '' AND (${current(by)} = '' OR ${incoming(by)} < ${current(by)}), ${incoming(column)}, ${c})`;
    case 'min':
    case 'max': {
      const n = incoming(column);
      return `${target} = IF(${n} IS NOT NULL AND (${c} IS NULL OR ${n} ${merge === 'min' ? '<' : '>'} ${c}), ${n}, ${c})`;
    }
  }
}

/**
 * The dialect of a server, from its version string: `10.11.6-MariaDB-0+deb12u1` (some handshakes
 * prefix `5.5.5-`) is MariaDB, `8.4.8` (RDS for MySQL) MySQL.
 */
export function dialectForVersion(version: string): SqlDialect {
  const text = String(version).replace(/^5\.5\.5-/, '');
  if (!VERSION.test(text)) {
    throw new Error(`cannot tell the SQL dialect of a server reporting version ${JSON.stringify(version)}`);
  }
  return new SqlDialect(/mariadb/i.test(text) ? 'mariadb' : 'mysql', text);
}

/** Production's dialect (RDS for MySQL 8.4). */
export const MYSQL_8_4 = dialectForVersion('8.4.8');
/** The local and test server's dialect. */
export const MARIADB_10_11 = dialectForVersion('10.11.6-MariaDB');
