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
import {
  type PlannedStatement,
  parseShowGrants,
  planPrivileges,
  type ServerKind,
  serverKind,
  UsersError,
  type WantedPrivileges,
} from './grants.ts';

export { UsersError };

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

/** What brings `user` from its `SHOW GRANTS` to `wanted` (planPrivileges), sending nothing. */
async function planFor(admin: Connection, user: string, wanted: WantedPrivileges, server: ServerKind) {
  const [rows] = (await admin.query(`SHOW GRANTS FOR ?@'%'`, [user])) as unknown as [
    Array<Record<string, unknown>>,
  ];
  return planPrivileges(user, parseShowGrants(rows), wanted, server);
}

/** Brings one user's privileges to exactly `wanted`, from what SHOW GRANTS lists (planPrivileges). */
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
