/**
 * Recorded MySQL 8.4 output (test/fixtures/mysql-8.4/) and a stand-in server that answers from it,
 * for the unit tests of db/users.ts and db/schema-drift.ts. No MySQL 8.4 server runs here; the
 * fixtures say where each of their forms comes from.
 */
import { readFileSync } from 'node:fs';
import type { Connection } from 'mysql2/promise';

const FIXTURES = new URL('../../fixtures/mysql-8.4/', import.meta.url);

const lines = (file: string) =>
  readFileSync(new URL(file, FIXTURES), 'utf8')
    .split('\n')
    .filter((line) => !line.startsWith('#'));

/** The rows of a recorded result in the mysql client's table format: header name and values. */
export function tableFixture(file: string): { header: string; rows: string[] } {
  const cells = lines(file)
    .filter((line) => line.startsWith('| '))
    .map((line) => line.slice(2, line.lastIndexOf(' |')).trimEnd());
  const [header = '', ...rows] = cells;
  return { header, rows };
}

/** `SHOW GRANTS` rows as mysql2 returns them: one column, named `Grants for u@h`. */
export function showGrantsFixture(file: string): Array<Record<string, string>> {
  const { header, rows } = tableFixture(file);
  return rows.map((line) => ({ [header]: line }));
}

/**
 * Rows of a recorded result in the mysql client's batch format (`mysql --batch --raw`: a header
 * line, then tab-separated values, `NULL` for SQL NULL), as mysql2 returns them.
 */
export function batchFixture(file: string): Array<Record<string, string | null>> {
  const [header, ...rows] = lines(file).filter((line) => line !== '');
  const names = header!.split('\t');
  return rows.map((row) => {
    const values = row.split('\t');
    return Object.fromEntries(names.map((n, i) => [n, values[i] === 'NULL' ? null : (values[i] ?? '')]));
  });
}

/** A server error as mysql2 raises it. */
function serverError(errno: number, code: string, message: string): Error {
  return Object.assign(new Error(message), { errno, code });
}

/**
 * An administrator's connection to a MySQL 8.4 server, answering what db/users.ts asks from
 * recorded SHOW GRANTS output, and checking each GRANT and REVOKE as MySQL does: "you must have
 * the GRANT OPTION privilege, and you must have the privileges that you are granting or revoking"
 * (https://dev.mysql.com/doc/refman/8.4/en/revoke.html). Refused statements fail with 1045, as
 * MySQL answers `REVOKE ALL PRIVILEGES` from a grantor that lacks some.
 */
export class RecordedAdmin {
  readonly sent: string[] = [];
  readonly held = new Set<string>();
  readonly options: {
    version: string;
    administrator: string;
    /** The administrator's own SHOW GRANTS rows. */
    grants: Array<Record<string, string>>;
    /** SHOW GRANTS rows per existing user. */
    users: Map<string, Array<Record<string, string>>>;
    tables: readonly string[];
  };

  constructor(options: RecordedAdmin['options']) {
    this.options = options;
    for (const row of options.grants) {
      const line = Object.values(row)[0]!;
      const global = /^GRANT (.+) ON \*\.\* TO .* WITH GRANT OPTION$/.exec(line);
      if (global) for (const p of global[1]!.split(/,\s*/)) this.held.add(p);
    }
  }

  get connection(): Connection {
    return this as unknown as Connection;
  }

  async query(sql: string, params: unknown[] = []): Promise<[unknown, unknown]> {
    const text = sql.replace(/\s+/g, ' ').trim();
    const { options } = this;
    if (text === 'SELECT CURRENT_USER() AS me') return [[{ me: `${options.administrator}@%` }], []];
    if (text === 'SELECT VERSION() AS version') return [[{ version: options.version }], []];
    if (text.startsWith('SELECT 1 AS found FROM mysql.user')) {
      return [options.users.has(String(params[0])) ? [{ found: 1 }] : [], []];
    }
    if (text.startsWith('SHOW GRANTS FOR')) {
      const rows = options.users.get(String(params[0]));
      if (!rows)
        throw serverError(
          1141,
          'ER_NONEXISTING_GRANT',
          `There is no such grant defined for user '${params[0]}' on host '%'`,
        );
      return [rows, []];
    }
    if (text.startsWith('SELECT TABLE_NAME AS name FROM information_schema.TABLES')) {
      return [options.tables.map((name) => ({ name })), []];
    }
    this.sent.push(text);
    if (text.startsWith('CREATE USER')) {
      const user = String(params[0]);
      options.users.set(user, [{ [`Grants for ${user}@%`]: `GRANT USAGE ON *.* TO \`${user}\`@\`%\`` }]);
      return [{ affectedRows: 0 }, []];
    }
    const statement = /^(?:GRANT|REVOKE) (.+?) ON (\S+(?: \S+)?) (?:TO|FROM) /.exec(text);
    const role = /^REVOKE (`[^`]+`@`[^`]+`) FROM /.exec(text);
    if (role) {
      if (!this.held.has('ROLE_ADMIN')) throw this.denied();
      return [{ affectedRows: 0 }, []];
    }
    if (!statement) throw new Error(`the recorded server does not know: ${text}`);
    const privileges = statement[1]!
      .replace(/\([^)]*\)/g, '')
      .split(',')
      .map((p) => p.trim());
    for (const p of privileges) {
      // ALL PRIVILEGES at the global level is every privilege; below it, the master holds all.
      if (p === 'ALL PRIVILEGES' && statement[2] !== '*.*') continue;
      if (p !== 'GRANT OPTION' && !this.held.has(p)) throw this.denied();
    }
    return [{ affectedRows: 0 }, []];
  }

  private denied(): Error {
    return serverError(
      1045,
      'ER_ACCESS_DENIED_ERROR',
      `Access denied for user '${this.options.administrator}'@'%' (using password: YES)`,
    );
  }
}
