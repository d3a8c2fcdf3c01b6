/**
 * combineRows against the real database: merging a state table's rows per key in the sink, then
 * sending one row per key, leaves the table exactly as sending every row in order would — onto
 * an empty table and onto existing rows, with ties, left-out columns and NULLs.
 *
 * Merge semantics live in two places — the upsert's SQL (shared/tables/dialect.ts) and
 * combineRows (shared/tables/combine.ts) — and this property test is what proves they agree (issue
 * 21: "merge semantics have one source, or a property test over every merge kind proves they
 * agree"): the `merge_kinds` table below has a column of EVERY merge kind table.ts defines (add,
 * min, max, newest, newestOrFirst, newestBy, lastValue, firstValue), and the test fails when a kind
 * is added to the Merge type without a column here. A kind's outcome must also not depend on the
 * order rows arrive in where the kind promises it (every kind but newestOrFirst and the first
 * value of unmerged columns): the second property sends the rows shuffled.
 */
import fc from 'fast-check';
import type { Connection } from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { userProfileWide } from '../../shared/domains/user.ts';
import { combineRows } from '../../shared/tables/combine.ts';
import { dialectForVersion, type SqlDialect } from '../../shared/tables/dialect.ts';
import {
  datetime,
  decimal,
  defineTable,
  int,
  type Merge,
  type Row,
  type Table,
  varchar,
} from '../../shared/tables/table.ts';
import { dump, freshDatabase, type TestDatabase } from '../support/database.ts';

let db: TestDatabase;
let dialect: SqlDialect;
beforeAll(async () => {
  db = await freshDatabase();
  const [[{ version }]] = (await db.conn.query('SELECT VERSION() AS version')) as unknown as [
    [{ version: string }],
  ];
  dialect = dialectForVersion(version);
  const key = "VARCHAR(100) CHARACTER SET ascii COLLATE ascii_bin NOT NULL DEFAULT ''";
  for (const [name, extra] of [
    ['merge_kinds', ''],
    ['merge_kinds_or_first', 'or_first VARCHAR(8) NULL,'],
  ]) {
    await db.conn.query(`CREATE TABLE ${name} (
      k VARCHAR(8) NOT NULL, total DECIMAL(30,4) NOT NULL DEFAULT 0, n INT NOT NULL DEFAULT 0,
      lo DECIMAL(18,4) NULL, hi DATETIME(3) NULL, lo_int INT NULL, newest_v VARCHAR(8) NULL, ${extra}
      by_v VARCHAR(8) NULL, by_w VARCHAR(8) NULL, by_key ${key},
      last_v VARCHAR(8) NULL, last_v_key ${key}, first_v VARCHAR(8) NULL, first_v_key ${key},
      plain VARCHAR(8) NULL, last_event_key ${key}, PRIMARY KEY (k))`);
  }
});
afterAll(async () => {
  await db?.drop();
});

/** One upsert of `rows`, as the sink writes them (a left-out value is the column's DEFAULT), in the server's dialect. */
async function upsert(conn: Connection, table: Table, rows: Row[]): Promise<void> {
  if (rows.length === 0) return;
  const params: unknown[] = [];
  const tuples = rows.map(
    (row) =>
      `(${table.written
        .map((column) => {
          if (row[column] === undefined) return 'DEFAULT';
          params.push(row[column]);
          return '?';
        })
        .join(', ')})`,
  );
  await conn.query(dialect.upsert(table, tuples.join(', ')), params);
}

const maybe = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });
const at = (minute: number) => new Date(1_790_000_000_000 + minute * 60_000);
const profileRow: fc.Arbitrary<Row> = fc
  .record({
    user_id: fc.constantFrom('u1', 'u2', 'u3'),
    login_count: maybe(fc.integer({ min: 0, max: 3 })),
    view_count: maybe(fc.integer({ min: 0, max: 3 })),
    purchase_count: maybe(fc.integer({ min: 0, max: 2 })),
    purchase_amount: maybe(
      fc.oneof(
        fc.constantFrom('19.99', '0.0001', '-5.5', '1234567.8901', '3'),
        fc.integer({ min: 0, max: 99 }),
      ),
    ),
    // Few distinct order keys, so ties happen; sometimes none at all.
    last_login_key: maybe(fc.constantFrom('k1', 'k2', 'k3')),
    last_device: maybe(fc.constantFrom('ios', 'web', null)),
    last_login_at: maybe(fc.integer({ min: 0, max: 9 }).map(at)),
    user_name: maybe(fc.constantFrom('Ann', 'Bob', null)),
    user_level: maybe(fc.constantFrom('gold', null)),
    region: maybe(fc.constantFrom('north', 'south')),
    last_event_time: maybe(fc.integer({ min: 0, max: 9 }).map(at)),
    last_event_key: maybe(fc.constantFrom('e1', 'e2', 'e3', 'e4')),
  })
  .map((row) => Object.fromEntries(Object.entries(row).filter(([, v]) => v !== undefined)) as Row);

