/**
 * Every table definition matches what the migrations create (information_schema), and the check
 * notices a column added on either side only.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { schemaDrift } from '../../db/schema-drift.ts';
import { TABLES } from '../../shared/domains/registry.ts';
import { defineTable, varchar } from '../../shared/tables/table.ts';
import { freshDatabase, type TestDatabase } from '../support/database.ts';

let db: TestDatabase;
beforeAll(async () => {
  db = await freshDatabase('lrt_drift');
});
afterAll(async () => {
  await db?.drop();
});

describe('schema drift', () => {
  it('finds none between the definitions and the migrated database', async () => {
    expect(TABLES.length).toBeGreaterThanOrEqual(8);
    expect(await schemaDrift(db.conn, TABLES)).toEqual([]);
  });

  it('notices a column a migration added that the definition lacks', async () => {
    await db.conn.query('ALTER TABLE product_event_wide ADD COLUMN campaign VARCHAR(64) NULL');
    try {
      expect(await schemaDrift(db.conn, TABLES)).toEqual([
        'product_event_wide.campaign: in the database, not in the definition',
      ]);
    } finally {
      await db.conn.query('ALTER TABLE product_event_wide DROP COLUMN campaign');
    }
  });

  it('notices a column the definition has that no migration created', async () => {
    const product = TABLES.find((t) => t.name === 'product_event_wide')!;
    const extended = defineTable({
      name: product.name,
      columns: { ...product.columns, campaign: varchar(64).null() },
      key: [...product.key] as never[],
    });
    expect(await schemaDrift(db.conn, [extended])).toEqual([
      'product_event_wide.campaign: in the definition, not in the database',
    ]);
  });

  it('notices a type, nullability or key that differs, and a table no migration creates', async () => {
    const user = TABLES.find((t) => t.name === 'dim_user')!;
    const changed = defineTable({
      name: 'dim_user',
      columns: { ...user.columns, user_name: varchar(64).null(), region: varchar(64) },
      key: ['user_name'],
    });
    const missing = defineTable({ name: 'dim_store', columns: { store_id: varchar(64) }, key: ['store_id'] });
    expect(await schemaDrift(db.conn, [changed, missing])).toEqual([
      'dim_user.user_name: defined as varchar(64), the database has varchar(128)',
      'dim_user.region: defined NOT NULL, the database has NULL',
      'dim_user: key (user_name) is not a primary or unique key in the database',
      'dim_store: defined, but no migration creates it',
    ]);
  });
});
