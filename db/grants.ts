/**
 * A database user's privileges as the server shows them and as they should be: `SHOW GRANTS`
 * read line by line (parseShowGrants), and the GRANT and REVOKE statements that bring a user to
 * exactly what it should hold (planPrivileges). db/users.ts sends them; why only what is listed
 * beyond the wanted privileges is revoked, never ALL, is said there.
 */

export class UsersError extends Error {
  override readonly name = 'UsersError';
}

/** Which server this is: MariaDB says so in its version string (`10.11.19-MariaDB-…`), MySQL does not. */
export type ServerKind = 'mysql' | 'mariadb';
export function serverKind(version: string): ServerKind {
  return /mariadb/i.test(version) ? 'mariadb' : 'mysql';
}

/**
 * What a `SHOW GRANTS` line grants, at one level. `database` is the name as the server keeps it: in
 * a database-level grant `_` and `%` are wildcards, so it may hold `\_` escapes, and it is what a
 * REVOKE must name to match.
 */
export type GrantLevel =
  | { kind: 'global' }
  | { kind: 'database'; database: string }
  | { kind: 'table'; database: string; table: string }
  | { kind: 'routine'; type: string; database: string; name: string };

/** One privilege of a line, with its columns for a column-level grant (`SELECT (`a`, `b`)`). */
export interface ShownPrivilege {
  name: string;
  columns?: string[];
}

/** One line of `SHOW GRANTS FOR user@host` output, parsed. */
export type ShownGrant =
  | {
      kind: 'privileges';
      privileges: ShownPrivilege[];
      level: GrantLevel;
      grantOption: boolean;
      line: string;
    }
  /** `GRANT `r1`@`%`,`r2`@`%` TO …` (MySQL) or `GRANT `r1` TO …` (MariaDB): roles as printed. */
  | { kind: 'roles'; roles: string[]; line: string }
  /** `GRANT PROXY ON ``@`` TO …`: the proxied account as printed. */
  | { kind: 'proxy'; proxied: string; grantOption: boolean; line: string }
  /**
   * Lines that grant nothing: MySQL's partial revokes (`REVOKE INSERT ON `db`.* FROM …`, a
   * restriction of a global privilege, gone with it) and MariaDB's `SET DEFAULT ROLE … FOR …`.
   */
  | { kind: 'restriction'; line: string };

/**
 * Splits `text` at every top-level occurrence of `separator` (a string), outside backquoted names,
 * quoted strings and parentheses.
 */
function splitTopLevel(text: string, separator: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quote = '';
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote) {
      if (c === '\\' && quote === "'") i++;
      else if (c === quote) {
        if (text[i + 1] === quote) i++;
        else quote = '';
      }
      continue;
    }
    if (c === '`' || c === "'" || c === '"') quote = c;
    else if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (depth === 0 && text.startsWith(separator, i)) {
      parts.push(text.slice(start, i));
      start = i + separator.length;
      i = start - 1;
    }
  }
  parts.push(text.slice(start));
  return parts;
}

/** A name as MySQL prints it: backquoted with inner backquotes doubled, or bare. */
function unquote(name: string): string {
  const n = name.trim();
  return n.startsWith('`') && n.endsWith('`') && n.length >= 2 ? n.slice(1, -1).replaceAll('``', '`') : n;
}

const ROUTINE_TYPES = ['PROCEDURE', 'FUNCTION', 'PACKAGE BODY', 'PACKAGE'];

function parseLevel(text: string, line: string): GrantLevel {
  let target = text.trim();
  let type = '';
  for (const t of [...ROUTINE_TYPES, 'TABLE']) {
    if (target.toUpperCase().startsWith(`${t} `)) {
      type = t;
      target = target.slice(t.length + 1).trim();
      break;
    }
  }
  const parts = splitTopLevel(target, '.');
  if (parts.length !== 2) throw new UsersError(`cannot read the grant level of: ${line}`);
  const [db, object] = parts.map((p) => p.trim()) as [string, string];
  if (db === '*' && object === '*') return { kind: 'global' };
  if (object === '*') return { kind: 'database', database: unquote(db) };
  if (type && type !== 'TABLE')
    return { kind: 'routine', type, database: unquote(db), name: unquote(object) };
  return { kind: 'table', database: unquote(db), table: unquote(object) };
}

