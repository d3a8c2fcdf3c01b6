/**
 * event_dead_letter: records that can never be processed, kept with their raw bytes, headers and
 * reason so they can be fixed and replayed. One row per Kafka record (unique on its coordinates and
 * timestamp), whichever function saw it first — and a row for every record, whatever its timestamp:
 * the key holds the timestamp as Kafka does, epoch milliseconds in a BIGINT, NO_TIMESTAMP (-1) for
 * none, never NULL (a NULL in a unique key never matches, so every delivery would add a row).
 * record_timestamp is the same instant for people, NULL where DATETIME cannot hold it (before year
 * 1000, after 9999: Kafka accepts any int64) or there is none. db/migrations/004, 005, 007.
 */
import type { KafkaEventRecord } from '../pipeline/lambda-event.ts';
import type { DeadLetter } from '../pipeline/ports.ts';
import {
  bigint,
  datetime,
  defineTable,
  int,
  json,
  longblob,
  type Row,
  rowOf,
  type SqlValue,
  type TableRow,
  text,
  varbinary,
  varchar,
} from '../tables/table.ts';

export const eventDeadLetter = defineTable({
  name: 'event_dead_letter',
  columns: {
    id: bigint().byDatabase(),
    kafka_topic: varchar(249),
    kafka_partition: int(),
    kafka_offset: bigint(),
    record_timestamp: datetime().null(),
    record_timestamp_ms: bigint(),
    record_key: varbinary(1024).null(),
    record_value: longblob().null(),
    headers: json().null(),
    reason: varchar(32),
    error_message: text(),
    event_id: varchar(255).null(),
    function_domain: varchar(32),
    first_seen_at: datetime().byDatabase(),
  },
  // One row per Kafka record: its coordinates and its timestamp (a recreated topic reuses offsets).
  key: ['kafka_topic', 'kafka_partition', 'kafka_offset', 'record_timestamp_ms'],
});

/** Kafka's "no timestamp" (RecordBatch.NO_TIMESTAMP), and the key's value for a record without one. */
export const NO_TIMESTAMP = -1;

/**
 * DATETIME's supported range, '1000-01-01 00:00:00.000000' to '9999-12-31 23:59:59.499999' (MySQL
 * 8.4 manual, 13.2.1 "Date and Time Data Type Syntax").
 */
const DATETIME_MIN = Date.UTC(1000, 0, 1);
const DATETIME_MAX = Date.UTC(9999, 11, 31, 23, 59, 59, 499);
const INT64_MAX = 2n ** 63n - 1n;

/**
 * A record's timestamp as the dead letter's key holds it: whole epoch milliseconds within BIGINT,
 * NO_TIMESTAMP for a record without one (missing, not a number).
 */
export function timestampKey(timestamp: unknown): number | bigint {
  if (typeof timestamp !== 'number' || !Number.isFinite(timestamp)) return NO_TIMESTAMP;
  const ms = Math.trunc(timestamp);
  if (Number.isSafeInteger(ms)) return ms;
  const big = BigInt(ms);
  return big > INT64_MAX ? INT64_MAX : big < -INT64_MAX - 1n ? -INT64_MAX - 1n : big;
}

/** The same instant for people, where DATETIME(3) can hold it. */
function readableTimestamp(key: number | bigint): Date | null {
  if (key === NO_TIMESTAMP || typeof key === 'bigint') return null;
  return key >= DATETIME_MIN && key <= DATETIME_MAX ? new Date(key) : null;
}

export function deadLetterRow({ record, error, domain, eventId }: DeadLetter): TableRow {
  const timestamp = timestampKey(record.timestamp);
  return rowOf(eventDeadLetter, {
    kafka_topic: record.topic,
    kafka_partition: record.partition,
    kafka_offset: record.offset,
    record_timestamp: readableTimestamp(timestamp),
    record_timestamp_ms: timestamp,
    record_key: record.key ? Buffer.from(record.key, 'base64').subarray(0, 1024) : null,
    record_value: record.value ? Buffer.from(record.value, 'base64') : null,
    headers: JSON.stringify(headersOf(record)),
    reason: error.reason,
    error_message: error.message.slice(0, 4_000),
    event_id: eventId?.slice(0, 255) ?? null,
    function_domain: domain,
  });
}

/**
 * Orders dead-letter rows as event_dead_letter's unique key orders them (the topic's collation is
 * ascii_bin: byte order), so the sink's upserts lock the keys in one order.
 */
export function compareDeadLetterRows(a: Row, b: Row): number {
  for (const column of eventDeadLetter.key) {
    const order = compareValues(a[column], b[column]);
    if (order !== 0) return order;
  }
  return 0;
}

function compareValues(a: SqlValue | undefined, b: SqlValue | undefined): number {
  if (a === b) return 0;
  if (a === null || a === undefined) return -1; // NULL first, as in the index
  if (b === null || b === undefined) return 1;
  const x = a instanceof Date ? a.getTime() : a;
  const y = b instanceof Date ? b.getTime() : b;
  return x < y ? -1 : x > y ? 1 : 0;
}

export interface StoredHeader {
  name: string;
  /** The value's bytes, base64: always there, so nothing is lost. */
  value: string;
  /** The value as text, when it is valid UTF-8 (for people and queries). */
  text?: string;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Headers kept losslessly, in order, duplicates included. Lambda delivers a value as an array of
 * byte values, which some producers' events carry signed (-128…127); a value given as a base64
 * string is decoded as such.
 */
export function headersOf(record: Pick<KafkaEventRecord, 'headers'>): StoredHeader[] {
  const out: StoredHeader[] = [];
  for (const header of Array.isArray(record.headers) ? record.headers : []) {
    if (header === null || typeof header !== 'object') continue;
    for (const [name, value] of Object.entries(header)) {
      const bytes = headerBytes(value);
      const stored: StoredHeader = { name, value: bytes.toString('base64') };
      try {
        stored.text = utf8.decode(bytes);
      } catch {
        // not text: the bytes alone
      }
      out.push(stored);
    }
  }
  return out;
}

function headerBytes(value: unknown): Buffer {
  if (Array.isArray(value)) return Buffer.from(value.map((b) => Number(b) & 0xff));
  if (typeof value === 'string') return Buffer.from(value, 'base64');
  return Buffer.alloc(0);
}