/** A column of every merge kind; `Record<Kind, …>` makes a new kind a compile error until it has one. */
const EVERY_KIND = {
  add: { total: 'add', n: 'add' },
  min: { lo: 'min', lo_int: 'min' },
  max: { hi: 'max' },
  newest: { newest_v: 'newest' },
  newestOrFirst: { or_first: 'newestOrFirst' },
  newestBy: { by_v: { newestBy: 'by_key' }, by_w: { newestBy: 'by_key' } },
  lastValue: { last_v: { lastValue: 'last_v_key' } },
  firstValue: { first_v: { firstValue: 'first_v_key' } },
} satisfies Record<MergeKind, Record<string, Merge>>;
type MergeKind = Exclude<Merge, object> | keyof UnionKeys<Extract<Merge, object>>;
type UnionKeys<T> = { [K in T extends object ? keyof T : never]: true };

const kindsColumns = {
  k: varchar(8),
  total: decimal(30, 4).defaulted(),
  n: int().defaulted(),
  lo: decimal(18, 4).null(),
  hi: datetime().null(),
  lo_int: int().null(),
  newest_v: varchar(8).null(),
  by_v: varchar(8).null(),
  by_w: varchar(8).null(),
  by_key: varchar(100).defaulted(),
  last_v: varchar(8).null(),
  last_v_key: varchar(100).defaulted(),
  first_v: varchar(8).null(),
  first_v_key: varchar(100).defaulted(),
  plain: varchar(8).null(),
  last_event_key: varchar(100).defaulted(),
};
const { newestOrFirst, ...combinableKinds } = EVERY_KIND;
const mergeKinds = defineTable({
  name: 'merge_kinds',
  columns: kindsColumns,
  key: ['k'],
  merge: Object.assign({}, ...Object.values(combinableKinds)),
}) as unknown as Table;
const mergeKindsOrFirst = defineTable({
  name: 'merge_kinds_or_first',
  columns: { ...kindsColumns, or_first: varchar(8).null() },
  key: ['k'],
  merge: Object.assign({}, ...Object.values(EVERY_KIND)),
}) as unknown as Table;

const orderKey = maybe(fc.constantFrom('', 'k1', 'k2', 'k3'));
const kindsRow: fc.Arbitrary<Row> = fc
  .record({
    k: fc.constantFrom('a', 'b'),
    total: maybe(fc.oneof(fc.constantFrom('19.99', '-5.5', '0.0001'), fc.integer({ min: -9, max: 9 }))),
    n: maybe(fc.integer({ min: 0, max: 3 })),
    lo: maybe(
      fc.oneof(fc.constantFrom('1.5', '-2', '10.0001', '1.50', null), fc.integer({ min: -3, max: 3 })),
    ),
    hi: maybe(fc.option(fc.integer({ min: 0, max: 9 }).map(at), { nil: null })),
    lo_int: maybe(fc.option(fc.integer({ min: -3, max: 3 }), { nil: null })),
    newest_v: maybe(fc.constantFrom('x', 'y', null)),
    or_first: maybe(fc.constantFrom('x', 'y', null)),
    by_v: maybe(fc.constantFrom('x', 'y', null)),
    by_w: maybe(fc.constantFrom('x', null)),
    by_key: orderKey,
    last_v: maybe(fc.constantFrom('x', 'y', 'z', null)),
    last_v_key: orderKey,
    first_v: maybe(fc.constantFrom('x', 'y', 'z', null)),
    first_v_key: orderKey,
    plain: maybe(fc.constantFrom('x', 'y', null)),
    last_event_key: maybe(fc.constantFrom('e1', 'e2', 'e3')),
  })
  .map((row) => Object.fromEntries(Object.entries(row).filter(([, v]) => v !== undefined)) as Row);