function parsePrivilege(text: string): ShownPrivilege {
  const open = text.indexOf('(');
  if (open < 0) return { name: text.trim().toUpperCase().replace(/\s+/g, ' ') };
  const columns = splitTopLevel(text.slice(open + 1, text.lastIndexOf(')')), ',').map(unquote);
  return { name: text.slice(0, open).trim().toUpperCase().replace(/\s+/g, ' '), columns };
}

/**
 * Reads one line of `SHOW GRANTS` output, as MySQL 8.4 and MariaDB 10.11 print it
 * (https://dev.mysql.com/doc/refman/8.4/en/show-grants.html): static privileges (`SELECT, INSERT`),
 * dynamic ones on a line of their own (`APPLICATION_PASSWORD_ADMIN,XA_RECOVER_ADMIN ON *.*`, no
 * space after the commas), `USAGE`, `ALL PRIVILEGES`, column lists, global, database (name as
 * stored, `\_` kept), table and routine levels, `WITH GRANT OPTION`, role grants, proxy grants,
 * and MariaDB's `IDENTIFIED BY PASSWORD '…'` after the grantee.
 */
export function parseShowGrant(line: string): ShownGrant {
  const text = line.trim();
  if (/^REVOKE\s/i.test(text) || /^SET\s+DEFAULT\s+ROLE\s/i.test(text)) return { kind: 'restriction', line };
  if (!/^GRANT\s/i.test(text)) throw new UsersError(`not a SHOW GRANTS line: ${line}`);
  const body = text.slice('GRANT '.length);
  const [head, ...rest] = splitTopLevel(body, ' TO ');
  if (head === undefined || rest.length === 0) throw new UsersError(`no grantee in: ${line}`);
  // Without its quoted strings (MariaDB's password hash), which cannot hold the options' keywords.
  const tail = rest.join(' TO ').replace(/'(?:[^'\\]|\\.|'')*'/g, "''");
  const grantOption = /\bWITH\b.*\bGRANT OPTION\b/i.test(tail);
  const on = splitTopLevel(head, ' ON ');
  if (on.length === 1) {
    return { kind: 'roles', roles: splitTopLevel(head, ',').map((r) => r.trim()), line };
  }
  const [privilegeText, levelText] = [on[0]!, on.slice(1).join(' ON ')];
  const privileges = splitTopLevel(privilegeText, ',').map(parsePrivilege);
  if (privileges.length === 1 && privileges[0]!.name === 'PROXY') {
    return { kind: 'proxy', proxied: levelText.trim(), grantOption, line };
  }
  return { kind: 'privileges', privileges, level: parseLevel(levelText, line), grantOption, line };
}

/** Every line of `SHOW GRANTS` rows (one column, named `Grants for u@h`). */
export function parseShowGrants(rows: readonly Record<string, unknown>[]): ShownGrant[] {
  return rows.map((row) => parseShowGrant(String(Object.values(row)[0])));
}

/**
 * What `ALL PRIVILEGES` stands for at the database and table levels ("Permissible Privileges for
 * GRANT and REVOKE", https://dev.mysql.com/doc/refman/8.4/en/grant.html; MariaDB adds
 * DELETE HISTORY, https://mariadb.com/kb/en/grant/#table-privileges), so that a user holding ALL
 * where it should hold a few loses only the others.
 */
