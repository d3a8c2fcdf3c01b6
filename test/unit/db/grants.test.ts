/**
 * db/users.ts and db/grants.ts against MySQL 8.4 as RDS runs it, from recorded output (test/fixtures/mysql-8.4/):
 * the authentication plugin per server, SHOW GRANTS read line by line, and the statements a run
 * sends as the RDS master user — only what is listed beyond the lists is revoked, never ALL.
 * MariaDB 10.11's forms are recorded from the local server (and covered for real by
 * test/integration/database-users.test.ts).
 */
import { describe, expect, it } from 'vitest';
import {
  parseShowGrant,
  parseShowGrants,
  planPrivileges,
  serverKind,
  type WantedPrivileges,
} from '../../../db/grants.ts';
import {
  appTablePrivileges,
  authenticationFor,
  ensureUsers,
  grantTables,
  MIGRATOR_PRIVILEGES,
} from '../../../db/users.ts';
import {
  DIMENSIONS as REGISTERED_DIMENSIONS,
  TABLES as REGISTERED_TABLES,
} from '../../../shared/domains/registry.ts';
import { RecordedAdmin, showGrantsFixture } from './recorded-server.ts';

const MYSQL = '8.4.8';
const MARIADB = '10.11.19-MariaDB-0+deb12u1';
const USERS = {
  database: 'lambda_realtime',
  app: { user: 'lrt_app', password: 'app-Pw-1' },
  migrator: { user: 'lrt_mig', password: 'mig-Pw-1' },
};
/**
 * The tables the recording was made for: those the converged app user holds grants on. The registry
 * may have more since (a table added as the extension guide adds one), which the recorded output
 * cannot hold; so the tests compare the registered tables the recording holds, and every one of
 * those must still be registered (the first test below), with the grants db/users.ts gives it.
 */
const RECORDED = new Set(
  parseShowGrants(showGrantsFixture('show-grants-app-converged.txt')).flatMap((g) =>
    g.kind === 'privileges' && g.level.kind === 'table' ? [g.level.table] : [],
  ),
);
const TABLES = REGISTERED_TABLES.filter((t) => RECORDED.has(t.name));
const DIMENSIONS = REGISTERED_DIMENSIONS.filter((d) => RECORDED.has(d.table.name));
const APP_WANTED: WantedPrivileges = {
  database: 'lambda_realtime',
  databaseWide: new Set(),
  perTable: appTablePrivileges(TABLES, DIMENSIONS),
};
const MIGRATOR_WANTED: WantedPrivileges = {
  database: 'lambda_realtime',
  databaseWide: new Set(MIGRATOR_PRIVILEGES),
  perTable: new Map(),
};

function rdsMaster(users: Record<string, string>, version = MYSQL): RecordedAdmin {
  return new RecordedAdmin({
    version,
    administrator: 'lrt_admin',
    grants: showGrantsFixture('show-grants-rds-master.txt'),
    users: new Map(Object.entries(users).map(([user, file]) => [user, showGrantsFixture(file)])),
    tables: [...TABLES.map((t) => t.name), 'retired_wide'],
  });
}

describe('the recording', () => {
  it('holds grants on registered tables only: every table it was made for is still registered', () => {
    expect(RECORDED.size).toBeGreaterThan(5);
    expect(TABLES.map((t) => t.name).sort()).toEqual([...RECORDED].sort());
  });
});

