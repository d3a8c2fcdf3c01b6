/**
 * The database users against the real server (db/users.ts, db/deploy-schema.ts): the app user the
 * functions run as can read, insert and update exactly what the sink touches and nothing else; the
 * migrator changes the schema of its database only; every run converges on those lists (extra
 * privileges revoked, new tables granted, the rotation's `_clone` twin included); and a handler
 * run as the app user writes a batch.
 */
import type { Connection } from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  applyUsers,
  appTablePrivileges,
  CLONE_SUFFIX,
  grantTables,
  MIGRATOR_PRIVILEGES,
} from '../../db/users.ts';
import { DIMENSIONS, TABLES } from '../../shared/domains/registry.ts';
import { connectAs, domainHandler, dump, freshDatabase, type TestDatabase } from '../support/database.ts';
import { businessEvent, kafkaEvent, kafkaRecord, lambdaContext } from '../support/events.ts';

let db: TestDatabase;
let app: Connection;
let migrator: Connection;

beforeAll(async () => {
  db = await freshDatabase('lrt_users');
  app = await connectAs(db.users.app, db.name);
  migrator = await connectAs(db.users.migrator, db.name);
});
afterAll(async () => {
  await app?.end();
  await migrator?.end();
  await db?.drop();
});

const DIMENSION_TABLES = DIMENSIONS.map((d) => d.table.name);
const WRITTEN_TABLES = TABLES.map((t) => t.name).filter((t) => !DIMENSION_TABLES.includes(t));

/** The server's error number for `sql` run on `conn`, or 0 when it succeeds. */
async function errnoOf(conn: Connection, sql: string, params: unknown[] = []): Promise<number> {
  try {
    await conn.query(sql, params);
    return 0;
  } catch (error) {
    return (error as { errno?: number }).errno ?? -1;
  }
}

// ER_TABLEACCESS_DENIED_ERROR, ER_DBACCESS_DENIED_ERROR, ER_SPECIFIC_ACCESS_DENIED_ERROR
const TABLE_DENIED = 1142;
const DATABASE_DENIED = 1044;
const NEEDS_PRIVILEGE = 1227;

