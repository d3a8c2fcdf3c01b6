/**
 * The README's extension guide ("Extending it"), followed on a full copy of the project (under
 * .local/): each step edits the files the guide names, the test counts them, and the copy's own
 * handlers then run, as the restricted app user, against the real database deployed with the
 * copy's migrations and grants (nothing else to edit: the grants follow the registry).
 *   1. a SQL event type with its own table (its sample payload beside its schema): its domain
 *      module + a migration;
 *   2. a dimension table: its declaration + a migration — nothing in the pipeline, the handler
 *      factory or the config loader;
 *   3. a code event type with its own table, joined to that dimension: its domain module + a migration.
 * The copy is full (every file git tracks). Then the recipe's commands run on it — `npm run schemas`
 * and the SQL compile step (their `--check` forms fail before and pass after), `tsc` on the whole
 * project, and the whole unit project: the tests of the domains and the pipeline derive the types,
 * their sample payloads and the dimensions from the registry, and those checking recorded outputs
 * (MySQL 8.4 grants and columns, the upserts) compare the tables recorded, so a new one is no
 * edit there.
 */
import { execFile, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectAs, dump, freshDatabase, type TestDatabase } from '../support/database.ts';
import { businessEvent, type Json, kafkaEvent, kafkaRecord, lambdaContext } from '../support/events.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
/** The guide's three migrations take the next free numbers, whatever the project has by then. */
const nextNumber =
  Math.max(...readdirSync(join(root, 'db/migrations')).map((f) => Number.parseInt(f, 10) || 0)) + 1;
const migration = (offset: number, name: string) => `${String(nextNumber + offset).padStart(3, '0')}_${name}`;
const SIGNUP = migration(0, 'user_signup');
const STORE = migration(1, 'dim_store');
const PICKUP = migration(2, 'order_pickup');
const copy = join(root, '.local', `extension-guide-${process.pid}`);
/** A full copy: every file git tracks (the working tree's version of it). */
const COPIED = execFileSync('git', ['ls-files', '-z'], { cwd: root, encoding: 'utf8' })
  .split('\0')
  .filter(Boolean);
const run = promisify(execFile);

/** Runs `node <args>` in the copy; its exit code and output. */
async function inCopy(...args: string[]): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, args, { cwd: copy, timeout: 400_000 });
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const { code, stdout, stderr } = error as { code: number; stdout: string; stderr: string };
    return { code, output: stdout + stderr };
  }
}

function snapshot(): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.name === 'node_modules') continue;
      if (entry.isDirectory()) walk(path);
      else files.set(relative(copy, path), createHash('sha256').update(readFileSync(path)).digest('hex'));
    }
  };
  walk(copy);
  return files;
}

/** The files changed or added since `before`. */
function touched(before: Map<string, string>): string[] {
  return [...snapshot()]
    .filter(([file, hash]) => before.get(file) !== hash)
    .map(([file]) => file)
    .sort();
}

/** Replaces `from` (which must occur exactly once) in a file of the copy. */
function edit(file: string, from: string, to: string): void {
  const path = join(copy, file);
  const text = readFileSync(path, 'utf8');
  expect(text.split(from), `${file} must contain ${from} once`).toHaveLength(2);
  writeFileSync(path, text.replace(from, to));
}

const write = (file: string, text: string) => writeFileSync(join(copy, file), text);

let db: TestDatabase;
beforeAll(async () => {
  mkdirSync(copy, { recursive: true });
  for (const file of COPIED) {
    mkdirSync(dirname(join(copy, file)), { recursive: true });
    if (existsSync(join(root, file))) cpSync(join(root, file), join(copy, file));
  }
  symlinkSync(join(root, 'node_modules'), join(copy, 'node_modules'));
  db = await freshDatabase('lrt_guide');
});
afterAll(async () => {
  await db?.drop();
  rmSync(copy, { recursive: true, force: true });
});

