/**
 * The MySQL sink: applies one batch's writes in one transaction with a small, constant number of
 * statements (multi-row upserts), so a failure leaves nothing half-applied.
 *
 * Exactly-once effect: event rows are keyed by event_id and written once. State rows (counters,
 * newest-wins merges) must be applied only for events written for the first time, even when two
 * workers replay the same batch at once. The transaction therefore
 *   1. reads which of the batch's event ids already exist (READ COMMITTED: the latest commits);
 *   2. inserts the others' event rows. Inserting an event id another open transaction has just
 *      inserted waits for it; if that one commits, ours is a duplicate and inserts fewer rows than
 *      step 1 promised — then the whole transaction is rolled back and run again (a lock
 *      conflict, retried like a deadlock), and step 1 now sees those events;
 *   3. merges the state rows of the events it inserted, one row per key where the table's merges
 *      allow (combineRows), keys sorted so concurrent writers lock them in one order;
 *   4. writes the batch's dead letters (unique on Kafka coordinates).
 * A batch without state rows (event rows only) needs neither step 1 nor 3: its rows are inserted
 * write-once and the rows the database did not insert are the duplicates (affected rows).
 * Every kind of row is sent sorted by its key, so concurrent writers lock keys in one order.
 * Sessions run in READ COMMITTED, and a duplicate left as it was counts 0 affected rows: both are
 * proved once per pool before the first transaction (shared/sink/session-check.ts), which also
 * picks the SQL dialect the statements are written in (shared/tables/dialect.ts).
 */
import type { ApplyResult, BatchSink, BatchWrites } from '../pipeline/ports.ts';
import type { EventWrite } from '../pipeline/processor.ts';
import type { SqlDialect } from '../tables/dialect.ts';
import { combineRows, type Row, type Table } from '../tables/table.ts';
import type { Database, Queryable } from './database.ts';
import { ConcurrentWriteError } from './db-errors.ts';
import { compareDeadLetterRows, deadLetterRow, eventDeadLetter } from './dead-letter.ts';
import { checkSession } from './session-check.ts';
import { valuesList } from './values-list.ts';

export interface SinkOptions {
  /** Rows per INSERT statement; a 1,000-event batch fits one statement per table by default. */
  maxRowsPerStatement?: number;
}

/** What the sink needs of its database: transactions, and a check of each pool before its first. */
export type SinkDatabase = Pick<Database, 'transaction' | 'verifyEachPool'>;

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
    // Sorted, so concurrent writers of overlapping batches take row locks in one order.
    const byId = (a: EventWrite, b: EventWrite) => (a.eventId < b.eventId ? -1 : 1);
    if (!unique.some((w) => w.state.length > 0)) {
      return this.#db.transaction(async (conn) => {
        let applied = 0;
        for (const [table, events] of groupBy([...unique].sort(byId), (w) => w.event.table)) {
          applied += await this.#upsert(
            conn,
            table,
            events.map((w) => w.event.row),
          );
        }
        await this.#writeDeadLetters(conn, writes);
        return {
          applied,
          duplicates: withinBatchDuplicates + unique.length - applied,
          deadLettered: writes.deadLetters.length,
        };
      });
    }
    return this.#db.transaction(async (conn) => {
      const existing = new Set<string>();
      for (const [table, events] of groupBy(unique, (w) => w.event.table)) {
        for (const ids of chunks(
          events.map((w) => w.eventId),
          this.#maxRows,
        )) {
          const sql = this.#sql;
          const rows = await conn.query<Array<{ event_id: string }>>(
            `SELECT ${sql.quote('event_id')} FROM ${sql.quote(table.name)} WHERE ${sql.quote('event_id')} IN (?)`,
            [ids],
          );
          for (const row of rows) existing.add(row.event_id);
        }
      }
      const fresh = unique.filter((w) => !existing.has(w.eventId)).sort(byId);

      let inserted = 0;
      for (const [table, events] of groupBy(fresh, (w) => w.event.table)) {
        inserted += await this.#upsert(
          conn,
          table,
          events.map((w) => w.event.row),
        );
      }
      if (inserted !== fresh.length) throw new ConcurrentWriteError(fresh.length - inserted);

      for (const [table, states] of sortedByName(
        groupBy(
          fresh.flatMap((w) => w.state),
          (s) => s.table,
        ),
      )) {
        const keyOf = (row: Row) => JSON.stringify(table.key.map((k) => row[k]));
        const rows = combineRows(
          table,
          states.map((s) => s.row),
        )
          .map((row) => ({ row, key: keyOf(row) }))
          .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
          .map(({ row }) => row);
        await this.#upsert(conn, table, rows);
      }
      await this.#writeDeadLetters(conn, writes);

      return {
        applied: fresh.length,
        duplicates: withinBatchDuplicates + existing.size,
        deadLettered: writes.deadLetters.length,
      };
    });
  }

  /**
   * Dead letters sorted by their unique key: the upserts take next-key locks on it even in READ
   * COMMITTED, so unsorted bursts of bad records on a shared topic could deadlock each other.
   */
  async #writeDeadLetters(conn: Queryable, writes: BatchWrites): Promise<void> {
    await this.#upsert(
      conn,
      eventDeadLetter,
      writes.deadLetters.map((d) => deadLetterRow(d).row).sort(compareDeadLetterRows),
    );
  }

  /**
   * Inserts or merges rows; returns how many rows it inserted or changed. The values are escaped
   * into the statement here (valuesList), so mysql2 sends it as it is, without scanning it for `?`.
   */
  async #upsert(conn: Queryable, table: Table, rows: Row[]): Promise<number> {
    let affected = 0;
    for (const chunk of chunks(rows, this.#maxRows)) {
      // A value the row leaves out is the column's DEFAULT (NULL, or the NOT NULL column's default).
      const sql = this.#sql.upsert(table, valuesList(table.written, chunk));
      const result = await conn.query<{ affectedRows?: number }>(sql);
      affected += result.affectedRows ?? 0;
    }
    return affected;
  }
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