describe('authenticationFor', () => {
  it('names caching_sha2_password on MySQL, whose 8.4 disables mysql_native_password by default', () => {
    expect(serverKind(MYSQL)).toBe('mysql');
    expect(authenticationFor(MYSQL)).toEqual({
      plugin: 'caching_sha2_password',
      identified: 'IDENTIFIED WITH caching_sha2_password BY ?',
    });
    expect(authenticationFor('8.0.40').plugin).toBe('caching_sha2_password');
  });

  it('names mysql_native_password on MariaDB, which has no caching_sha2_password', () => {
    expect(serverKind(MARIADB)).toBe('mariadb');
    expect(authenticationFor(MARIADB)).toEqual({
      plugin: 'mysql_native_password',
      identified: 'IDENTIFIED VIA mysql_native_password USING PASSWORD(?)',
    });
  });

  it('is what ensureUsers creates the users with', async () => {
    for (const [version, clause] of [
      [MYSQL, "CREATE USER IF NOT EXISTS ?@'%' IDENTIFIED WITH caching_sha2_password BY ?"],
      [MARIADB, "CREATE USER IF NOT EXISTS ?@'%' IDENTIFIED VIA mysql_native_password USING PASSWORD(?)"],
    ] as const) {
      const admin = rdsMaster({}, version);
      expect((await ensureUsers(admin.connection, USERS)).created).toEqual(['lrt_app', 'lrt_mig']);
      expect(admin.sent.filter((s) => s.startsWith('CREATE USER'))).toEqual([clause, clause]);
    }
  });
});

describe('parseShowGrant (MySQL 8.4 forms)', () => {
  it('reads static global privileges with GRANT OPTION, and the dynamic ones on their own line', () => {
    const [staticLine, dynamicLine, role] = parseShowGrants(showGrantsFixture('show-grants-rds-master.txt'));
    expect(staticLine).toMatchObject({ kind: 'privileges', level: { kind: 'global' }, grantOption: true });
    expect(staticLine!.kind === 'privileges' && staticLine!.privileges.map((p) => p.name)).toContain(
      'CREATE TEMPORARY TABLES',
    );
    expect(dynamicLine).toMatchObject({
      kind: 'privileges',
      privileges: [
        { name: 'APPLICATION_PASSWORD_ADMIN' },
        { name: 'ROLE_ADMIN' },
        { name: 'SET_ANY_DEFINER' },
        { name: 'XA_RECOVER_ADMIN' },
      ],
      level: { kind: 'global' },
      grantOption: true,
    });
    expect(role).toMatchObject({ kind: 'roles', roles: ['`rds_superuser_role`@`%`'] });
  });

  it('reads USAGE, escaped database names, tables, columns, routines, roles and partial revokes', () => {
    const shown = parseShowGrants(showGrantsFixture('show-grants-app-stray.txt'));
    expect(shown.map((g) => g.kind)).toEqual([
      'privileges',
      'privileges',
      'restriction',
      ...Array(12).fill('privileges'),
      'roles',
    ]);
    expect(shown[3]).toMatchObject({
      level: { kind: 'database', database: 'lambda\\_realtime' },
      grantOption: true,
    });
    expect(shown[5]).toMatchObject({
      privileges: [{ name: 'SELECT' }, { name: 'UPDATE', columns: ['user_name'] }],
      level: { kind: 'table', database: 'lambda_realtime', table: 'dim_user' },
      grantOption: false,
    });
    expect(shown[8]).toMatchObject({ privileges: [{ name: 'ALL PRIVILEGES' }] });
    expect(shown[13]).toMatchObject({
      privileges: [{ name: 'EXECUTE' }],
      level: { kind: 'routine', type: 'PROCEDURE', database: 'lambda_realtime', name: 'purge_dead_letters' },
    });
    expect(parseShowGrant('GRANT USAGE ON *.* TO `lrt_app`@`%`')).toMatchObject({
      privileges: [{ name: 'USAGE' }],
      level: { kind: 'global' },
    });
  });

  it("reads the manual's root grants: proxy, several roles, doubled backquotes in names", () => {
    expect(parseShowGrant('GRANT PROXY ON ``@`` TO `root`@`localhost` WITH GRANT OPTION')).toEqual({
      kind: 'proxy',
      proxied: '``@``',
      grantOption: true,
      line: 'GRANT PROXY ON ``@`` TO `root`@`localhost` WITH GRANT OPTION',
    });
    expect(parseShowGrant('GRANT `r1`@`%`,`r2`@`%` TO `u1`@`localhost`')).toMatchObject({
      kind: 'roles',
      roles: ['`r1`@`%`', '`r2`@`%`'],
    });
    expect(parseShowGrant('GRANT SELECT ON `we``ird`.`t.1` TO `u`@`%`')).toMatchObject({
      level: { kind: 'table', database: 'we`ird', table: 't.1' },
    });
    expect(parseShowGrant('GRANT `admin role`@`%` TO `u`@`%` WITH ADMIN OPTION')).toMatchObject({
      kind: 'roles',
      roles: ['`admin role`@`%`'],
    });
  });
});

