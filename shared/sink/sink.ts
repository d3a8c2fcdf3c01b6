/**
 * The MySQL sink: applies one batch's writes in one transaction with a small, constant number of
 * statements (multi-row upserts), so a failure leaves nothing half-applied, and in at most two round
 * trips to the server: a transaction's statements travel together (Database's `commitAll`).
 *
 * Exactly-once effect: event rows are keyed by event_id and written once. State rows (counters,
 * newest-wins merges) must be applied only for events written for the first time, even when two
 * workers replay the same batch at once. So
 *   1. one round trip reads which of the batch's event ids already exist (READ COMMITTED: the
 *      latest commits);
 *   2. a second runs, as one transaction, a plain INSERT of the other events' rows, the merges of
 *      their state rows (one row per key where the table's merges allow: combineRows, keys sorted so
 *      concurrent writers lock them in one order), the batch's dead letters (unique on Kafka
 *      coordinates), and COMMIT. An event another writer committed after step 1 makes the INSERT
 *      fail on its key (inserting an id another open transaction has just inserted waits for it
 *      first); the server stops there, the transaction is rolled back, and the whole is run again (a
 *      lock conflict, retried like a deadlock), when step 1 sees those events.
 * A batch without state rows (event rows only) needs neither step 1 nor the plain INSERT: its rows
 * are upserted write-once, in one round trip, and the rows the database did not insert are the
 * duplicates (affected rows).
 * Every kind of row is sent sorted by its key, so concurrent writers lock keys in one order.
 * Sessions run in READ COMMITTED, and a duplicate left as it was counts 0 affected rows: both are
 * proved once per pool before the first transaction (shared/sink/session-check.ts), which also
 * picks the SQL dialect the statements are written in (shared/tables/dialect.ts).
 */
import type { ApplyResult, BatchSink, BatchWrites } from '../pipeline/ports.ts';
import type { EventWrite } from '../pipeline/processor.ts';
import { combineRows } from '../tables/combine.ts';
import type { SqlDialect } from '../tables/dialect.ts';
import type { Row, Table } from '../tables/table.ts';
import type { Database, Queryable } from './database.ts';
import { ConcurrentWriteError, isDuplicateKey } from './db-errors.ts';
import { compareDeadLetterRows, deadLetterRow, eventDeadLetter } from './dead-letter.ts';
import { checkSession } from './session-check.ts';
import { valuesList } from './values-list.ts';

export interface SinkOptions {
  /** Rows per INSERT statement; a 1,000-event batch fits one statement per table by default. */
  maxRowsPerStatement?: number;
}

/** What the sink needs of its database: a connection (`run`), and a check of each pool before its first use. */
export type SinkDatabase = Pick<Database, 'run' | 'verifyEachPool'>;

export class MySqlSink implements BatchSink {
  readonly #db: SinkDatabase;
  readonly #maxRows: number;
  /** The server's dialect, known once a pool passed checkSession (before any transaction runs). */
  #dialect: SqlDialect | undefined;

  constructor(db: SinkDatabase, options: SinkOptions = {}) {
    this.#db = db;
    this.#maxRows = options.maxRowsPerStatement ?? 1_000;
    db.verifyEachPool(async (conn) => {
      this.#dialect = await checkSession(conn);
    });
  }

  get #sql(): SqlDialect {
    if (!this.#dialect) throw new Error('the sink wrote before its session check ran');
    return this.#dialect;
  }