const ALL_AT: Record<'database' | 'table', readonly string[]> = {
  database: [
    'SELECT',
    'INSERT',
    'UPDATE',
    'DELETE',
    'CREATE',
    'DROP',
    'REFERENCES',
    'INDEX',
    'ALTER',
    'CREATE TEMPORARY TABLES',
    'LOCK TABLES',
    'EXECUTE',
    'CREATE VIEW',
    'SHOW VIEW',
    'CREATE ROUTINE',
    'ALTER ROUTINE',
    'EVENT',
    'TRIGGER',
  ],
  table: [
    'SELECT',
    'INSERT',
    'UPDATE',
    'DELETE',
    'CREATE',
    'DROP',
    'REFERENCES',
    'INDEX',
    'ALTER',
    'CREATE VIEW',
    'SHOW VIEW',
    'TRIGGER',
  ],
};

/** What one user should hold: privileges on `database.*`, and per table of `database`. */
export interface WantedPrivileges {
  database: string;
  databaseWide: ReadonlySet<string>;
  perTable: ReadonlyMap<string, readonly string[]>;
}

/** One statement to send, and how the report names it. */
export interface PlannedStatement {
  sql: string;
  report: string;
}

const quoteName = (name: string) => `\`${name.replaceAll('`', '``')}\``;

function levelSql(level: GrantLevel): string {
  switch (level.kind) {
    case 'global':
      return '*.*';
    case 'database':
      return `${quoteName(level.database)}.*`;
    case 'table':
      return `${quoteName(level.database)}.${quoteName(level.table)}`;
    case 'routine':
      return `${level.type} ${quoteName(level.database)}.${quoteName(level.name)}`;
  }
}

function levelReport(level: GrantLevel): string {
  switch (level.kind) {
    case 'global':
      return '*.*';
    case 'database':
      return `${level.database}.*`;
    case 'table':
      return `${level.database}.${level.table}`;
    case 'routine':
      return `${level.type} ${level.database}.${level.name}`;
  }
}

const privilegeSql = (p: ShownPrivilege) =>
  p.columns ? `${p.name} (${p.columns.map(quoteName).join(', ')})` : p.name;

/**
 * The statements that bring `user` (at host `%`) from what `SHOW GRANTS` lists (`shown`) to
 * exactly `wanted`: GRANTs of what is missing, then one REVOKE per line for whatever that line
 * holds beyond the wanted privileges — those privileges only, as listed, so the administrator
 * needs to hold nothing but what is actually revoked. Grants come first, so a running function
 * never loses a privilege it keeps.
 *
 * The database-wide privileges are wanted on the escaped name (`lambda\_realtime`.*): in a
 * database-level grant `_` and `%` are wildcards (lambda_realtime.* would also cover
 * lambdaXrealtime, a database the migrator could then create), and "to use a _ character as part
 * of a database name, specify it using the \ escape character as \_"
 * (https://dev.mysql.com/doc/refman/8.4/en/grant.html). A grant on the unescaped pattern is a
 * different grant, and is revoked.
 */
export function planPrivileges(
  user: string,
  shown: readonly ShownGrant[],
  wanted: WantedPrivileges,
  server: ServerKind,
): { grants: PlannedStatement[]; revokes: PlannedStatement[] } {
  const plan = planning(user, shown, wanted, server);
  return { grants: plannedGrants(plan), revokes: shown.flatMap((g) => plannedRevokes(plan, g)) };
}

interface Planning {
  user: string;
  grantee: string;
  shown: readonly ShownGrant[];
  wanted: WantedPrivileges;
  /** The database-wide privileges' level: the database name with `_` and `%` escaped. */
  wideKey: string;
  /** What is wanted at a level, and that level's ALL PRIVILEGES. */
  wantedAt(level: GrantLevel): { want: ReadonlySet<string>; all: readonly string[] };
}

function planning(
  user: string,
  shown: readonly ShownGrant[],
  wanted: WantedPrivileges,
  server: ServerKind,
): Planning {
  const wideKey = wanted.database.replace(/[_%]/g, '\\$&');
  const allAt = (kind: 'database' | 'table') =>
    server === 'mariadb' ? [...ALL_AT[kind], 'DELETE HISTORY'] : ALL_AT[kind];
  return {
    user,
    grantee: `'${user}'@'%'`,
    shown,
    wanted,
    wideKey,
    wantedAt: (level) => {
      if (level.kind === 'database' && level.database === wideKey) {
        return { want: wanted.databaseWide, all: allAt('database') };
      }
      if (level.kind === 'table' && level.database === wanted.database) {
        return { want: new Set(wanted.perTable.get(level.table) ?? []), all: allAt('table') };
      }
      return { want: new Set(), all: [] };
    },
  };
}

