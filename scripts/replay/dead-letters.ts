/**
 * Replays rows of `event_dead_letter` after a fix: each chosen row's raw record is published again,
 * byte for byte (value, key, headers decoded from their stored base64), to its own topic and
 * partition or to another topic; then the rows whose publish was acknowledged are deleted. A record
 * that fails again is dead-lettered again under its new coordinates, so the old row has to go.
 *
 * Rows are read in coordinate order (topic, partition, offset), a page at a time, and each page is
 * published in one send before the next is read: a partition's records keep their order. A failed
 * send stops the run (its rows stay) so that nothing later in a partition overtakes it.
 */
import type { Producer } from '@platformatic/kafka';
import type { Connection, ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import type { StoredHeader } from '../../shared/sink/dead-letter.ts';
import { type RawRecord, Republisher } from './kafka.ts';

/** Which rows: `all`, or any combination of the selectors (rows matching every one given). */
export interface DeadLetterSelection {
  all?: boolean;
  reasons?: string[];
  ids?: number[];
  domain?: string;
  /** Rows first seen at or after this time. */
  since?: Date;
}

export interface DeadLetterReplayOptions {
  conn: Connection;
  /** Not needed for a dry run. */
  producer?: Producer;
  selection: DeadLetterSelection;
  /** Publish every row here instead of its own topic. */
  topic?: string;
  dryRun?: boolean;
  /** At most this many rows. */
  limit?: number;
  /**
   * `record_key` keeps at most 1,024 bytes: a stored key of exactly that length may be the head of a
   * longer one. Such rows are skipped unless this is set (then published with the stored bytes).
   */
  allowTruncatedKeys?: boolean;
  /** Rows per read and per send. */
  pageSize?: number;
  out?: (line: string) => void;
}

export interface DeadLetterReplayResult {
  /** Rows that matched the selection (up to the limit). */
  selected: number;
  published: number;
  deleted: number;
  /** Rows left in place, with why. */
  skipped: Array<{ id: number; why: string }>;
  /** The error that stopped the run, if one did. */
  error?: string;
}

export class SelectionError extends Error {
  override readonly name = 'SelectionError';
}

/** The largest key `event_dead_letter.record_key` holds (VARBINARY(1024)). */
const STORED_KEY_BYTES = 1024;

interface DeadLetterRow extends RowDataPacket {
  id: number;
  kafka_topic: string;
  kafka_partition: number;
  kafka_offset: number;
  record_key: Buffer | null;
  record_value: Buffer | null;
  headers: string | StoredHeader[] | null;
  reason: string;
  event_id: string | null;
  function_domain: string;
  first_seen_at: Date;
}

/** The WHERE clause of a selection; refuses an empty one (replaying everything must say `all`). */
export function selectionFilter(selection: DeadLetterSelection): { sql: string; params: unknown[] } {
  const clauses: string[] = [];
  const params: unknown[] = [];
  if (selection.reasons?.length) {
    clauses.push(`reason IN (${selection.reasons.map(() => '?').join(', ')})`);
    params.push(...selection.reasons);
  }
  if (selection.ids?.length) {
    clauses.push(`id IN (${selection.ids.map(() => '?').join(', ')})`);
    params.push(...selection.ids);
  }
  if (selection.domain) {
    clauses.push('function_domain = ?');
    params.push(selection.domain);
  }
  if (selection.since) {
    clauses.push('first_seen_at >= ?');
    params.push(selection.since);
  }
  if (clauses.length === 0 && !selection.all) {
    throw new SelectionError(
      'no rows chosen: give --reason, --id, --domain or --since (or --all to replay every dead letter)',
    );
  }
  if (clauses.length > 0 && selection.all) {
    throw new SelectionError('--all replays every dead letter: give it alone, without other selectors');
  }
  return { sql: clauses.length ? clauses.join(' AND ') : 'TRUE', params };
}

/** Headers as stored: a JSON array of {name, value: base64, text?}, decoded to bytes losslessly. */
export function decodeStoredHeaders(stored: DeadLetterRow['headers']): Array<[Buffer, Buffer]> {
  if (stored === null) return [];
  const list: unknown = typeof stored === 'string' ? JSON.parse(stored) : stored;
  if (!Array.isArray(list)) throw new Error('headers are not a JSON array');
  return list.map((header: unknown, i) => {
    const { name, value } = (header ?? {}) as { name?: unknown; value?: unknown };
    if (typeof name !== 'string' || typeof value !== 'string' || !isBase64(value)) {
      throw new Error(`header ${i} is not {name, value: base64}`);
    }
    return [Buffer.from(name, 'utf8'), Buffer.from(value, 'base64')];
  });
}

export function isBase64(text: string): boolean {
  return text.length % 4 === 0 && /^[A-Za-z0-9+/]*={0,2}$/.test(text);
}

/** The dry-run line of a row: coordinates, reason, domain, event id, sizes. Never a byte of the payload. */
function rowLine(row: DeadLetterRow, topic: string): string {
  return [
    `id=${row.id}`,
    `${row.kafka_topic}-${row.kafka_partition}@${row.kafka_offset}`,
    `reason=${row.reason}`,
    `domain=${row.function_domain}`,
    `event=${row.event_id ?? '-'}`,
    `first_seen=${row.first_seen_at.toISOString()}`,
    `value=${row.record_value === null ? 'null' : `${row.record_value.length}B`}`,
    `key=${row.record_key === null ? 'null' : `${row.record_key.length}B`}`,
    ...(topic === row.kafka_topic ? [] : [`to=${topic}`]),
  ].join(' ');
}

/** The record a row stored, to publish to `topic`; or why it is skipped. */
function recordOfRow(row: DeadLetterRow, topic: string, allowTruncatedKeys: boolean): RawRecord | string {
  if (row.record_key && row.record_key.length >= STORED_KEY_BYTES && !allowTruncatedKeys) {
    return `key stored truncated at ${STORED_KEY_BYTES} bytes (--allow-truncated-keys publishes it so)`;
  }
  let headers: Array<[Buffer, Buffer]>;
  try {
    headers = decodeStoredHeaders(row.headers);
  } catch (error) {
    return `stored headers unreadable: ${(error as Error).message}`;
  }
  return {
    topic,
    sourceTopic: row.kafka_topic,
    sourcePartition: row.kafka_partition,
    key: row.record_key,
    value: row.record_value,
    headers,
  };
}

export async function replayDeadLetters(options: DeadLetterReplayOptions): Promise<DeadLetterReplayResult> {
  const out = options.out ?? ((line: string) => console.log(line));
  const filter = selectionFilter(options.selection);
  const pageSize = options.pageSize ?? 500;
  const limit = options.limit ?? Number.POSITIVE_INFINITY;
  if (!options.dryRun && !options.producer) throw new Error('a producer is needed unless it is a dry run');
  const publisher = options.producer && new Republisher(options.producer);
  const result: DeadLetterReplayResult = { selected: 0, published: 0, deleted: 0, skipped: [] };
  // Keyset pagination in Kafka order; the row id breaks ties between records of a recreated topic.
  let after: [string, number, number, number] | undefined;

  while (result.selected < limit) {
    const take = Math.min(pageSize, limit - result.selected);
    const [rows] = await options.conn.query<DeadLetterRow[]>(
      `SELECT id, kafka_topic, kafka_partition, kafka_offset, record_key, record_value, headers,
              reason, event_id, function_domain, first_seen_at
         FROM event_dead_letter
        WHERE (${filter.sql})
          ${after ? 'AND (kafka_topic, kafka_partition, kafka_offset, id) > (?, ?, ?, ?)' : ''}
        ORDER BY kafka_topic, kafka_partition, kafka_offset, id
        LIMIT ${Number(take)}`,
      [...filter.params, ...(after ?? [])],
    );
    if (rows.length === 0) break;
    const last = rows[rows.length - 1]!;
    after = [last.kafka_topic, last.kafka_partition, Number(last.kafka_offset), Number(last.id)];
    result.selected += rows.length;

    const records: Array<{ row: DeadLetterRow; record: RawRecord }> = [];
    for (const row of rows) {
      const topic = options.topic ?? row.kafka_topic;
      const record = recordOfRow(row, topic, options.allowTruncatedKeys === true);
      if (typeof record === 'string') {
        result.skipped.push({ id: row.id, why: record });
        out(`skip ${rowLine(row, topic)}: ${record}`);
        continue;
      }
      records.push({ row, record });
      if (options.dryRun) out(`would replay ${rowLine(row, topic)}`);
    }
    if (options.dryRun || !publisher || records.length === 0) continue;

    const failed = await publisher.publish(records.map((r) => r.record));
    if (failed) {
      result.error = `publishing ${records.length} records failed, their rows are kept: ${failed}`;
      break;
    }
    result.published += records.length;
    for (const { row, record } of records) out(`replayed ${rowLine(row, record.topic)}`);
    const ids = records.map((r) => r.row.id);
    try {
      const [deleted] = await options.conn.query<ResultSetHeader>(
        `DELETE FROM event_dead_letter WHERE id IN (${ids.map(() => '?').join(', ')})`,
        ids,
      );
      result.deleted += deleted.affectedRows;
    } catch (error) {
      result.error =
        `published, but deleting their rows failed (delete ids ${ids.join(', ')} by hand, or a later ` +
        `replay publishes them again): ${(error as Error).message}`;
      break;
    }
  }
  return result;
}