  async apply(writes: BatchWrites): Promise<ApplyResult> {
    const unique = uniqueBy(writes.events, (w) => w.eventId);
    const withinBatchDuplicates = writes.events.length - unique.length;
    if (unique.length === 0 && writes.deadLetters.length === 0) {
      return { applied: 0, duplicates: withinBatchDuplicates, deadLettered: 0 };
    }
    const deadLettered = writes.deadLetters.length;
    // Sorted, so concurrent writers of overlapping batches take row locks in one order.
    const byId = (a: EventWrite, b: EventWrite) => (a.eventId < b.eventId ? -1 : 1);
    if (!unique.some((w) => w.state.length > 0)) {
      return this.#db.run(async (conn) => {
        // Built here, once the pool's session check has chosen the dialect.
        const events = this.#eventStatements('upsert', [...unique].sort(byId));
        const results = await conn.commitAll([...events, ...this.#deadLetterStatements(writes)]);
        const applied = sum(results.slice(0, events.length).map((r) => r.affectedRows ?? 0));
        return { applied, duplicates: withinBatchDuplicates + unique.length - applied, deadLettered };
      });
    }
    return this.#db.run(async (conn) => {
      // Autocommit, READ COMMITTED: the latest commits. The transaction below refuses any event
      // committed after this read (its plain INSERT fails on the key), and the whole is run again.
      const existing = await this.#existing(conn, unique);
      const fresh = unique.filter((w) => !existing.has(w.eventId)).sort(byId);
      try {
        await conn.commitAll([
          ...this.#eventStatements('insert', fresh),
          ...this.#stateStatements(fresh),
          ...this.#deadLetterStatements(writes),
        ]);
      } catch (error) {
        throw isDuplicateKey(error) ? new ConcurrentWriteError(error) : error;
      }
      return { applied: fresh.length, duplicates: withinBatchDuplicates + existing.size, deadLettered };
    });
  }

  /** The event ids of `events` that are in their tables already. */
  async #existing(conn: Queryable, events: readonly EventWrite[]): Promise<Set<string>> {
    const existing = new Set<string>();
    const sql = this.#sql;
    for (const [table, group] of groupBy(events, (w) => w.event.table)) {
      for (const ids of chunks(
        group.map((w) => w.eventId),
        this.#maxRows,
      )) {
        const rows = await conn.query<Array<{ event_id: string }>>(
          `SELECT ${sql.quote('event_id')} FROM ${sql.quote(table.name)} WHERE ${sql.quote('event_id')} IN (?)`,
          [ids],
        );
        for (const row of rows) existing.add(row.event_id);
      }
    }
    return existing;
  }

  /**
   * The event rows, a statement per table (and chunk): `upsert` leaves a duplicate as it was and
   * counts it 0 affected rows; `insert` fails on it.
   */
  #eventStatements(kind: 'upsert' | 'insert', events: readonly EventWrite[]): string[] {
    return [...groupBy(events, (w) => w.event.table)].flatMap(([table, group]) =>
      this.#statements(
        kind,
        table,
        group.map((w) => w.event.row),
      ),
    );
  }

  /**
   * The state rows of the events inserted: one row per key where the table's merges allow
   * (combineRows), tables in name order and keys sorted, so concurrent writers lock them in one order.
   */
  #stateStatements(fresh: readonly EventWrite[]): string[] {
    return sortedByName(
      groupBy(
        fresh.flatMap((w) => w.state),
        (s) => s.table,
      ),
    ).flatMap(([table, states]) => {
      const keyOf = (row: Row) => JSON.stringify(table.key.map((k) => row[k]));
      const rows = combineRows(
        table,
        states.map((s) => s.row),
      )
        .map((row) => ({ row, key: keyOf(row) }))
        .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
        .map(({ row }) => row);
      return this.#statements('upsert', table, rows);
    });
  }

  /**
   * Dead letters sorted by their unique key: the upserts take next-key locks on it even in READ
   * COMMITTED, so unsorted bursts of bad records on a shared topic could deadlock each other.
   */
  #deadLetterStatements(writes: BatchWrites): string[] {
    return this.#statements(
      'upsert',
      eventDeadLetter,
      writes.deadLetters.map((d) => deadLetterRow(d).row).sort(compareDeadLetterRows),
    );
  }

  /**
   * Statements inserting or merging `rows`, at most maxRowsPerStatement each. The values are escaped
   * into the statement here (valuesList), so mysql2 sends it as it is, without scanning it for `?`;
   * a value the row leaves out is the column's DEFAULT (NULL, or the NOT NULL column's default).
   */
  #statements(kind: 'upsert' | 'insert', table: Table, rows: Row[]): string[] {
    const sql = this.#sql;
    return [...chunks(rows, this.#maxRows)].map((chunk) =>
      sql[kind](table, valuesList(table.written, chunk)),
    );
  }
}

function sum(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0);
}

function uniqueBy<T>(items: readonly T[], key: (item: T) => string): T[] {
  const seen = new Set<string>();
  return items.filter((item) => {
    const k = key(item);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

function groupBy<T, K>(items: readonly T[], key: (item: T) => K): Map<K, T[]> {
  const groups = new Map<K, T[]>();
  for (const item of items) {
    const k = key(item);
    const group = groups.get(k);
    if (group) group.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}

function sortedByName<V>(groups: Map<Table, V>): Array<[Table, V]> {
  return [...groups].sort(([a], [b]) => a.name.localeCompare(b.name));
}

function* chunks<T>(items: readonly T[], size: number): Generator<T[]> {
  for (let i = 0; i < items.length; i += size) yield items.slice(i, i + size);
}
