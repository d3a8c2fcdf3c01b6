/**
 * Where each record `npm run local` published must be, and where it is (docs/architecture.md,
 * "Nothing lost"): an event's row in its domain's event table, at the record's coordinates and with
 * its eventId, or absorbed as a duplicate (its eventId's row written from another record of the
 * run); a malformed record's dead letter, with the reason the generator gave it, written by the
 * function that owns it; a record no mapping can deserialise, one failure document per mapping
 * reading its topic. The functions that do not own a record skip it: no row, dead letter or
 * failure document of theirs names it. The records are found again by reading the topics back
 * (`readBack`), so a record the producer wrote twice is two records.
 */
import { Consumer } from '@platformatic/kafka';
import type { PermanentReason } from '../../shared/pipeline/errors.ts';

/** A record of the run, where it landed, and what must have become of it. */
export interface PublishedRecord {
  /** Its index in the stream (the `lrt-seq` header). */
  seq: number;
  topic: string;
  partition: number;
  offset: number;
  /** The domain whose function owns it (its `event-domain` header). */
  owner: string;
  expect: 'event' | 'duplicate' | 'dead-letter' | 'on-failure';
  eventId?: string | undefined;
  /** A dead letter's expected reason. */
  reason?: PermanentReason | undefined;
  /** The domains whose mappings read its topic. */
  readers: readonly string[];
}

export interface EventRowAt {
  domain: string;
  table: string;
  eventId: string;
  topic: string;
  partition: number;
  offset: number;
}

export interface DeadLetterAt {
  topic: string;
  partition: number;
  offset: number;
  reason: string;
  /** `function_domain`: the function that wrote it. */
  domain: string;
}

export interface FailureAt {
  topic: string;
  partition: number;
  offset: number;
  /** The function whose mapping sent it. */
  domain: string;
}

export interface Placement {
  /** Records in their expected place, by place. */
  placed: { written: number; absorbed: number; deadLettered: number; onFailure: number };
  /** Records not in their expected place, and rows, dead letters and documents no record explains. */
  mismatches: number;
  /** The first mismatches, each naming the record and what was found. */
  problems: string[];
}

const MAX_PROBLEMS = 10;

/**
 * Places every record. `rows` and `deadLetters` are those at the records' coordinates and those
 * of the run found any other way (its event ids, its header), so a row in the wrong place shows.
 */
export function placeRecords(input: {
  records: readonly PublishedRecord[];
  rows: readonly EventRowAt[];
  deadLetters: readonly DeadLetterAt[];
  failures: readonly FailureAt[];
  /** The event tables of each domain. */
  tablesOf: ReadonlyMap<string, readonly string[]>;
}): Placement {
  const { records, rows, deadLetters, failures, tablesOf } = input;
  const at = (r: { topic: string; partition: number; offset: number }) =>
    `${r.topic}-${r.partition}@${r.offset}`;
  const problems: string[] = [];
  let mismatches = 0;
  const mismatch = (text: string) => {
    mismatches += 1;
    if (problems.length < MAX_PROBLEMS) problems.push(text);
  };
  const recordsAt = group(records, at);
  const rowsAt = group(rows, at);
  const deadLettersAt = group(deadLetters, at);
  const failuresAt = group(failures, at);
  /** Rows by domain and eventId (the table's key): where each event was written. */
  const rowOf = new Map(rows.map((r) => [`${r.domain}\u0000${r.eventId}`, r]));

  for (const [where, list] of rowsAt) {
    if (!recordsAt.has(where))
      for (const r of list)
        mismatch(`a ${r.table} row (${r.eventId}) at ${where}, where the run published nothing`);
  }
  for (const [where, list] of deadLettersAt) {
    if (!recordsAt.has(where))
      for (const d of list)
        mismatch(`a dead letter (${d.reason}) at ${where}, where the run published nothing`);
  }

  const placed = { written: 0, absorbed: 0, deadLettered: 0, onFailure: 0 };
  for (const record of records) {
    const where = at(record);
    const name = `record ${record.seq} (${record.expect}${record.eventId ? ` ${record.eventId}` : ''}, ${record.owner}) at ${where}`;
    const foundRows = rowsAt.get(where) ?? [];
    const foundDeadLetters = deadLettersAt.get(where) ?? [];
    const foundFailures = failuresAt.get(where) ?? [];
    const found = [
      ...foundRows.map((r) => `a ${r.table} row (${r.eventId})`),
      ...foundDeadLetters.map((d) => `a dead letter (${d.reason}, by ${d.domain})`),
      ...foundFailures.map((f) => `a failure document (by ${f.domain})`),
    ];
    const foundText = found.length === 0 ? 'nothing' : found.join(', ');
    const ownTables = tablesOf.get(record.owner) ?? [];
    switch (record.expect) {
      case 'event':
      case 'duplicate': {
        const want = `its ${ownTables.join('/')} row (${record.eventId}), or absorbed as a duplicate`;
        if (foundRows.length === 1 && found.length === 1) {
          const [row] = foundRows as [EventRowAt];
          if (ownTables.includes(row.table) && row.eventId === record.eventId) placed.written += 1;
          else mismatch(`${name}: expected ${want}; found ${foundText}`);
        } else if (found.length === 0) {
          // Absorbed: its eventId's row was written from another record of the run carrying it.
          const row = rowOf.get(`${record.owner}\u0000${record.eventId}`);
          const source = row ? (recordsAt.get(at(row)) ?? []) : [];
          if (row && source.some((r) => r.eventId === record.eventId && r !== record)) placed.absorbed += 1;
          else
            mismatch(
              `${name}: expected ${want}; found nothing${row ? `, and its eventId's row is at ${at(row)}` : ', and no row of its eventId'}`,
            );
        } else mismatch(`${name}: expected ${want}; found ${foundText}`);
        break;
      }
      case 'dead-letter': {
        const want = `a dead letter (${record.reason}, by ${record.owner})`;
        const [d] = foundDeadLetters;
        if (found.length === 1 && d && d.reason === record.reason && d.domain === record.owner)
          placed.deadLettered += 1;
        else mismatch(`${name}: expected ${want}; found ${foundText}`);
        break;
      }
      case 'on-failure': {
        const want = `a failure document from each of ${record.readers.join(', ')}`;
        const senders = foundFailures.map((f) => f.domain).sort();
        if (
          foundRows.length === 0 &&
          foundDeadLetters.length === 0 &&
          senders.join(',') === [...record.readers].sort().join(',')
        )
          placed.onFailure += 1;
        else mismatch(`${name}: expected ${want}; found ${foundText}`);
        break;
      }
    }
  }
  return { placed, mismatches, problems };
}