describe('combineRows: every merge kind', () => {
  const state = async (table: Table) =>
    (await dump(db.conn, table.name, 'k')).map((row) => ({
      ...row,
      hi: row.hi === null ? null : (row.hi as Date).getTime(),
    }));
  const run = async (table: Table, before: Row[], send: () => Promise<void>) => {
    await db.conn.query(`DELETE FROM ${table.name}`);
    for (const row of before) await upsert(db.conn, table, combineRows(table, [row]));
    await send();
    return state(table);
  };
  const withoutOrFirst = ({ or_first: _, ...row }: Row) => row;

  for (const table of [mergeKinds, mergeKindsOrFirst]) {
    it(`${table.name}: one combined statement has the effect of every row in order`, async () => {
      expect(table.combinable).toBe(table === mergeKinds);
      await fc.assert(
        fc.asyncProperty(
          fc.array(kindsRow, { maxLength: 3 }),
          fc.array(kindsRow, { minLength: 1, maxLength: 10 }),
          async (before, rows) => {
            const shape = table === mergeKinds ? withoutOrFirst : (row: Row) => row;
            const sent = rows.map(shape);
            const earlier = before.map(shape);
            const inOrder = await run(table, earlier, async () => {
              for (const row of sent) await upsert(db.conn, table, combineRows(table, [row]));
            });
            const combined = await run(table, earlier, () =>
              upsert(db.conn, table, combineRows(table, sent)),
            );
            expect(combined).toEqual(inOrder);
          },
        ),
        { numRuns: 120 },
      );
    }, 120_000);
  }

  it('add, min, max, newest, newestBy, lastValue and firstValue do not depend on arrival order', async () => {
    const ordered = ['total', 'n', 'lo', 'hi', 'lo_int', 'by_v', 'by_w', 'by_key', 'last_v', 'last_v_key'];
    const project = (rows: Array<Record<string, unknown>>) =>
      rows.map((row) => ({
        ...Object.fromEntries(ordered.map((c) => [c, row[c]])),
        first_v: row.first_v,
        first_v_key: row.first_v_key,
        newest_v: row.newest_v,
      }));
    // Unique order keys per kind (ties keep the first row, which depends on arrival order).
    const unique = (rows: Row[]) =>
      rows.map((row, i) => {
        const out: Row = { ...row, last_event_key: `e${i}` };
        for (const c of ['by_key', 'last_v_key', 'first_v_key']) {
          if (typeof out[c] === 'string' && out[c] !== '') out[c] = `${out[c]}-${i}`;
        }
        return out;
      });
    await fc.assert(
      fc.asyncProperty(
        fc.array(kindsRow, { minLength: 1, maxLength: 8 }).map((rows) => unique(rows.map(withoutOrFirst))),
        fc.integer(),
        async (rows, seed) => {
          const shuffled = [...rows].sort((a, b) => hash(a, seed) - hash(b, seed));
          const send = (list: Row[]) => async () => {
            for (const row of list) await upsert(db.conn, mergeKinds, combineRows(mergeKinds, [row]));
          };
          const first = project(await run(mergeKinds, [], send(rows)));
          expect(project(await run(mergeKinds, [], send(shuffled)))).toEqual(first);
        },
      ),
      { numRuns: 80 },
    );
  }, 120_000);
});

/** A row's place in a seeded shuffle. */
function hash(row: Row, seed: number): number {
  let h = seed | 0;
  for (const ch of JSON.stringify(row)) h = (Math.imul(h, 31) + ch.charCodeAt(0)) | 0;
  return h;
}

describe('combineRows (user_profile_wide: add, newest, newestBy, lastValue)', () => {
  it('is combinable, as order_wide is; a table with newestOrFirst is not', async () => {
    expect(userProfileWide.combinable).toBe(true);
    const { orderWide } = await import('../../shared/domains/order.ts');
    expect(orderWide.combinable).toBe(true);
    expect(mergeKindsOrFirst.combinable).toBe(false);
  });

  it('one combined row per key has the effect of every row in order', async () => {
    const table = userProfileWide as unknown as Table;
    const state = async () =>
      (await dump(db.conn, table.name, 'user_id')).map(({ updated_at: _, ...row }) => row);
    await fc.assert(
      fc.asyncProperty(
        fc.array(profileRow, { maxLength: 4 }),
        fc.array(profileRow, { minLength: 1, maxLength: 12 }),
        async (before, rows) => {
          const run = async (send: () => Promise<void>) => {
            await db.conn.query(`DELETE FROM ${table.name}`);
            for (const row of before) await upsert(db.conn, table, combineRows(table, [row]));
            await send();
            return state();
          };
          const inOrder = await run(async () => {
            for (const row of rows) await upsert(db.conn, table, combineRows(table, [row]));
          });
          const combined = await run(() => upsert(db.conn, table, combineRows(table, rows)));
          expect(combined).toEqual(inOrder);
        },
      ),
      { numRuns: 150 },
    );
  }, 120_000);
});