describe('parseShowGrant (MariaDB 10.11 forms, recorded from the local server)', () => {
  it('reads the password clause after the grantee, roles without a host, column lists and SET DEFAULT ROLE', () => {
    const lines = [
      'GRANT `zz_role` TO `zz_probe`@`%`',
      "GRANT PROCESS, SLAVE MONITOR ON *.* TO `zz_probe`@`%` IDENTIFIED BY PASSWORD '*A904227BC1A2A50085689EDB71ECD5AB797C71B4'",
      'GRANT SELECT, DROP ON `zz\\_probe\\_db`.* TO `zz_probe`@`%` WITH GRANT OPTION',
      'GRANT SELECT (`a`, `b`), INSERT ON `zz_probe_db`.`t` TO `zz_probe`@`%`',
      'SET DEFAULT ROLE `zz_role` FOR `zz_probe`@`%`',
      "GRANT ALL PRIVILEGES ON *.* TO `lrt`@`%` IDENTIFIED BY PASSWORD '*0ACAA2A45D2BB5D7E7BE0301F61294AEFD2857CF' WITH GRANT OPTION",
    ];
    const [role, global, database, table, defaultRole, all] = lines.map(parseShowGrant);
    expect(role).toMatchObject({ kind: 'roles', roles: ['`zz_role`'] });
    expect(global).toMatchObject({
      privileges: [{ name: 'PROCESS' }, { name: 'SLAVE MONITOR' }],
      level: { kind: 'global' },
      grantOption: false,
    });
    expect(database).toMatchObject({
      level: { kind: 'database', database: 'zz\\_probe\\_db' },
      grantOption: true,
    });
    expect(table).toMatchObject({
      privileges: [{ name: 'SELECT', columns: ['a', 'b'] }, { name: 'INSERT' }],
      level: { kind: 'table', database: 'zz_probe_db', table: 't' },
    });
    expect(defaultRole).toMatchObject({ kind: 'restriction' });
    expect(all).toMatchObject({ privileges: [{ name: 'ALL PRIVILEGES' }], grantOption: true });
  });
});