function group<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = out.get(k);
    if (list) list.push(item);
    else out.set(k, [item]);
  }
  return out;
}

/** A topic's next offset per partition (index = partition). */
export type EndOffsets = Map<string, bigint[]>;

/** The next offset of every partition of `topics`: where records published from now on will land. */
export async function endOffsets(brokers: string[], topics: readonly string[]): Promise<EndOffsets> {
  const consumer = new Consumer({
    clientId: 'lrt-local-placement',
    groupId: `lrt-local-placement-${process.pid}-${Date.now()}`,
    bootstrapBrokers: brokers,
  });
  try {
    return await consumer.listOffsets({ topics: [...topics] });
  } finally {
    await consumer.close(true).catch(() => {});
  }
}

export interface ReadRecord {
  topic: string;
  partition: number;
  offset: number;
  value: Buffer | undefined;
  headers: Map<string, string>;
}

/**
 * Every record of `topics` between `from` (end offsets taken before publishing) and their end now,
 * read back with a consumer group of its own; fails after `timeoutMs`.
 */
export async function readBack(
  brokers: string[],
  from: EndOffsets,
  timeoutMs = 120_000,
): Promise<ReadRecord[]> {
  const to = await endOffsets(brokers, [...from.keys()]);
  const remaining = new Map<string, bigint>();
  const offsets: Array<{ topic: string; partition: number; offset: bigint }> = [];
  for (const [topic, ends] of to) {
    ends.forEach((end, partition) => {
      const start = from.get(topic)?.[partition] ?? 0n;
      offsets.push({ topic, partition, offset: start });
      if (end > start) remaining.set(`${topic}:${partition}`, end);
    });
  }
  if (remaining.size === 0) return [];
  const consumer = new Consumer({
    clientId: 'lrt-local-placement',
    groupId: `lrt-local-placement-${process.pid}-${Date.now()}`,
    bootstrapBrokers: brokers,
  });
  const out: ReadRecord[] = [];
  const stream = await consumer.consume({
    topics: [...to.keys()],
    mode: 'manual',
    offsets,
    autocommit: false,
  });
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      (async () => {
        for await (const m of stream) {
          const key = `${m.topic}:${m.partition}`;
          const end = remaining.get(key);
          if (end === undefined || m.offset >= end) continue;
          out.push({
            topic: m.topic,
            partition: m.partition,
            offset: Number(m.offset),
            value: m.value ?? undefined,
            headers: new Map(m.headerEntries.map(([k, v]) => [k.toString(), v?.toString() ?? ''])),
          });
          if (m.offset + 1n >= end) remaining.delete(key);
          if (remaining.size === 0) break;
        }
      })(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () =>
            reject(
              new Error(
                `reading the run's records back: ${out.length} read, ${remaining.size} partitions unfinished`,
              ),
            ),
          timeoutMs,
        );
      }),
    ]);
  } finally {
    clearTimeout(timer);
    await stream.close().catch(() => {});
    await consumer.close(true).catch(() => {});
  }
  return out;
}