/** What `shown` holds at `level`, ALL PRIVILEGES spelt out; column grants aside. */
function heldAt(plan: Planning, level: GrantLevel): Set<string> {
  const found = new Set<string>();
  for (const g of plan.shown) {
    if (g.kind !== 'privileges' || levelSql(g.level) !== levelSql(level)) continue;
    const { all } = plan.wantedAt(level);
    for (const p of g.privileges) {
      if (p.columns) continue;
      if (p.name === 'ALL PRIVILEGES' || p.name === 'ALL') for (const a of all) found.add(a);
      else found.add(p.name);
    }
  }
  return found;
}

/** GRANTs of the wanted privileges not held yet: database-wide, then per table. */
function plannedGrants(plan: Planning): PlannedStatement[] {
  const { user, grantee, wanted } = plan;
  const grants: PlannedStatement[] = [];
  const grant = (level: GrantLevel, privileges: readonly string[], report: string) => {
    const has = heldAt(plan, level);
    const missing = privileges.filter((p) => !has.has(p));
    if (missing.length === 0) return;
    grants.push({
      sql: `GRANT ${missing.join(', ')} ON ${levelSql(level)} TO ${grantee}`,
      report: `${user}: ${missing.join(', ')} ON ${report}`,
    });
  };
  grant({ kind: 'database', database: plan.wideKey }, [...wanted.databaseWide], `${wanted.database}.*`);
  for (const [table, privileges] of wanted.perTable) {
    grant({ kind: 'table', database: wanted.database, table }, privileges, `${wanted.database}.${table}`);
  }
  return grants;
}

/** The REVOKEs of what one `SHOW GRANTS` line holds beyond the wanted privileges. */
function plannedRevokes(plan: Planning, g: ShownGrant): PlannedStatement[] {
  const { user, grantee } = plan;
  if (g.kind === 'restriction') return [];
  if (g.kind === 'roles') {
    return [
      {
        sql: `REVOKE ${g.roles.join(', ')} FROM ${grantee}`,
        report: `${user}: ${g.roles.length === 1 ? 'role' : 'roles'} ${g.roles.join(', ')}`,
      },
    ];
  }
  if (g.kind === 'proxy') {
    return [
      { sql: `REVOKE PROXY ON ${g.proxied} FROM ${grantee}`, report: `${user}: PROXY ON ${g.proxied}` },
    ];
  }
  const { want, all } = plan.wantedAt(g.level);
  const extra: string[] = [];
  let revokeAll = false;
  for (const p of g.privileges) {
    if (p.name === 'USAGE') continue;
    if (p.columns) extra.push(privilegeSql(p));
    else if (p.name === 'ALL PRIVILEGES' || p.name === 'ALL') {
      if (want.size === 0) revokeAll = true;
      else extra.push(...all.filter((a) => !want.has(a)));
    } else if (!want.has(p.name)) extra.push(p.name);
  }
  if (g.grantOption) extra.push('GRANT OPTION');
  const on = levelSql(g.level);
  const report = levelReport(g.level);
  const revokes: PlannedStatement[] = [];
  // ALL [PRIVILEGES] cannot share a REVOKE's privilege list: a statement of its own.
  if (revokeAll) {
    revokes.push({
      sql: `REVOKE ALL PRIVILEGES ON ${on} FROM ${grantee}`,
      report: `${user}: ALL PRIVILEGES ON ${report}`,
    });
  }
  if (extra.length > 0) {
    revokes.push({
      sql: `REVOKE ${extra.join(', ')} ON ${on} FROM ${grantee}`,
      report: `${user}: ${extra.join(', ')} ON ${report}`,
    });
  }
  return revokes;
}
