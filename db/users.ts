/**
 * The two database users lambda-realtime runs as, and exactly what each may do. One module, used
 * by the deployment's schema-migration function (db/migrate-handler.ts), by the test support and
 * by `npm run local`, so the functions run as the same restricted user everywhere and a missing
 * privilege fails locally first.
 *
 * - The **app** user (the functions, RDS Proxy): per table, derived from the registry —
 *   SELECT on the dimension tables; SELECT, INSERT, UPDATE on every other table (wide, state,
 *   `event_dead_letter`). Nothing else: no DELETE, no DDL, no database-wide or global privilege.
 * - The **migrator** user (the migrations): schema changes and data fixes on the one database
 *   (MIGRATOR_PRIVILEGES), no user management, nothing outside the database, no GRANT OPTION.
 *
 * Everything here runs as an administrator (the RDS master user) and is idempotent: users are
 * created when missing (an existing user's password is never touched: Secrets Manager's rotation
 * owns it), privileges are granted when missing and revoked when they are not in the list, so
 * every run converges on the lists above — a new table gets its grants, a table gone from the
 * registry loses them. Privileges are granted per table, so app grants need the tables to exist:
 * apply them after the migrations (db/deploy-schema.ts does both in order).
 *
 * Both users may have a twin named `<user>_clone`: Secrets Manager's alternating-users rotation
 * creates it on the first rotation, copies the user's grants once, and from then on the secret
 * names one or the other. AWS: "If you change the original user's permissions after the clone
 * user has been created, you must also change the clone user's permissions"
 * (https://docs.aws.amazon.com/secretsmanager/latest/userguide/rotation-strategy.html), so every
 * change here is applied to both names, whichever of them exist.
 *
 * As the RDS master user on MySQL 8.4:
 * - Users are created with their authentication plugin named (authenticationFor):
 *   `caching_sha2_password` on MySQL, where 8.4 disables `mysql_native_password` by default
 *   (https://dev.mysql.com/doc/refman/8.4/en/native-pluggable-authentication.html), and MariaDB's
 *   `mysql_native_password`, as MariaDB has no caching_sha2_password.
 * - What a user holds is read from `SHOW GRANTS` (parseShowGrants) and only what it lists beyond the
 *   wanted privileges is revoked, line by line (planPrivileges), never `REVOKE ALL PRIVILEGES ON *.*`:
 *   "you must have the GRANT OPTION privilege, and you must have the privileges that you are
 *   revoking" (https://dev.mysql.com/doc/refman/8.4/en/revoke.html), and the RDS master lacks SUPER,
 *   FILE, SHUTDOWN and most dynamic privileges
 *   (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/UsingWithRDS.MasterAccounts.html), so
 *   ALL fails as soon as there is anything to revoke at the global level.
 * - User names leave room for the twin within 16 characters (rotationPair).
 */
import type { Connection } from 'mysql2/promise';
import type { Table } from '../shared/tables/table.ts';

export interface Login {
  user: string;
  password: string;
}

export interface DatabaseUsers {
  /** The database (schema) the users work in. */
  database: string;
  app: Login;
  migrator: Login;
}

export type TablePrivilege = 'SELECT' | 'INSERT' | 'UPDATE';

/** What the migrator may do on the database (`<db>.*`), and nothing anywhere else. */
export const MIGRATOR_PRIVILEGES = [
  'SELECT',
  'INSERT',
  'UPDATE',
  'DELETE',
  'CREATE',
  'DROP',
  'ALTER',
  'INDEX',
  'REFERENCES',
  'CREATE VIEW',
  'SHOW VIEW',
  'TRIGGER',
  'LOCK TABLES',
  'CREATE TEMPORARY TABLES',
] as const;

/** Secrets Manager's alternating-users rotation appends this to the user it clones. */
export const CLONE_SUFFIX = '_clone';

/**
 * The longest twin name the pinned rotation functions accept. Versions of
 * SecretsManagerRDSMySQLRotationMultiUser from before December 2023 refuse to clone a user whose
 * name with `_clone` appended exceeds 16 characters ("Unable to clone user, username length with
 * _clone appended would exceed 16 characters";
 * https://github.com/aws-samples/aws-secrets-manager-rotation-lambdas/issues/110). aws-cdk-lib
 * pins the application per partition (2.276: 1.1.671 in `aws`, 1.1.440 in `aws-cn`, 1.1.383 in
 * `aws-us-gov`), so the older limit is the one every partition accepts.
 */
export const MAX_CLONE_NAME_LENGTH = 16;
const MAX_USER_NAME_LENGTH = MAX_CLONE_NAME_LENGTH - CLONE_SUFFIX.length;

/** Letters, digits and underscores only, so a name is the same quoted or not. */
const USER_NAME = /^[A-Za-z][A-Za-z0-9_]*$/;
const DATABASE_NAME = /^[A-Za-z0-9_$]{1,64}$/;