describe('planPrivileges', () => {
  it('plans nothing for users already as the lists say', () => {
    const app = parseShowGrants(showGrantsFixture('show-grants-app-converged.txt'));
    expect(planPrivileges('lrt_app', app, APP_WANTED, 'mysql')).toEqual({ grants: [], revokes: [] });
    const migrator = parseShowGrants(showGrantsFixture('show-grants-migrator-converged.txt'));
    expect(planPrivileges('lrt_mig', migrator, MIGRATOR_WANTED, 'mysql')).toEqual({
      grants: [],
      revokes: [],
    });
  });

  it('grants what is missing, then revokes exactly what each line holds beyond the lists', () => {
    const shown = parseShowGrants(showGrantsFixture('show-grants-app-stray.txt'));
    const plan = planPrivileges('lrt_app', shown, APP_WANTED, 'mysql');
    const to = "'lrt_app'@'%'";
    expect(plan.grants.map((s) => s.sql)).toEqual([
      `GRANT UPDATE ON \`lambda_realtime\`.\`order_event_wide\` TO ${to}`,
    ]);
    expect(plan.revokes.map((s) => s.sql)).toEqual([
      `REVOKE SELECT, PROCESS ON *.* FROM ${to}`,
      `REVOKE APPLICATION_PASSWORD_ADMIN, XA_RECOVER_ADMIN ON *.* FROM ${to}`,
      `REVOKE SELECT, INSERT, UPDATE, DELETE, GRANT OPTION ON \`lambda\\_realtime\`.* FROM ${to}`,
      `REVOKE UPDATE (\`user_name\`) ON \`lambda_realtime\`.\`dim_user\` FROM ${to}`,
      `REVOKE DELETE ON \`lambda_realtime\`.\`event_dead_letter\` FROM ${to}`,
      `REVOKE DELETE, CREATE, DROP, REFERENCES, INDEX, ALTER, CREATE VIEW, SHOW VIEW, TRIGGER ON \`lambda_realtime\`.\`order_wide\` FROM ${to}`,
      `REVOKE SELECT, INSERT, UPDATE ON \`lambda_realtime\`.\`retired_wide\` FROM ${to}`,
      `REVOKE EXECUTE ON PROCEDURE \`lambda_realtime\`.\`purge_dead_letters\` FROM ${to}`,
      `REVOKE \`lrt_reporting\`@\`%\` FROM ${to}`,
    ]);
    expect(plan.revokes.some((s) => /ALL PRIVILEGES/.test(s.sql))).toBe(false);
    expect(plan.revokes[2]!.report).toBe(
      'lrt_app: SELECT, INSERT, UPDATE, DELETE, GRANT OPTION ON lambda\\_realtime.*',
    );
  });

  it('revokes ALL PRIVILEGES (its own statement) where nothing is wanted, and keeps MariaDB-only privileges in mind', () => {
    const shown = [
      parseShowGrant('GRANT ALL PRIVILEGES ON `other`.* TO `u`@`%` WITH GRANT OPTION'),
      parseShowGrant('GRANT ALL PRIVILEGES ON `lambda_realtime`.`dim_user` TO `u`@`%`'),
    ];
    const plan = planPrivileges('u', shown, APP_WANTED, 'mariadb');
    expect(plan.revokes.map((s) => s.sql)).toEqual([
      "REVOKE ALL PRIVILEGES ON `other`.* FROM 'u'@'%'",
      "REVOKE GRANT OPTION ON `other`.* FROM 'u'@'%'",
      "REVOKE INSERT, UPDATE, DELETE, CREATE, DROP, REFERENCES, INDEX, ALTER, CREATE VIEW, SHOW VIEW, TRIGGER, DELETE HISTORY ON `lambda_realtime`.`dim_user` FROM 'u'@'%'",
    ]);
  });

  it('grants the migrator its privileges on the escaped name, and revokes a grant on the unescaped pattern', () => {
    const shown = [
      parseShowGrant('GRANT USAGE ON *.* TO `lrt_mig`@`%`'),
      parseShowGrant('GRANT SELECT, CREATE ON `lambda_realtime`.* TO `lrt_mig`@`%`'),
    ];
    const plan = planPrivileges('lrt_mig', shown, MIGRATOR_WANTED, 'mysql');
    expect(plan.grants.map((s) => s.sql)).toEqual([
      `GRANT ${MIGRATOR_PRIVILEGES.join(', ')} ON \`lambda\\_realtime\`.* TO 'lrt_mig'@'%'`,
    ]);
    expect(plan.revokes.map((s) => s.sql)).toEqual([
      "REVOKE SELECT, CREATE ON `lambda_realtime`.* FROM 'lrt_mig'@'%'",
    ]);
  });
});

