/**
 * combineRows against the real database: merging a state table's rows per key in the sink, then
 * sending one row per key, leaves the table exactly as sending every row in order would — onto
 * an empty table and onto existing rows, with ties, left-out columns and NULLs.
 */
import fc from 'fast-check';
import type { Connection } from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { userProfileWide } from '../../shared/domains/user.ts';
import { dialectForVersion, type SqlDialect } from '../../shared/tables/dialect.ts';
import { combineRows, type Row, type Table } from '../../shared/tables/table.ts';
import { dump, freshDatabase, type TestDatabase } from '../support/database.ts';

let db: TestDatabase;
let dialect: SqlDialect;
beforeAll(async () => {
  db = await freshDatabase();
  const [[{ version }]] = (await db.conn.query('SELECT VERSION() AS version')) as unknown as [
    [{ version: string }],
  ];
  dialect = dialectForVersion(version);
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

describe('combineRows (user_profile_wide: add, newest, newestBy)', () => {
  it('is combinable; a table with newestOrFirst is not', async () => {
    expect(userProfileWide.combinable).toBe(true);
    const { orderWide } = await import('../../shared/domains/order.ts');
    expect(orderWide.combinable).toBe(false);
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