describe('the extension guide', () => {
  it('1. a SQL event type: its domain module and a migration', () => {
    const before = snapshot();
    write(
      `db/migrations/${SIGNUP}.sql`,
      `CREATE TABLE IF NOT EXISTS user_signup_wide (
  event_id VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL, event_type VARCHAR(64) NOT NULL,
  event_time DATETIME(3) NOT NULL, event_version VARCHAR(9) NOT NULL, source VARCHAR(64) NOT NULL,
  user_id VARCHAR(64) COLLATE utf8mb4_bin NOT NULL, channel VARCHAR(32) NOT NULL,
  user_name VARCHAR(128) NULL, user_level VARCHAR(32) NULL, region VARCHAR(64) NULL,
  kafka_topic VARCHAR(249) CHARACTER SET ascii COLLATE ascii_bin NOT NULL, kafka_partition INT NOT NULL,
  kafka_offset BIGINT NOT NULL, processed_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  PRIMARY KEY (event_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
`,
    );
    edit(
      'shared/domains/user.ts',
      'export const user = defineDomain({',
      `export const userSignupV1 = z.object({ userId: id, channel: text(32).check(z.minLength(1)) });
export const userSignupWide = defineTable({
  name: 'user_signup_wide',
  columns: { ...EVENT_COLUMNS, user_id: idColumn(), channel: varchar(32), ...USER_COLUMNS, ...KAFKA_COLUMNS },
  key: ['event_id'],
});
const signup = {
  type: 'user_signup',
  version: '1.0',
  payload: userSignupV1,
  sample: (i: number) => ({ userId: \`u\${i % 7}\`, channel: 'app' }),
};
const signupProcessors = sql(
  \`INSERT INTO user_signup_wide
SELECT e.userId AS user_id, e.channel, u.user_name, u.region
FROM user_signup e
LEFT JOIN dim_user FOR SYSTEM_TIME AS OF e.proc_time AS u ON u.user_id = e.userId\`,
  { tables: [userSignupWide], events: [signup] },
);

export const user = defineDomain({`,
    );
    edit(
      'shared/domains/user.ts',
      '  events,\n  tables: [userEventWide, userProfileWide],',
      '  events: [...events, signup],\n  tables: [userEventWide, userProfileWide, userSignupWide],',
    );
    edit(
      'shared/domains/user.ts',
      '  processors: [userLogin, userPurchase, userView],',
      '  processors: [userLogin, userPurchase, userView, ...signupProcessors],',
    );
    expect(touched(before)).toEqual([`db/migrations/${SIGNUP}.sql`, 'shared/domains/user.ts']);
  });

  it('2. a dimension table: its declaration and a migration', () => {
    const before = snapshot();
    write(
      `db/migrations/${STORE}.sql`,
      `CREATE TABLE IF NOT EXISTS dim_store (
  store_id   VARCHAR(64) COLLATE utf8mb4_bin NOT NULL,
  store_name VARCHAR(128) NULL,
  city       VARCHAR(64) NULL,
  updated_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
  PRIMARY KEY (store_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
`,
    );
    edit(
      'shared/domains/dimensions.ts',
      'export const DIMENSIONS = [userDimension, productDimension] as const;',
      `export const storeDimension = defineDimension({
  name: 'dim_store',
  columns: {
    store_id: varchar(64),
    store_name: varchar(128).null(),
    city: varchar(64).null(),
    updated_at: timestamp().byDatabase(),
  },
  key: 'store_id',
  returns: ['store_name', 'city'],
  cache: { ttlMs: 600_000, preload: true },
});

export const DIMENSIONS = [userDimension, productDimension, storeDimension] as const;`,
    );
    expect(touched(before)).toEqual([`db/migrations/${STORE}.sql`, 'shared/domains/dimensions.ts']);
  });

  it('3. a code event type with its own table, joined to the new dimension: its domain module and a migration', () => {
    const before = snapshot();
    write(
      `db/migrations/${PICKUP}.sql`,
      `CREATE TABLE IF NOT EXISTS order_pickup_wide (
  event_id VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL, event_type VARCHAR(64) NOT NULL,
  event_time DATETIME(3) NOT NULL, event_version VARCHAR(9) NOT NULL, source VARCHAR(64) NOT NULL,
  order_id VARCHAR(64) COLLATE utf8mb4_bin NOT NULL, store_id VARCHAR(64) COLLATE utf8mb4_bin NOT NULL,
  store_name VARCHAR(128) NULL, city VARCHAR(64) NULL,
  kafka_topic VARCHAR(249) CHARACTER SET ascii COLLATE ascii_bin NOT NULL, kafka_partition INT NOT NULL,
  kafka_offset BIGINT NOT NULL, processed_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  PRIMARY KEY (event_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
`,
    );
    edit(
      'shared/domains/order.ts',
      'export const order = defineDomain({',
      `export const orderPickupV1 = z.object({ orderId: id, storeId: id });
export const orderPickupWide = defineTable({
  name: 'order_pickup_wide',
  columns: {
    ...EVENT_COLUMNS,
    order_id: idColumn(),
    store_id: idColumn(),
    store_name: varchar(128).null(),
    city: varchar(64).null(),
    ...KAFKA_COLUMNS,
  },
  key: ['event_id'],
});
export const orderPickup = defineProcessor<z.output<typeof orderPickupV1>, Dimensions>({
  type: 'order_pickup',
  dimensionKeys: (e) => ({ dim_store: e.payload.storeId }),
  toWrite(e, dims, record) {
    const store = dims.get('dim_store', e.payload.storeId);
    return {
      eventId: e.eventId,
      event: rowOf(orderPickupWide, {
        ...eventRow(e, record),
        order_id: e.payload.orderId,
        store_id: e.payload.storeId,
        store_name: store?.store_name ?? null,
        city: store?.city ?? null,
      }),
      state: [],
    };
  },
});

export const order = defineDomain({`,
    );
    edit(
      'shared/domains/order.ts',
      '  events,\n  tables: [orderEventWide, orderWide],',
      `  events: [
    ...events,
    { type: 'order_pickup', version: '1.0', payload: orderPickupV1, sample: (i: number) => ({ orderId: \`o\${i}\`, storeId: 's1' }) },
  ],
  tables: [orderEventWide, orderWide, orderPickupWide],`,
    );
    edit(
      'shared/domains/order.ts',
      "import type { DimensionView, EventProcessor } from '../pipeline/processor.ts';",
      "import { type DimensionView, defineProcessor, type EventProcessor } from '../pipeline/processor.ts';",
    );
    edit(
      'shared/domains/order.ts',
      '  EVENT_COLUMNS,\n  idColumn,',
      '  EVENT_COLUMNS,\n  eventRow,\n  idColumn,',
    );
    edit(
      'shared/domains/order.ts',
      '  processors: [orderCreate, orderPay, orderCancel],',
      '  processors: [orderCreate, orderPay, orderCancel, orderPickup],',
    );
    expect(touched(before)).toEqual([`db/migrations/${PICKUP}.sql`, 'shared/domains/order.ts']);
  });

  it("the recipe's commands: npm run schemas, the SQL compile step, tsc and the unit tests", async () => {
    // Before: typecheck's checks fail, naming what to run.
    const staleSchemas = await inCopy('scripts/schemas.ts', '--check');
    expect(staleSchemas.code).not.toBe(0);
    const staleSql = await inCopy('scripts/compile-sql.ts', '--check');
    expect(staleSql.code).toBe(1);
    expect(staleSql.output).toMatch(/sql\.compiled\.json is out of date/);
    // The recipe: npm run schemas, then the SQL compile step (npm run build's first part).
    expect((await inCopy('scripts/schemas.ts')).code).toBe(0);
    expect((await inCopy('scripts/compile-sql.ts')).code).toBe(0);
    expect(await inCopy('scripts/schemas.ts', '--check')).toMatchObject({ code: 0 });
    expect(await inCopy('scripts/compile-sql.ts', '--check')).toMatchObject({ code: 0 });
    expect(readdirSync(join(copy, 'schemas/json-schema'), { recursive: true }).join(' ')).toMatch(
      /user_signup/,
    );
    // npm run typecheck's compiler step on the whole copy.
    const tsc = await inCopy(
      join(root, 'node_modules/typescript/bin/tsc'),
      '--noEmit',
      '-p',
      'tsconfig.json',
    );
    expect(tsc).toEqual({ code: 0, output: '' });
    // The unit tests, all of them, pass with the new types, table and dimension.
    const unit = await inCopy(
      join(root, 'node_modules/vitest/vitest.mjs'),
      'run',
      '--reporter=verbose',
      '--project',
      'unit',
    );
    expect(unit.output).toMatch(/user_signup 1\.0 declares a sample payload/);
    expect(unit.code, unit.output).toBe(0);
  }, 600_000);

  it('the copy migrates, matches its definitions, reads the new variables and runs the new types', async () => {
    const { deploySchema } = await import(join(copy, 'db/deploy-schema.ts'));
    const { schemaDrift } = await import(join(root, 'db/schema-drift.ts'));
    const registry = await import(join(copy, 'shared/domains/registry.ts'));
    const { createHandler } = await import(join(copy, 'shared/runtime/create-handler.ts'));
    const { loadConfig } = await import(join(copy, 'shared/runtime/config.ts'));

    // The copy's deployment step, as its schema-migration function would run it: its migrations
    // (as the migrator), then grants on the new tables for the functions' restricted user.
    const deployed = await deploySchema({
      admin: db.conn,
      connectMigrator: () => connectAs(db.users.migrator, db.name),
      users: db.users,
      tables: registry.TABLES,
      dimensions: registry.DIMENSIONS,
    });
    expect(deployed.migrations.applied).toEqual([SIGNUP, STORE, PICKUP]);
    const app = db.users.app.user;
    expect(deployed.users.granted).toEqual([
      `${app}: SELECT ON ${db.name}.dim_store`,
      `${app}: SELECT, INSERT, UPDATE ON ${db.name}.order_pickup_wide`,
      `${app}: SELECT, INSERT, UPDATE ON ${db.name}.user_signup_wide`,
    ]);
    expect(await schemaDrift(db.conn, registry.TABLES)).toEqual([]);
    // The store dimension's cache variables exist, derived from its declaration.
    expect(() => loadConfig({ ...db.env, DIM_STORE_TTL_SECONDS: 'soon' }, 'order')).toThrow(
      /DIM_STORE_TTL_SECONDS/,
    );
    expect(loadConfig({ ...db.env, DIM_STORE_MAX_ENTRIES: '7' }, 'order').dimensionCache.dim_store).toEqual({
      maxEntries: 7,
    });

    await db.conn.query(`INSERT INTO dim_user (user_id, user_name, region) VALUES ('u5', 'Dee', 'west')`);
    await db.conn.query(
      `INSERT INTO dim_store (store_id, store_name, city) VALUES ('s1', 'Central', 'Lyon')`,
    );
    const handler = (domain: string) =>
      createHandler(registry.domain(domain), { env: db.env, writeLog: () => {} });

    const signup: Json = {
      ...businessEvent('user_login', { type: 'user_signup', eventId: 'signup-1' }),
      payload: { userId: 'u5', channel: 'app' },
    };
    const badSignup = { ...signup, eventId: 'bad-signup', payload: { userId: 'u5' } };
    const userBatch = kafkaEvent([
      kafkaRecord({ offset: 1, value: signup }),
      kafkaRecord({ offset: 2, value: badSignup }),
      kafkaRecord({ offset: 3, value: businessEvent('user_login', {}, { userId: 'u5' }) }),
    ]);
    const pickup: Json = {
      ...businessEvent('order_cancel', { domain: 'order', type: 'order_pickup', eventId: 'pickup-1' }),
      payload: { orderId: 'o1', storeId: 's1' },
    };
    const pickupElsewhere: Json = {
      ...pickup,
      eventId: 'pickup-2',
      payload: { orderId: 'o2', storeId: 's9' },
    };
    const orderBatch = kafkaEvent([
      kafkaRecord({ offset: 10, value: pickup }),
      kafkaRecord({ offset: 11, value: pickupElsewhere }),
    ]);
    for (let i = 0; i < 2; i++) {
      expect((await handler('user')(userBatch, lambdaContext())).batchItemFailures).toEqual([]);
      expect((await handler('order')(orderBatch, lambdaContext())).batchItemFailures).toEqual([]);
    }

    expect(await dump(db.conn, 'user_signup_wide', 'event_id')).toMatchObject([
      {
        event_id: 'signup-1',
        user_id: 'u5',
        channel: 'app',
        user_name: 'Dee',
        region: 'west',
        user_level: null,
        kafka_offset: '1',
      },
    ]);
    expect(await dump(db.conn, 'order_pickup_wide', 'event_id')).toMatchObject([
      { event_id: 'pickup-1', order_id: 'o1', store_id: 's1', store_name: 'Central', city: 'Lyon' },
      { event_id: 'pickup-2', order_id: 'o2', store_id: 's9', store_name: null, city: null },
    ]);
    expect(await dump(db.conn, 'event_dead_letter', 'kafka_offset')).toMatchObject([
      { kafka_offset: '2', reason: 'schema', event_id: 'bad-signup' },
    ]);
    expect(await dump(db.conn, 'user_event_wide', 'event_id')).toHaveLength(1);
  });
});