describe('a run as the RDS master user on MySQL 8.4', () => {
  it('converges a drifted app user with statements the master may send (REVOKE ALL would be refused)', async () => {
    const admin = rdsMaster({
      lrt_app: 'show-grants-app-stray.txt',
      lrt_mig: 'show-grants-migrator-converged.txt',
    });
    await expect(
      admin.connection.query("REVOKE ALL PRIVILEGES ON *.* FROM 'lrt_app'@'%'"),
    ).rejects.toMatchObject({ errno: 1045 });
    admin.sent.length = 0;

    const report = await grantTables(admin.connection, USERS, TABLES, DIMENSIONS);
    expect(report.granted).toEqual(['lrt_app: UPDATE ON lambda_realtime.order_event_wide']);
    expect(report.revoked).toEqual([
      'lrt_app: SELECT, PROCESS ON *.*',
      'lrt_app: APPLICATION_PASSWORD_ADMIN, XA_RECOVER_ADMIN ON *.*',
      'lrt_app: SELECT, INSERT, UPDATE, DELETE, GRANT OPTION ON lambda\\_realtime.*',
      'lrt_app: UPDATE (`user_name`) ON lambda_realtime.dim_user',
      'lrt_app: DELETE ON lambda_realtime.event_dead_letter',
      'lrt_app: DELETE, CREATE, DROP, REFERENCES, INDEX, ALTER, CREATE VIEW, SHOW VIEW, TRIGGER ON lambda_realtime.order_wide',
      'lrt_app: SELECT, INSERT, UPDATE ON lambda_realtime.retired_wide',
      'lrt_app: EXECUTE ON PROCEDURE lambda_realtime.purge_dead_letters',
      'lrt_app: role `lrt_reporting`@`%`',
    ]);
    expect(admin.sent).toHaveLength(10);
    expect(admin.sent.join('\n')).not.toMatch(/ALL PRIVILEGES/);
  });

  it('leaves converged users alone: no statement at all', async () => {
    const admin = rdsMaster({
      lrt_app: 'show-grants-app-converged.txt',
      lrt_mig: 'show-grants-migrator-converged.txt',
    });
    expect(await ensureUsers(admin.connection, USERS)).toEqual({ created: [], granted: [], revoked: [] });
    expect(await grantTables(admin.connection, USERS, TABLES, DIMENSIONS)).toEqual({
      created: [],
      granted: [],
      revoked: [],
    });
    expect(admin.sent).toEqual([]);
  });

  it('names the privilege the master cannot revoke, instead of failing on REVOKE ALL', async () => {
    const admin = rdsMaster({
      lrt_app: 'show-grants-app-converged.txt',
      lrt_mig: 'show-grants-migrator-converged.txt',
      lrt_mig_clone: 'show-grants-migrator-clone-backup-admin.txt',
    });
    await expect(ensureUsers(admin.connection, USERS)).rejects.toThrow(
      /cannot revoke lrt_mig_clone: BACKUP_ADMIN ON \*\.\*: Access denied for user 'lrt_admin'@'%'.*must hold, with GRANT OPTION, every privilege it revokes/,
    );
    expect(admin.sent).toEqual(["REVOKE BACKUP_ADMIN ON *.* FROM 'lrt_mig_clone'@'%'"]);
  });
});

describe('parseShowGrant, odd corners', () => {
  it('reads WITH GRANT OPTION after a password hash, and never inside a quoted string', () => {
    expect(
      parseShowGrant("GRANT PROCESS ON *.* TO `u`@`%` IDENTIFIED BY PASSWORD '*AB' WITH GRANT OPTION"),
    ).toMatchObject({ grantOption: true });
    expect(
      parseShowGrant("GRANT PROCESS ON *.* TO `u`@`%` IDENTIFIED BY PASSWORD 'WITH GRANT OPTION'"),
    ).toMatchObject({
      grantOption: false,
    });
  });

  it('keeps " TO " and " ON " inside backquoted names where they belong', () => {
    expect(parseShowGrant('GRANT SELECT ON `a TO b`.`on ON x` TO `u`@`%`')).toMatchObject({
      level: { kind: 'table', database: 'a TO b', table: 'on ON x' },
    });
  });
});