export class UsersError extends Error {
  override readonly name = 'UsersError';
}

/**
 * The user and its rotation twin, whichever name the secret holds now. Refuses a name whose twin
 * the pinned rotation functions would refuse to create (MAX_CLONE_NAME_LENGTH): better here, at
 * deployment, than at the first rotation.
 */
export function rotationPair(user: string): [string, string] {
  const base = user.endsWith(CLONE_SUFFIX) ? user.slice(0, -CLONE_SUFFIX.length) : user;
  if (!USER_NAME.test(base)) {
    throw new UsersError(
      `database user name ${JSON.stringify(base)} must be letters, digits or underscores, starting with a letter`,
    );
  }
  const clone = `${base}${CLONE_SUFFIX}`;
  if (clone.length > MAX_CLONE_NAME_LENGTH) {
    throw new UsersError(
      `database user name ${JSON.stringify(base)} is too long: its rotation twin ${JSON.stringify(clone)} has ${clone.length} characters, ` +
        `and the pinned Secrets Manager rotation functions refuse clone names over ${MAX_CLONE_NAME_LENGTH} ` +
        `(at most ${MAX_USER_NAME_LENGTH} characters before ${CLONE_SUFFIX})`,
    );
  }
  return [base, clone];
}

/** Which server this is: MariaDB says so in its version string (`10.11.19-MariaDB-…`), MySQL does not. */
export type ServerKind = 'mysql' | 'mariadb';
export function serverKind(version: string): ServerKind {
  return /mariadb/i.test(version) ? 'mariadb' : 'mysql';
}

/**
 * How a new user authenticates, stated rather than left to the server's default, with the clause
 * that sets it (one `?` for the password):
 * - MySQL: `caching_sha2_password`, the 8.4 default and the only built-in password plugin enabled
 *   by default ("IDENTIFIED WITH auth_plugin BY 'auth_string'",
 *   https://dev.mysql.com/doc/refman/8.4/en/create-user.html;
 *   https://dev.mysql.com/doc/refman/8.4/en/caching-sha2-pluggable-authentication.html);
 * - MariaDB: `mysql_native_password`, its default and the one the mysql2 client speaks (MariaDB has
 *   no caching_sha2_password, and ed25519 is a plugin to install first): "IDENTIFIED VIA
 *   mysql_native_password USING PASSWORD('…')" (https://mariadb.com/kb/en/create-user/).
 */
export function authenticationFor(version: string): { plugin: string; identified: string } {
  return serverKind(version) === 'mariadb'
    ? {
        plugin: 'mysql_native_password',
        identified: 'IDENTIFIED VIA mysql_native_password USING PASSWORD(?)',
      }
    : { plugin: 'caching_sha2_password', identified: 'IDENTIFIED WITH caching_sha2_password BY ?' };
}

/**
 * The app user's privileges per table, from the registry: SELECT on each dimension table, SELECT,
 * INSERT, UPDATE on every other table (the sink's upserts need INSERT and UPDATE, its existence
 * checks and lock-then-read steps SELECT).
 */
export function appTablePrivileges(
  tables: readonly Pick<Table, 'name'>[],
  dimensions: readonly { table: Pick<Table, 'name'> }[],
): Map<string, readonly TablePrivilege[]> {
  const dimensionTables = new Set(dimensions.map((d) => d.table.name));
  const grants = new Map<string, readonly TablePrivilege[]>();
  for (const { name } of [...tables, ...dimensions.map((d) => d.table)]) {
    grants.set(name, dimensionTables.has(name) ? ['SELECT'] : ['SELECT', 'INSERT', 'UPDATE']);
  }
  return new Map([...grants].sort(([a], [b]) => a.localeCompare(b)));
}

/** What one run changed, per user name (no passwords). */
export interface UsersReport {
  created: string[];
  granted: string[];
  revoked: string[];
}

const emptyReport = (): UsersReport => ({ created: [], granted: [], revoked: [] });

/**
 * Plain names, two different users, and neither of them the administrator running this: its own
 * privileges would be "converged" away.
 */
async function validate(admin: Connection, users: DatabaseUsers): Promise<{ version: string }> {
  if (!DATABASE_NAME.test(users.database)) {
    throw new UsersError(`database name ${JSON.stringify(users.database)} is not a plain MySQL name`);
  }
  const app = rotationPair(users.app.user);
  const migrator = rotationPair(users.migrator.user);
  if (app[0] === migrator[0]) throw new UsersError('the app and migrator users must be different users');
  const [[row]] = (await admin.query('SELECT CURRENT_USER() AS me')) as unknown as [[{ me: string }]];
  const administrator = String(row?.me ?? '').replace(/@[^@]*$/, '');
  if ([...app, ...migrator].includes(administrator)) {
    throw new UsersError(`the app and migrator users must not be the administrator (${administrator})`);
  }
  const [[server]] = (await admin.query('SELECT VERSION() AS version')) as unknown as [[{ version: string }]];
  return { version: String(server?.version ?? '') };
}

