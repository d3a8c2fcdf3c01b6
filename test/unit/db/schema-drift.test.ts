/**
 * The drift check on MySQL 8.4, from recorded information_schema rows (test/fixtures/mysql-8.4/):
 * no int display widths, `json` as its own type, DEFAULT_GENERATED in EXTRA, collations — the
 * branch no local server runs. (MariaDB's: test/integration/schema-drift.test.ts.)
 */
import type { Connection } from 'mysql2/promise';
import { describe, expect, it } from 'vitest';
import { expectedTextStorage, schemaDrift } from '../../../db/schema-drift.ts';
import { TABLES as REGISTERED } from '../../../shared/domains/registry.ts';
import { batchFixture } from './recorded-server.ts';

type Row = Record<string, string | null>;

const COLUMNS = batchFixture('information-schema-columns.tsv');
const STATISTICS = batchFixture('information-schema-statistics.tsv');
/**
 * The tables the recording was made for. The registry may have more since (a table added as the
 * extension guide adds one), which the recorded rows cannot hold; so the check runs on the
 * registered tables the recording holds, and every one of those must still be registered (the
 * first test below).
 */
const RECORDED = new Set(COLUMNS.map((r) => r.TABLE_NAME));
const TABLES = REGISTERED.filter((t) => RECORDED.has(t.name));

/** A connection answering the drift check's queries from recorded rows. */
function recorded(columns: Row[], version = '8.4.8'): Connection {
  const query = async (sql: string, params: unknown[] = []) => {
    const table = String(params[0]);
    if (sql.startsWith('SELECT VERSION()')) return [[{ version }], []];
    if (sql.includes('information_schema.COLUMNS')) {
      return [columns.filter((r) => r.TABLE_NAME === table), []];
    }
    if (sql.includes('information_schema.STATISTICS')) {
      return [STATISTICS.filter((r) => r.TABLE_NAME === table && r.NON_UNIQUE === '0'), []];
    }
    throw new Error(`not recorded: ${sql}`);
  };
  return { query } as unknown as Connection;
}

/** The recorded rows with one column's values changed. */
function withColumn(table: string, column: string, change: Row): Row[] {
  let found = false;
  const rows = COLUMNS.map((r) => {
    if (r.TABLE_NAME !== table || r.COLUMN_NAME !== column) return r;
    found = true;
    return { ...r, ...change };
  });
  if (!found) throw new Error(`no recorded column ${table}.${column}`);
  return rows;
}