/** Every privilege `user` holds, as SHOW GRANTS prints them (password hashes left out). */
async function grantsOf(user: string): Promise<string[]> {
  const [rows] = (await db.conn.query(`SHOW GRANTS FOR ?@'%'`, [user])) as unknown as [
    Array<Record<string, string>>,
  ];
  return rows.map((r) => String(Object.values(r)[0]).replace(/ IDENTIFIED BY PASSWORD '[^']*'/, '')).sort();
}

async function tablePrivileges(user: string): Promise<Record<string, string>> {
  const [rows] = (await db.conn.query(
    `SELECT Table_name AS name, Table_priv AS privileges FROM mysql.tables_priv WHERE User = ? AND Host = '%' AND Db = ?`,
    [user, db.name],
  )) as unknown as [Array<{ name: string; privileges: string }>];
  return Object.fromEntries(rows.map((r) => [r.name, String(r.privileges).toUpperCase()]));
}

describe('the app user', () => {
  it('holds per-table privileges exactly as the registry implies, and nothing database-wide or global', async () => {
    const expected = Object.fromEntries(
      [...appTablePrivileges(TABLES, DIMENSIONS)].map(([table, privileges]) => [table, privileges.join(',')]),
    );
    expect(await tablePrivileges(db.users.app.user)).toEqual(expected);
    expect(expected.dim_user).toBe('SELECT');
    expect(expected.event_dead_letter).toBe('SELECT,INSERT,UPDATE');
    const grants = await grantsOf(db.users.app.user);
    expect(grants.filter((g) => / ON \*\.\* /.test(g))).toEqual([
      expect.stringMatching(/^GRANT USAGE ON \*\.\* TO /),
    ]);
    expect(grants.filter((g) => g.includes(`\`.* TO`))).toEqual([]);
  });

  it.each(WRITTEN_TABLES)('may SELECT, INSERT and UPDATE %s, as the sink does', async (table) => {
    const column = TABLES.find((t) => t.name === table)!.key[0]!;
    expect(await errnoOf(app, `SELECT COUNT(*) FROM ${table}`)).toBe(0);
    expect(await errnoOf(app, `INSERT INTO ${table} SELECT * FROM ${table} WHERE 1 = 0`)).toBe(0);
    expect(await errnoOf(app, `UPDATE ${table} SET ${column} = ${column} WHERE 1 = 0`)).toBe(0);
  });

  it.each(DIMENSION_TABLES)('may only SELECT dimension table %s', async (table) => {
    const column = TABLES.find((t) => t.name === table)!.key[0]!;
    expect(await errnoOf(app, `SELECT COUNT(*) FROM ${table}`)).toBe(0);
    expect(await errnoOf(app, `INSERT INTO ${table} SELECT * FROM ${table} WHERE 1 = 0`)).toBe(TABLE_DENIED);
    expect(await errnoOf(app, `UPDATE ${table} SET ${column} = ${column} WHERE 1 = 0`)).toBe(TABLE_DENIED);
  });

  it.each(TABLES.map((t) => t.name))('may not DELETE from, DROP or ALTER %s', async (table) => {
    expect(await errnoOf(app, `DELETE FROM ${table} WHERE 1 = 0`)).toBe(TABLE_DENIED);
    expect(await errnoOf(app, `DROP TABLE ${table}`)).toBe(TABLE_DENIED);
    expect(await errnoOf(app, `ALTER TABLE ${table} ADD COLUMN probe INT NULL`)).toBe(TABLE_DENIED);
    expect(await errnoOf(app, `TRUNCATE TABLE ${table}`)).toBe(TABLE_DENIED);
  });

  it('may not CREATE a table, read the migration history, or manage users', async () => {
    expect(await errnoOf(app, 'CREATE TABLE probe (id INT PRIMARY KEY)')).toBe(TABLE_DENIED);
    expect(await errnoOf(app, 'SELECT COUNT(*) FROM schema_migrations')).toBe(TABLE_DENIED);
    expect(await errnoOf(app, `CREATE USER 'lrt_probe'@'%' IDENTIFIED BY 'x-Pw-1'`)).toBe(NEEDS_PRIVILEGE);
    expect(await errnoOf(app, `GRANT SELECT ON ${db.name}.dim_user TO ?@'%'`, [db.users.migrator.user])).toBe(
      TABLE_DENIED,
    );
    // Everything above was refused: the tables are all still there.
    const [tables] = (await db.conn.query(
      'SELECT COUNT(*) AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?',
      [db.name],
    )) as unknown as [Array<{ n: number }>];
    expect(Number(tables[0]!.n)).toBe(TABLES.length + 1);
  });

  it('runs the handlers: a batch with dimension joins, state rows and a dead letter is written', async () => {
    expect(db.env.DB_USER).toBe(db.users.app.user);
    await db.conn.query(`INSERT INTO dim_user (user_id, user_name, region) VALUES ('ua', 'Ann', 'north')`);
    await db.conn.query(`INSERT INTO dim_product (product_id, product_name) VALUES ('pa', 'Lamp')`);
    const batches = {
      user: [
        businessEvent('user_login', {}, { userId: 'ua' }),
        businessEvent('user_purchase', {}, { userId: 'ua', productId: 'pa', amount: '4.50' }),
      ],
      order: [businessEvent('order_create', {}, { orderId: 'oa', userId: 'ua', productId: 'pa' })],
      product: [businessEvent('product_view', {}, { productId: 'pa', userId: 'ua' })],
    } as const;
    for (const [domain, events] of Object.entries(batches)) {
      const handler = domainHandler(domain as keyof typeof batches, db);
      const records = events.map((value, offset) => kafkaRecord({ offset, value }));
      if (domain === 'user') records.push(kafkaRecord({ offset: 9, value: 'not json' }));
      // Twice: the second pass is absorbed, through the same SELECT/INSERT/UPDATE paths.
      for (let pass = 0; pass < 2; pass++) {
        expect((await handler(kafkaEvent(records), lambdaContext())).batchItemFailures).toEqual([]);
      }
    }
    expect(await dump(db.conn, 'user_profile_wide', 'user_id')).toMatchObject([
      { user_id: 'ua', login_count: '1', purchase_count: '1', user_name: 'Ann' },
    ]);
    expect(await dump(db.conn, 'order_wide', 'order_id')).toMatchObject([
      { order_id: 'oa', status: 'CREATED', product_name: 'Lamp' },
    ]);
    expect(await dump(db.conn, 'product_event_wide', 'event_id')).toHaveLength(1);
    expect(await dump(db.conn, 'event_dead_letter', 'kafka_offset')).toMatchObject([
      { kafka_offset: '9', reason: 'not_json' },
    ]);
  });
});

describe('authentication', () => {
  it("creates both users with the server's password plugin named (MariaDB: mysql_native_password)", async () => {
    const [rows] = (await db.conn.query(
      `SELECT User AS user, plugin FROM mysql.user WHERE User IN (?, ?) AND Host = '%' ORDER BY User`,
      [db.users.app.user, db.users.migrator.user],
    )) as unknown as [Array<{ user: string; plugin: string }>];
    expect(rows.map((r) => r.plugin)).toEqual(['mysql_native_password', 'mysql_native_password']);
  });
});

describe('the migrator', () => {
  it(`holds ${MIGRATOR_PRIVILEGES.length} privileges on its database, escaped so that no other name matches`, async () => {
    const grants = await grantsOf(db.users.migrator.user);
    const onDatabase = grants.filter((g) => g.includes('.* TO'));
    expect(onDatabase).toHaveLength(2); // USAGE on *.*, and the database's
    expect(onDatabase.find((g) => !g.startsWith('GRANT USAGE'))).toContain(
      `\`${db.name.replaceAll('_', '\\_')}\`.*`,
    );
  });

  it('changes the schema of its database', async () => {
    expect(await errnoOf(migrator, 'CREATE TABLE probe_schema (id INT PRIMARY KEY)')).toBe(0);
    expect(await errnoOf(migrator, 'ALTER TABLE probe_schema ADD COLUMN note VARCHAR(8) NULL')).toBe(0);
    expect(await errnoOf(migrator, 'CREATE INDEX idx_probe_note ON probe_schema (note)')).toBe(0);
    expect(await errnoOf(migrator, 'DELETE FROM probe_schema')).toBe(0);
    expect(await errnoOf(migrator, 'DROP TABLE probe_schema')).toBe(0);
  });

  it('may not manage users, grant, or create another database (not even one its name pattern would match)', async () => {
    expect(await errnoOf(migrator, `CREATE USER 'lrt_probe'@'%' IDENTIFIED BY 'x-Pw-1'`)).toBe(
      NEEDS_PRIVILEGE,
    );
    expect(await errnoOf(migrator, `GRANT SELECT ON ${db.name}.dim_user TO ?@'%'`, [db.users.app.user])).toBe(
      TABLE_DENIED,
    );
    expect(await errnoOf(migrator, `CREATE DATABASE ${db.name.replaceAll('_', 'x')}`)).toBe(DATABASE_DENIED);
    expect(await errnoOf(migrator, 'CREATE DATABASE lrt_probe_other')).toBe(DATABASE_DENIED);
  });
});

describe('every run converges', () => {
  it('changes nothing when run again', async () => {
    expect(await applyUsers(db.conn, db.users, TABLES, DIMENSIONS)).toEqual({
      created: [],
      granted: [],
      revoked: [],
    });
  });

  it('revokes what is not on the lists: a DELETE, a database-wide and a global privilege', async () => {
    const user = db.users.app.user;
    await db.conn.query(`GRANT DELETE ON ${db.name}.user_event_wide TO ?@'%'`, [user]);
    await db.conn.query(`GRANT SELECT, DROP ON ${db.name}.* TO ?@'%'`, [user]);
    await db.conn.query(`GRANT PROCESS ON *.* TO ?@'%'`, [user]);
    const before = await grantsOf(user);
    expect(before.join('\n')).toMatch(/DELETE/);

    const report = await applyUsers(db.conn, db.users, TABLES, DIMENSIONS);
    // Exactly what SHOW GRANTS listed beyond the lists, line by line: never REVOKE ALL.
    expect(report.revoked.sort()).toEqual(
      [
        `${user}: PROCESS ON *.*`,
        `${user}: SELECT, DROP ON ${db.name}.*`,
        `${user}: DELETE ON ${db.name}.user_event_wide`,
      ].sort(),
    );
    const fresh = await connectAs(db.users.app, db.name);
    try {
      expect(await errnoOf(fresh, 'DELETE FROM user_event_wide WHERE 1 = 0')).toBe(TABLE_DENIED);
      expect(await errnoOf(fresh, 'SELECT COUNT(*) FROM schema_migrations')).toBe(TABLE_DENIED);
    } finally {
      await fresh.end();
    }
    expect(await applyUsers(db.conn, db.users, TABLES, DIMENSIONS)).toEqual({
      created: [],
      granted: [],
      revoked: [],
    });
  });

  it("revokes as RDS's master user can: only what SHOW GRANTS lists, where REVOKE ALL PRIVILEGES is refused", async () => {
    // An administrator with exactly the RDS master user's privileges (no SUPER, no FILE, no
    // SHUTDOWN, …; https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/UsingWithRDS.MasterAccounts.html):
    // the grantor must hold every privilege it revokes, so `REVOKE ALL PRIVILEGES ON *.*` from it
    // fails with 1045 as soon as a user holds any global privilege.
    const master = { user: `rds_${db.name.slice(-6)}`, password: 'rds-Pw-1' };
    await db.conn.query(`CREATE USER ?@'%' IDENTIFIED BY ?`, [master.user, master.password]);
    await db.conn.query(
      `GRANT SELECT, INSERT, UPDATE, DELETE, CREATE, DROP, RELOAD, PROCESS, REFERENCES, INDEX, ALTER,
         SHOW DATABASES, CREATE TEMPORARY TABLES, LOCK TABLES, EXECUTE, REPLICATION CLIENT, CREATE VIEW,
         SHOW VIEW, CREATE ROUTINE, ALTER ROUTINE, CREATE USER, EVENT, TRIGGER, REPLICATION SLAVE
       ON *.* TO ?@'%' WITH GRANT OPTION`,
      [master.user],
    );
    const admin = await connectAs(master, db.name);
    try {
      const user = db.users.app.user;
      await db.conn.query(`GRANT PROCESS, RELOAD ON *.* TO ?@'%'`, [user]);
      expect(await errnoOf(admin, `REVOKE ALL PRIVILEGES ON *.* FROM ?@'%'`, [user])).toBe(1045);
      const report = await applyUsers(admin, db.users, TABLES, DIMENSIONS);
      expect(report.revoked).toEqual([`${user}: RELOAD, PROCESS ON *.*`]);
      expect((await grantsOf(user)).filter((g) => / ON \*\.\* /.test(g))).toEqual([
        expect.stringMatching(/^GRANT USAGE ON \*\.\* TO /),
      ]);
    } finally {
      await admin.end();
      await db.conn.query(`DROP USER ?@'%'`, [master.user]);
    }
  });

  it('revokes a role, a column grant, a GRANT OPTION and a wildcard database grant, and keeps what is listed', async () => {
    const app = db.users.app.user;
    const mig = db.users.migrator.user;
    const role = `r_${db.name.slice(-6)}`;
    const escaped = db.name.replaceAll('_', '\\_');
    await db.conn.query(`CREATE ROLE ${role}`);
    try {
      await db.conn.query(`GRANT ${role} TO ?@'%'`, [app]);
      await db.conn.query(`GRANT UPDATE (user_name) ON ${db.name}.dim_user TO ?@'%'`, [app]);
      await db.conn.query(`GRANT SELECT ON \`${escaped}\`.* TO ?@'%' WITH GRANT OPTION`, [mig]);
      await db.conn.query(`GRANT SELECT ON \`${db.name.slice(0, 8)}%\`.* TO ?@'%'`, [mig]);
      expect((await grantsOf(app)).join('\n')).toMatch(/UPDATE \(`user_name`\)/);

      const report = await applyUsers(db.conn, db.users, TABLES, DIMENSIONS);
      expect(report.granted).toEqual([]);
      expect(report.revoked.sort()).toEqual(
        [
          `${mig}: GRANT OPTION ON ${escaped}.*`,
          `${mig}: SELECT ON ${db.name.slice(0, 8)}%.*`,
          `${app}: role \`${role}\``,
          `${app}: UPDATE (\`user_name\`) ON ${db.name}.dim_user`,
        ].sort(),
      );
      expect(await tablePrivileges(app)).toMatchObject({ dim_user: 'SELECT' });
      const grants = [...(await grantsOf(app)), ...(await grantsOf(mig))].join('\n');
      expect(grants).not.toMatch(/GRANT OPTION|user_name|`r_/);
      expect(grants).toContain(`\`${escaped}\`.*`); // the migrator kept its database
      expect(await applyUsers(db.conn, db.users, TABLES, DIMENSIONS)).toEqual({
        created: [],
        granted: [],
        revoked: [],
      });
    } finally {
      await db.conn.query(`DROP ROLE IF EXISTS ${role}`);
    }
  });

  it("grants a new table to the user and to its rotation twin, and takes a dropped table's grants back", async () => {
    // What Secrets Manager's alternating-users rotation does on its first run: clone the user.
    const twin = { user: `${db.users.app.user}${CLONE_SUFFIX}`, password: 'twin-Pw-1' };
    await db.conn.query(`CREATE USER ?@'%' IDENTIFIED BY ?`, [twin.user, twin.password]);
    for (const grant of await grantsOf(db.users.app.user)) {
      if (grant.startsWith('GRANT USAGE')) continue;
      await db.conn.query(`${grant.split(' TO ')[0]} TO ?@'%'`, [twin.user]);
    }
    expect(await tablePrivileges(twin.user)).toEqual(await tablePrivileges(db.users.app.user));

    // A later migration adds a table, and the registry knows it.
    await migrator.query('CREATE TABLE probe_wide (event_id VARCHAR(64) PRIMARY KEY)');
    const withProbe = [...TABLES, { name: 'probe_wide' }];
    const report = await grantTables(db.conn, db.users, withProbe, DIMENSIONS);
    expect(report.granted.sort()).toEqual(
      [db.users.app.user, twin.user]
        .map((u) => `${u}: SELECT, INSERT, UPDATE ON ${db.name}.probe_wide`)
        .sort(),
    );
    for (const login of [db.users.app, twin]) {
      const conn = await connectAs(login, db.name);
      try {
        expect(await errnoOf(conn, 'INSERT INTO probe_wide (event_id) VALUES (?)', [login.user])).toBe(0);
        expect(
          await errnoOf(conn, 'UPDATE probe_wide SET event_id = event_id WHERE event_id = ?', [login.user]),
        ).toBe(0);
        expect(await errnoOf(conn, `DELETE FROM probe_wide`)).toBe(TABLE_DENIED);
      } finally {
        await conn.end();
      }
    }

    // The registry drops it again: so do the grants.
    const back = await grantTables(db.conn, db.users, TABLES, DIMENSIONS);
    expect(back.revoked.sort()).toEqual(
      [db.users.app.user, twin.user]
        .map((u) => `${u}: SELECT, INSERT, UPDATE ON ${db.name}.probe_wide`)
        .sort(),
    );
    await migrator.query('DROP TABLE probe_wide');
    await db.conn.query(`DROP USER ?@'%'`, [twin.user]);
  });

  it('refuses the administrator as the app or migrator user (its own privileges would be revoked), or one user for both', async () => {
    const [[{ me }]] = (await db.conn.query('SELECT CURRENT_USER() AS me')) as unknown as [[{ me: string }]];
    const administrator = { user: me.replace(/@[^@]*$/, ''), password: 'unused-Pw-1' };
    await expect(
      applyUsers(db.conn, { ...db.users, app: administrator }, TABLES, DIMENSIONS),
    ).rejects.toThrow(/must not be the administrator/);
    await expect(
      applyUsers(db.conn, { ...db.users, migrator: administrator }, TABLES, DIMENSIONS),
    ).rejects.toThrow(/must not be the administrator/);
    await expect(
      applyUsers(db.conn, { ...db.users, migrator: db.users.app }, TABLES, DIMENSIONS),
    ).rejects.toThrow(/must be different users/);
    // The administrator kept everything.
    const global = (await grantsOf(administrator.user)).filter(
      (g) => / ON \*\.\* TO /.test(g) && !g.startsWith('GRANT USAGE'),
    );
    expect(global.length).toBeGreaterThan(0);
  });

  it('refuses to grant a table of the registry that no migration created, naming it', async () => {
    await expect(
      grantTables(db.conn, db.users, [...TABLES, { name: 'missing_wide' }], DIMENSIONS),
    ).rejects.toThrow(/missing_wide does not exist in .*every table of the registry needs a migration/);
  });
});