/**
 * Creates both users when missing (with the password their secret holds) and gives the migrator
 * exactly MIGRATOR_PRIVILEGES on the database. Needs no table: run it before the migrations.
 */
export async function ensureUsers(admin: Connection, users: DatabaseUsers): Promise<UsersReport> {
  const { version } = await validate(admin, users);
  const { identified } = authenticationFor(version);
  const report = emptyReport();
  for (const login of [users.app, users.migrator]) {
    if (!(await userExists(admin, login.user))) {
      await admin.query(`CREATE USER IF NOT EXISTS ?@'%' ${identified}`, [login.user, login.password]);
      report.created.push(login.user);
    }
  }
  for (const user of await existing(admin, rotationPair(users.migrator.user))) {
    await converge(admin, user, migratorWanted(users), serverKind(version), report);
  }
  return report;
}

const migratorWanted = (users: DatabaseUsers): WantedPrivileges => ({
  database: users.database,
  databaseWide: new Set(MIGRATOR_PRIVILEGES),
  perTable: new Map(),
});

const appWanted = (
  users: DatabaseUsers,
  tables: readonly Pick<Table, 'name'>[],
  dimensions: readonly { table: Pick<Table, 'name'> }[],
): WantedPrivileges => ({
  database: users.database,
  databaseWide: new Set<string>(),
  perTable: appTablePrivileges(tables, dimensions),
});

/**
 * What a run would change, changing nothing: a missing user, and each GRANT or REVOKE it would
 * send (`npm run smoke`'s grants check, db/verify.ts). Empty when the users are as defined.
 */
export async function usersDrift(
  admin: Connection,
  users: DatabaseUsers,
  tables: readonly Pick<Table, 'name'>[],
  dimensions: readonly { table: Pick<Table, 'name'> }[],
): Promise<string[]> {
  const { version } = await validate(admin, users);
  const problems: string[] = [];
  for (const [login, wanted] of [
    [users.app, appWanted(users, tables, dimensions)],
    [users.migrator, migratorWanted(users)],
  ] as const) {
    if (!(await userExists(admin, login.user))) problems.push(`${login.user}: missing`);
    for (const user of await existing(admin, rotationPair(login.user))) {
      const { grants, revokes } = await planFor(admin, user, wanted, serverKind(version));
      problems.push(
        ...grants.map((g) => `to grant ${g.report}`),
        ...revokes.map((r) => `to revoke ${r.report}`),
      );
    }
  }
  return problems;
}

/**
 * Gives the app user (and its twin) exactly `appTablePrivileges(tables, dimensions)` on the
 * database, revoking anything else it holds. Every table must exist: run the migrations first.
 */
export async function grantTables(
  admin: Connection,
  users: DatabaseUsers,
  tables: readonly Pick<Table, 'name'>[],
  dimensions: readonly { table: Pick<Table, 'name'> }[],
): Promise<UsersReport> {
  const { version } = await validate(admin, users);
  const perTable = appTablePrivileges(tables, dimensions);
  const [present] = (await admin.query(
    'SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?',
    [users.database],
  )) as unknown as [Array<{ name: string }>];
  const have = new Set(present.map((t) => t.name));
  const missing = [...perTable.keys()].filter((t) => !have.has(t));
  if (missing.length > 0) {
    throw new UsersError(
      `cannot grant the app user its tables: ${missing.join(', ')} ${missing.length === 1 ? 'does' : 'do'} not exist in ${users.database}; ` +
        'every table of the registry needs a migration that creates it',
    );
  }
  const report = emptyReport();
  const wanted = appWanted(users, tables, dimensions);
  for (const user of await existing(admin, rotationPair(users.app.user))) {
    await converge(admin, user, wanted, serverKind(version), report);
  }
  return report;
}

/** ensureUsers then grantTables: users and all their privileges, for a database already migrated. */
export async function applyUsers(
  admin: Connection,
  users: DatabaseUsers,
  tables: readonly Pick<Table, 'name'>[],
  dimensions: readonly { table: Pick<Table, 'name'> }[],
): Promise<UsersReport> {
  const first = await ensureUsers(admin, users);
  const second = await grantTables(admin, users, tables, dimensions);
  return {
    created: [...first.created, ...second.created],
    granted: [...first.granted, ...second.granted],
    revoked: [...first.revoked, ...second.revoked],
  };
}