describe('schemaDrift on MySQL 8.4 (recorded rows)', () => {
  it("finds none in the migrated tables as MySQL 8.4 reports them: int, json, DEFAULT_GENERATED, the DDL's collations", async () => {
    expect(COLUMNS.length).toBeGreaterThan(100);
    expect(COLUMNS.find((r) => r.COLUMN_NAME === 'headers')).toMatchObject({
      COLUMN_TYPE: 'json',
      CHARACTER_SET_NAME: null,
    });
    expect(await schemaDrift(recorded(COLUMNS), TABLES)).toEqual([]);
  });

  it('holds rows of registered tables only: every table recorded is still registered', () => {
    expect(RECORDED.size).toBeGreaterThan(5);
    expect(TABLES.map((t) => t.name).sort()).toEqual([...RECORDED].sort());
    expect(new Set(STATISTICS.map((r) => r.TABLE_NAME))).toEqual(RECORDED);
  });

  it('reports an id column that compares case-insensitively in the server default utf8mb4_0900_ai_ci', async () => {
    const dimUser = batchFixture('information-schema-columns-dim-user-server-default.tsv');
    const rows = [...COLUMNS.filter((r) => r.TABLE_NAME !== 'dim_user'), ...dimUser];
    expect(await schemaDrift(recorded(rows), TABLES)).toEqual([
      'dim_user.user_id: compares byte for byte (utf8mb4 utf8mb4_bin), the database has utf8mb4 utf8mb4_0900_ai_ci',
    ]);
  });

  it('reports ids and order keys in the wrong character set or collation, and text that is not utf8mb4', async () => {
    const cases: Array<[string, string, Row, string]> = [
      [
        'user_event_wide',
        'event_id',
        { CHARACTER_SET_NAME: 'ascii', COLLATION_NAME: 'ascii_general_ci' },
        'user_event_wide.event_id: compares byte for byte (ascii ascii_bin), the database has ascii ascii_general_ci',
      ],
      [
        'order_wide',
        'last_event_key',
        { CHARACTER_SET_NAME: 'utf8mb4', COLLATION_NAME: 'utf8mb4_bin' },
        'order_wide.last_event_key: compares byte for byte (ascii ascii_bin), the database has utf8mb4 utf8mb4_bin',
      ],
      [
        'order_event_wide',
        'pay_method',
        { CHARACTER_SET_NAME: 'latin1', COLLATION_NAME: 'latin1_swedish_ci' },
        'order_event_wide.pay_method: holds utf8mb4 text, the database has latin1 latin1_swedish_ci',
      ],
    ];
    for (const [table, column, change, problem] of cases) {
      expect(await schemaDrift(recorded(withColumn(table, column, change)), TABLES)).toEqual([problem]);
    }
    // Free text may use any utf8mb4 collation, the 8.4 default included.
    const ai = withColumn('dim_user', 'user_name', { COLLATION_NAME: 'utf8mb4_0900_ai_ci' });
    expect(await schemaDrift(recorded(ai), TABLES)).toEqual([]);
  });

  it('expects JSON as json on MySQL (LONGTEXT is MariaDB’s alias only)', async () => {
    const longtext = withColumn('event_dead_letter', 'headers', {
      COLUMN_TYPE: 'longtext',
      CHARACTER_SET_NAME: 'utf8mb4',
      COLLATION_NAME: 'utf8mb4_bin',
    });
    expect(await schemaDrift(recorded(longtext), TABLES)).toEqual([
      'event_dead_letter.headers: defined as json, the database has longtext',
    ]);
    expect(await schemaDrift(recorded(longtext, '10.11.19-MariaDB-0+deb12u1'), TABLES)).toEqual([]);
  });

  it('reports a database-filled column whose default is a constant, not DEFAULT_GENERATED', async () => {
    const constant = withColumn('user_event_wide', 'processed_at', {
      COLUMN_DEFAULT: '2000-01-01 00:00:00.000',
      EXTRA: '',
    });
    expect(await schemaDrift(recorded(constant), TABLES)).toEqual([
      'user_event_wide.processed_at: filled by the database, but the database neither generates a default for it nor auto-increments it',
    ]);
  });

  it("still accepts MariaDB's display widths", async () => {
    const widths = withColumn('event_dead_letter', 'kafka_partition', { COLUMN_TYPE: 'int(11)' });
    expect(await schemaDrift(recorded(widths), TABLES)).toEqual([]);
  });
});

describe('expectedTextStorage', () => {
  it('follows contract 6: event ids, topics and order keys ascii_bin; entity ids utf8mb4_bin; other text utf8mb4', () => {
    expect(expectedTextStorage('order_event_wide', 'event_id')).toEqual({
      characterSet: 'ascii',
      collation: 'ascii_bin',
    });
    expect(expectedTextStorage('event_dead_letter', 'kafka_topic').collation).toBe('ascii_bin');
    expect(expectedTextStorage('order_wide', 'paid_key').collation).toBe('ascii_bin');
    expect(expectedTextStorage('dim_store', 'store_id')).toEqual({
      characterSet: 'utf8mb4',
      collation: 'utf8mb4_bin',
    });
    expect(expectedTextStorage('dim_user', 'region')).toEqual({ characterSet: 'utf8mb4' });
    // What a bad record claimed as its id: kept for people, never compared.
    expect(expectedTextStorage('event_dead_letter', 'event_id')).toEqual({ characterSet: 'utf8mb4' });
  });
});
