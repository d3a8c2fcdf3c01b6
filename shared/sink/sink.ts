/**
 * The MySQL sink: applies one batch's writes in one transaction with a small, constant number of
 * statements (multi-row upserts), so a failure leaves nothing half-applied.
 *
 * Exactly-once effect: event rows are keyed by event_id and written once. State rows (counters,
 * newest-wins merges) must be applied only for events written for the first time, even when two
 * workers replay the same batch at once. The transaction therefore
 *   1. locks the state rows the batch touches (insert-if-absent, keys sorted, so every writer
 *      takes them in the same order) — writers of the same entity now queue here;
 *   2. reads which of the batch's event ids already exist (READ COMMITTED: the latest commits,
 *      including those of a writer that held the locks just before);
 *   3. inserts the new event rows;
 *   4. merges the state rows of the new events only;
 *   5. writes the batch's dead letters (unique on Kafka coordinates).
 * A batch without state rows (event rows only) skips steps 1, 2 and 4: its rows are inserted
 * write-once and the rows the database did not insert are the duplicates (affected rows).
 * Sessions run in READ COMMITTED (set once per connection, shared/sink/database.ts).
 */
import type { ApplyResult, BatchSink, BatchWrites } from '../pipeline/batch.ts';
import type { EventWrite } from '../pipeline/processor.ts';
import type { Row, SqlValue, Table } from '../tables/table.ts';
import type { Database, Queryable } from './database.ts';
import { deadLetterRow, eventDeadLetter } from './dead-letter.ts';

export interface SinkOptions {
  /** Rows per INSERT statement; a 1,000-event batch fits one statement per table by default. */
  maxRowsPerStatement?: number;
}

export class MySqlSink implements BatchSink {
  readonly #db: Database;
  readonly #maxRows: number;

  constructor(db: Database, options: SinkOptions = {}) {
    this.#db = db;
    this.#maxRows = options.maxRowsPerStatement ?? 1_000;
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
      const stateTables = groupBy(
        unique.flatMap((w) => w.state),
        (s) => s.table,
      );
      for (const [table, writesOfTable] of sortedByName(stateTables)) {
        await this.#lockStateRows(
          conn,
          table,
          writesOfTable.map((w) => w.row),
        );
      }

      const existing = new Set<string>();
      for (const [table, events] of groupBy(unique, (w) => w.event.table)) {
        for (const ids of chunks(
          events.map((w) => w.eventId),
          this.#maxRows,
        )) {
          const rows = await conn.query<Array<{ event_id: string }>>(
            `SELECT event_id FROM ${table.name} WHERE event_id IN (?)`,
            [ids],
          );
          for (const row of rows) existing.add(row.event_id);
        }
      }
      const fresh = unique.filter((w) => !existing.has(w.eventId)).sort(byId);

      for (const [table, events] of groupBy(fresh, (w) => w.event.table)) {
        await this.#upsert(
          conn,
          table,
          events.map((w) => w.event.row),
        );
      }
      for (const [table, states] of sortedByName(
        groupBy(
          fresh.flatMap((w) => w.state),
          (s) => s.table,
        ),
      )) {
        await this.#upsert(
          conn,
          table,
          states.map((s) => s.row),
        );
      }
      await this.#writeDeadLetters(conn, writes);

      return {
        applied: fresh.length,
        duplicates: withinBatchDuplicates + existing.size,
        deadLettered: writes.deadLetters.length,
      };
    });
  }

  async #writeDeadLetters(conn: Queryable, writes: BatchWrites): Promise<void> {
    await this.#upsert(
      conn,
      eventDeadLetter as unknown as Table,
      writes.deadLetters.map((d) => deadLetterRow(d).row),
    );
  }

  async #lockStateRows(conn: Queryable, table: Table, rows: Row[]): Promise<void> {
    const keyOf = (row: Row) => JSON.stringify(table.key.map((k) => row[k]));
    const keys = uniqueBy(rows, keyOf).sort((a, b) =>
      keyOf(a) < keyOf(b) ? -1 : keyOf(a) > keyOf(b) ? 1 : 0,
    );
    await this.#insert(conn, table.name, table.key, `${table.key[0]} = ${table.key[0]}`, keys);
  }

  /** Inserts or merges rows; returns how many rows it inserted or changed. */
  async #upsert(conn: Queryable, table: Table, rows: Row[]): Promise<number> {
    return this.#insert(conn, table.name, table.written, table.upsert, rows);
  }

  async #insert(
    conn: Queryable,
    table: string,
    columns: readonly string[],
    onDuplicate: string,
    rows: Row[],
  ): Promise<number> {
    const tuple = `(${columns.map(() => '?').join(', ')})`;
    let affected = 0;
    for (const chunk of chunks(rows, this.#maxRows)) {
      const result = await conn.query<{ affectedRows?: number }>(
        `INSERT INTO ${table} (${columns.join(', ')}) VALUES ${chunk.map(() => tuple).join(', ')} ` +
          `ON DUPLICATE KEY UPDATE ${onDuplicate}`,
        chunk.flatMap((row) => columns.map((column) => toParam(row[column]))),
      );
      affected += result.affectedRows ?? 0;
    }
    return affected;
  }
}

function toParam(value: SqlValue | undefined): SqlValue {
  if (value === undefined) return null;
  if (typeof value === 'boolean') return value ? 1 : 0;
  return value;
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