async function userExists(admin: Connection, user: string): Promise<boolean> {
  const [rows] = (await admin.query(`SELECT 1 AS found FROM mysql.user WHERE User = ? AND Host = '%'`, [
    user,
  ])) as unknown as [unknown[]];
  return rows.length > 0;
}

async function existing(admin: Connection, names: readonly string[]): Promise<string[]> {
  const found: string[] = [];
  for (const name of names) if (await userExists(admin, name)) found.push(name);
  return found;
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
  const grantee = `'${user}'@'%'`;
  const wideKey = wanted.database.replace(/[_%]/g, '\\$&');
  const allAt = (kind: 'database' | 'table') =>
    server === 'mariadb' ? [...ALL_AT[kind], 'DELETE HISTORY'] : ALL_AT[kind];
  /** What is wanted at a level, and that level's ALL PRIVILEGES. */
  const wantedAt = (level: GrantLevel): { want: ReadonlySet<string>; all: readonly string[] } => {
    if (level.kind === 'database' && level.database === wideKey) {
      return { want: wanted.databaseWide, all: allAt('database') };
    }
    if (level.kind === 'table' && level.database === wanted.database) {
      return { want: new Set(wanted.perTable.get(level.table) ?? []), all: allAt('table') };
    }
    return { want: new Set(), all: [] };
  };
  const held = (level: GrantLevel): Set<string> => {
    const found = new Set<string>();
    for (const g of shown) {
      if (g.kind !== 'privileges' || levelSql(g.level) !== levelSql(level)) continue;
      const { all } = wantedAt(level);
      for (const p of g.privileges) {
        if (p.columns) continue;
        if (p.name === 'ALL PRIVILEGES' || p.name === 'ALL') for (const a of all) found.add(a);
        else found.add(p.name);
      }
    }
    return found;
  };

  const grants: PlannedStatement[] = [];
  const grant = (level: GrantLevel, privileges: readonly string[], report: string) => {
    const has = held(level);
    const missing = privileges.filter((p) => !has.has(p));
    if (missing.length === 0) return;
    grants.push({
      sql: `GRANT ${missing.join(', ')} ON ${levelSql(level)} TO ${grantee}`,
      report: `${user}: ${missing.join(', ')} ON ${report}`,
    });
  };
  grant({ kind: 'database', database: wideKey }, [...wanted.databaseWide], `${wanted.database}.*`);
  for (const [table, privileges] of wanted.perTable) {
    grant({ kind: 'table', database: wanted.database, table }, privileges, `${wanted.database}.${table}`);
  }

  const revokes: PlannedStatement[] = [];
  for (const g of shown) {
    if (g.kind === 'restriction') continue;
    if (g.kind === 'roles') {
      revokes.push({
        sql: `REVOKE ${g.roles.join(', ')} FROM ${grantee}`,
        report: `${user}: ${g.roles.length === 1 ? 'role' : 'roles'} ${g.roles.join(', ')}`,
      });
      continue;
    }
    if (g.kind === 'proxy') {
      revokes.push({
        sql: `REVOKE PROXY ON ${g.proxied} FROM ${grantee}`,
        report: `${user}: PROXY ON ${g.proxied}`,
      });
      continue;
    }
    const { want, all } = wantedAt(g.level);
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
  }
  return { grants, revokes };
}

/** Sends one planned statement, naming it when the server refuses it. */
async function send(admin: Connection, statement: PlannedStatement, what: 'grant' | 'revoke'): Promise<void> {
  try {
    await admin.query(statement.sql);
  } catch (error) {
    const hint =
      what === 'revoke'
        ? ' (the administrator must hold, with GRANT OPTION, every privilege it revokes: revoke it as a user that does)'
        : '';
    throw new UsersError(`cannot ${what} ${statement.report}: ${(error as Error).message}${hint}`, {
      cause: error,
    });
  }
}

/** Brings one user's privileges to exactly `wanted`, from what SHOW GRANTS lists (planPrivileges). */
/** What brings `user` from its `SHOW GRANTS` to `wanted` (planPrivileges), sending nothing. */
async function planFor(admin: Connection, user: string, wanted: WantedPrivileges, server: ServerKind) {
  const [rows] = (await admin.query(`SHOW GRANTS FOR ?@'%'`, [user])) as unknown as [
    Array<Record<string, unknown>>,
  ];
  return planPrivileges(user, parseShowGrants(rows), wanted, server);
}

async function converge(
  admin: Connection,
  user: string,
  wanted: WantedPrivileges,
  server: ServerKind,
  report: UsersReport,
): Promise<void> {
  const { grants, revokes } = await planFor(admin, user, wanted, server);
  for (const statement of grants) {
    await send(admin, statement, 'grant');
    report.granted.push(statement.report);
  }
  for (const statement of revokes) {
    await send(admin, statement, 'revoke');
    report.revoked.push(statement.report);
  }
}
