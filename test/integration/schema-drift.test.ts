/**
 * Every table definition matches what the migrations create (information_schema), and the check
 * notices a column added on either side only, a collation or character set changed under an id,
 * and a database-filled column the database no longer fills. (MySQL 8.4's rows:
 * test/unit/db/schema-drift.test.ts.)
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

  it('notices an id column made case-insensitive, or moved to another character set', async () => {
    await db.conn.query(
      'ALTER TABLE dim_user MODIFY user_id VARCHAR(64) COLLATE utf8mb4_unicode_ci NOT NULL',
    );
    await db.conn.query(
      'ALTER TABLE user_event_wide MODIFY kafka_topic VARCHAR(249) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL',
    );
    try {
      expect(await schemaDrift(db.conn, TABLES)).toEqual([
        'user_event_wide.kafka_topic: compares byte for byte (ascii ascii_bin), the database has utf8mb4 utf8mb4_bin',
        'dim_user.user_id: compares byte for byte (utf8mb4 utf8mb4_bin), the database has utf8mb4 utf8mb4_unicode_ci',
      ]);
    } finally {
      await db.conn.query('ALTER TABLE dim_user MODIFY user_id VARCHAR(64) COLLATE utf8mb4_bin NOT NULL');
      await db.conn.query(
        'ALTER TABLE user_event_wide MODIFY kafka_topic VARCHAR(249) CHARACTER SET ascii COLLATE ascii_bin NOT NULL',
      );
    }
    expect(await schemaDrift(db.conn, TABLES)).toEqual([]);
  });

  it('notices a column the database should fill whose default became a constant', async () => {
    await db.conn.query(
      "ALTER TABLE order_wide MODIFY updated_at DATETIME(3) NOT NULL DEFAULT '2000-01-01 00:00:00.000'",
    );
    try {
      expect(await schemaDrift(db.conn, TABLES)).toEqual([
        'order_wide.updated_at: filled by the database, but the database neither generates a default for it nor auto-increments it',
      ]);
    } finally {
      await db.conn.query(
        'ALTER TABLE order_wide MODIFY updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3)',
      );
    }
  });
});
