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
 * MySQL 8 allows user names of up to 32 characters; the rotation's twin adds `_clone`. Letters,
 * digits and underscores only, so a name is the same quoted or not.
 */
const USER_NAME = /^[A-Za-z][A-Za-z0-9_]{0,25}$/;
const DATABASE_NAME = /^[A-Za-z0-9_$]{1,64}$/;

export class UsersError extends Error {
  override readonly name = 'UsersError';
}

/** The user and its rotation twin, whichever name the secret holds now. */
export function rotationPair(user: string): [string, string] {
  const base = user.endsWith(CLONE_SUFFIX) ? user.slice(0, -CLONE_SUFFIX.length) : user;
  if (!USER_NAME.test(base)) {
    throw new UsersError(
      `database user name ${JSON.stringify(base)} must be 1-26 letters, digits or underscores, starting with a letter`,
    );
  }
  return [base, `${base}${CLONE_SUFFIX}`];
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
async function validate(admin: Connection, users: DatabaseUsers): Promise<void> {
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
}

/**
 * Creates both users when missing (with the password their secret holds) and gives the migrator
 * exactly MIGRATOR_PRIVILEGES on the database. Needs no table: run it before the migrations.
 */
export async function ensureUsers(admin: Connection, users: DatabaseUsers): Promise<UsersReport> {
  await validate(admin, users);
  const report = emptyReport();
  for (const login of [users.app, users.migrator]) {
    if (!(await userExists(admin, login.user))) {
      await admin.query(`CREATE USER IF NOT EXISTS ?@'%' IDENTIFIED BY ?`, [login.user, login.password]);
      report.created.push(login.user);
    }
  }
  for (const user of await existing(admin, rotationPair(users.migrator.user))) {
    await converge(admin, user, users.database, new Set(MIGRATOR_PRIVILEGES), new Map(), report);
  }
  return report;
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
  await validate(admin, users);
  const wanted = appTablePrivileges(tables, dimensions);
  const [present] = (await admin.query(
    'SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?',
    [users.database],
  )) as unknown as [Array<{ name: string }>];
  const have = new Set(present.map((t) => t.name));
  const missing = [...wanted.keys()].filter((t) => !have.has(t));
  if (missing.length > 0) {
    throw new UsersError(
      `cannot grant the app user its tables: ${missing.join(', ')} ${missing.length === 1 ? 'does' : 'do'} not exist in ${users.database}; ` +
        'every table of the registry needs a migration that creates it',
    );
  }
  const report = emptyReport();
  for (const user of await existing(admin, rotationPair(users.app.user))) {
    await converge(admin, user, users.database, new Set(), wanted, report);
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

/** mysql.db's columns, as the privilege each stands for (MySQL 8 and MariaDB alike). */
const DATABASE_PRIVILEGE_COLUMNS: Record<string, string> = {
  Select_priv: 'SELECT',
  Insert_priv: 'INSERT',
  Update_priv: 'UPDATE',
  Delete_priv: 'DELETE',
  Create_priv: 'CREATE',
  Drop_priv: 'DROP',
  Grant_priv: 'GRANT OPTION',
  References_priv: 'REFERENCES',
  Index_priv: 'INDEX',
  Alter_priv: 'ALTER',
  Create_tmp_table_priv: 'CREATE TEMPORARY TABLES',
  Lock_tables_priv: 'LOCK TABLES',
  Create_view_priv: 'CREATE VIEW',
  Show_view_priv: 'SHOW VIEW',
  Create_routine_priv: 'CREATE ROUTINE',
  Alter_routine_priv: 'ALTER ROUTINE',
  Execute_priv: 'EXECUTE',
  Event_priv: 'EVENT',
  Trigger_priv: 'TRIGGER',
  Delete_history_priv: 'DELETE HISTORY',
};

/** mysql.tables_priv's Table_priv values, as the privilege each stands for. */
function tablePrivilege(value: string): string {
  if (value === 'Grant') return 'GRANT OPTION';
  if (value === 'Delete versioning rows') return 'DELETE HISTORY';
  return value.toUpperCase();
}

/**
 * Brings one user's privileges to exactly `databaseWide` (on `<database>.*`) plus `perTable` (on
 * tables of `database`): whatever it holds on other databases or tables, and any global privilege
 * besides USAGE, is revoked. Grants come before revocations, so a running function never loses a
 * privilege it keeps.
 */
async function converge(
  admin: Connection,
  user: string,
  database: string,
  databaseWide: ReadonlySet<string>,
  perTable: ReadonlyMap<string, readonly string[]>,
  report: UsersReport,
): Promise<void> {
  // What the user holds now, per database and per table.
  const [dbRows] = (await admin.query(`SELECT * FROM mysql.db WHERE User = ? AND Host = '%'`, [
    user,
  ])) as unknown as [Array<Record<string, string>>];
  const hasDatabaseWide = new Map(
    dbRows.map((row) => [
      String(row.Db),
      new Set(
        Object.entries(DATABASE_PRIVILEGE_COLUMNS)
          .filter(([column]) => row[column] === 'Y')
          .map(([, privilege]) => privilege),
      ),
    ]),
  );
  const [tableRows] = (await admin.query(
    `SELECT Db AS db, Table_name AS name, Table_priv AS privileges FROM mysql.tables_priv WHERE User = ? AND Host = '%'`,
    [user],
  )) as unknown as [Array<{ db: string; name: string; privileges: string }>];
  const hasPerTable = new Map(
    tableRows.map((r) => [
      `${r.db}.${r.name}`,
      new Set(String(r.privileges).split(',').filter(Boolean).map(tablePrivilege)),
    ]),
  );
  const wantedPerTable = new Map([...perTable].map(([table, p]) => [`${database}.${table}`, p]));
  // In a database-level grant `_` and `%` are wildcards (lambda_realtime.* would also cover
  // lambdaXrealtime, a database the migrator could then create), so the name is granted escaped
  // and mysql.db keeps it so: "to use a _ character as part of a database name, specify it using
  // the \ escape character as \_" (https://dev.mysql.com/doc/refman/8.4/en/grant.html).
  const wideKey = database.replace(/[_%]/g, '\\$&');

  // Grants first.
  const missingWide = [...databaseWide].filter((p) => !hasDatabaseWide.get(wideKey)?.has(p));
  if (missingWide.length > 0) {
    await admin.query(`GRANT ${missingWide.join(', ')} ON ??.* TO ?@'%'`, [wideKey, user]);
    report.granted.push(`${user}: ${missingWide.join(', ')} ON ${database}.*`);
  }
  for (const [table, privileges] of wantedPerTable) {
    const missing = privileges.filter((p) => !hasPerTable.get(table)?.has(p));
    if (missing.length === 0) continue;
    await admin.query(`GRANT ${missing.join(', ')} ON ?? TO ?@'%'`, [table, user]);
    report.granted.push(`${user}: ${missing.join(', ')} ON ${table}`);
  }

  // Then whatever is not on the lists.
  for (const [db, has] of hasDatabaseWide) {
    // Keyed by the name as stored (escaped or not), which is what REVOKE must name.
    const extra = [...has].filter((p) => db !== wideKey || !databaseWide.has(p));
    if (extra.length === 0) continue;
    await admin.query(`REVOKE ${extra.join(', ')} ON ??.* FROM ?@'%'`, [db, user]);
    report.revoked.push(`${user}: ${extra.join(', ')} ON ${db}.*`);
  }
  for (const [table, has] of hasPerTable) {
    const keep = new Set(wantedPerTable.get(table) ?? []);
    const extra = [...has].filter((p) => !keep.has(p));
    if (extra.length === 0) continue;
    await admin.query(`REVOKE ${extra.join(', ')} ON ?? FROM ?@'%'`, [table, user]);
    report.revoked.push(`${user}: ${extra.join(', ')} ON ${table}`);
  }
  const [grants] = (await admin.query(`SHOW GRANTS FOR ?@'%'`, [user])) as unknown as [
    Array<Record<string, string>>,
  ];
  const global = grants
    .map((row) => String(Object.values(row)[0]))
    .some((line) => / ON \*\.\* TO /.test(line) && !/^GRANT USAGE ON /.test(line));
  if (global) {
    // Global level only: the database and table privileges above stay.
    await admin.query(`REVOKE ALL PRIVILEGES ON *.* FROM ?@'%'`, [user]);
    await admin.query(`REVOKE GRANT OPTION ON *.* FROM ?@'%'`, [user]);
    report.revoked.push(`${user}: global privileges`);
  }
}
