/**
 * `npm run local`'s last step: reads the run's records and failure documents back from Kafka and
 * its rows and dead letters from the database, then places every record (./placement.ts).
 */
import type { Connection } from 'mysql2/promise';
import { DOMAINS, eventTables } from '../../shared/domains/registry.ts';
import type { DemoRecord } from './demo-stream.ts';
import {
  type DeadLetterAt,
  type EndOffsets,
  type EventRowAt,
  type FailureAt,
  type Placement,
  type PublishedRecord,
  placeRecords,
  type ReadRecord,
  readBack,
} from './placement.ts';
import type { RegistryDemoRecord } from './registry-stream.ts';

export interface Run {
  admin: Connection;
  brokers: string[];
  runId: string;
  /** The records published, by their `lrt-seq`. */
  published: ReadonlyArray<DemoRecord | RegistryDemoRecord>;
  sourceTopics: readonly string[];
  /** Where the run's records and failure documents start in their topics. */
  startOffsets: EndOffsets;
  /** The domains whose mappings read `topic`. */
  readersOf: (topic: string) => readonly string[];
}

/** Every record of the run placed; a record published but not found in its topic is a mismatch. */
export async function placeRun(run: Run): Promise<Placement> {
  const read = await readBack(run.brokers, run.startOffsets);
  const { records, failures, found } = recordsAndFailures(run, read);
  const coordinates = new Set(records.map((r) => `${r.topic}-${r.partition}@${r.offset}`));
  // A loop, not Math.min(...offsets): a spread of a large run's offsets overflows the call stack.
  const range = { low: 0, high: 0 };
  for (const { offset } of records) {
    if (offset < range.low) range.low = offset;
    if (offset > range.high) range.high = offset;
  }
  const placement = placeRecords({
    records,
    rows: await eventRows(run, coordinates, range),
    deadLetters: await deadLetters(run, coordinates, range),
    failures,
    tablesOf: new Map(DOMAINS.map((d) => [d.name, eventTables(d).map((t) => t.name)])),
  });
  const missing = run.published.flatMap((r, seq) =>
    found.has(seq)
      ? []
      : [`record ${seq} (${r.expect}${r.eventId ? ` ${r.eventId}` : ''}): not in its topic`],
  );
  return {
    ...placement,
    mismatches: placement.mismatches + missing.length,
    problems: [...missing, ...placement.problems].slice(0, 10),
  };
}

/** The run's records in its source topics, and the failure documents naming records. */
function recordsAndFailures(run: Run, read: readonly ReadRecord[]) {
  const records: PublishedRecord[] = [];
  const failures: FailureAt[] = [];
  const found = new Set<number>();
  for (const m of read) {
    if (!run.sourceTopics.includes(m.topic)) {
      const failure = failureOf(m);
      if (failure) failures.push(failure);
      continue;
    }
    if (m.headers.get('lrt-run') !== run.runId) continue;
    const seq = Number(m.headers.get('lrt-seq'));
    const r = run.published[seq];
    if (!r) throw new Error(`${m.topic}-${m.partition}@${m.offset}: lrt-seq ${seq} is no record of this run`);
    found.add(seq);
    records.push({
      seq,
      topic: m.topic,
      partition: m.partition,
      offset: m.offset,
      owner: r.domain,
      expect: r.expect,
      eventId: r.eventId,
      reason: r.reason?.routed,
      readers: run.readersOf(m.topic),
    });
  }
  return { records, failures, found };
}

/** A failure document (local-esm/on-failure.ts): the record it names, and which mapping sent it. */
function failureOf(m: ReadRecord): FailureAt | undefined {
  const doc = JSON.parse(m.value?.toString() ?? 'null') as {
    requestContext?: { functionArn?: string };
    payload?: { records?: Record<string, Array<{ topic: string; partition: number; offset: number }>> };
  } | null;
  const named = Object.values(doc?.payload?.records ?? {})[0]?.[0];
  const domain = /:function:lambda-realtime-local-(.+)$/.exec(doc?.requestContext?.functionArn ?? '')?.[1];
  return named && domain ? { ...named, domain } : undefined;
}

interface OffsetRange {
  low: number;
  high: number;
}

/** Event rows of the run, found by its event ids or at its records' coordinates. */
async function eventRows(run: Run, coordinates: ReadonlySet<string>, range: OffsetRange) {
  const rows: EventRowAt[] = [];
  for (const d of DOMAINS) {
    for (const table of eventTables(d)) {
      const [found] = (await run.admin.query(
        `SELECT event_id, kafka_topic, kafka_partition, kafka_offset FROM ${table.name}
          WHERE event_id LIKE ? OR (kafka_topic IN (?) AND kafka_offset BETWEEN ? AND ?)`,
        [`${run.runId}-%`, run.sourceTopics, range.low, range.high],
      )) as unknown as [
        Array<{ event_id: string; kafka_topic: string; kafka_partition: number; kafka_offset: string }>,
      ];
      for (const r of found) {
        const row = {
          domain: d.name,
          table: table.name,
          eventId: r.event_id,
          topic: r.kafka_topic,
          partition: r.kafka_partition,
          offset: Number(r.kafka_offset),
        };
        if (
          r.event_id.startsWith(`${run.runId}-`) ||
          coordinates.has(`${row.topic}-${row.partition}@${row.offset}`)
        )
          rows.push(row);
      }
    }
  }
  return rows;
}

/** Dead letters of the run, found by its header or at its records' coordinates. */
async function deadLetters(
  run: Run,
  coordinates: ReadonlySet<string>,
  range: OffsetRange,
): Promise<DeadLetterAt[]> {
  const [letters] = (await run.admin.query(
    `SELECT kafka_topic, kafka_partition, kafka_offset, reason, function_domain,
            JSON_CONTAINS(headers, JSON_OBJECT('name', 'lrt-run', 'text', ?)) AS mine
       FROM event_dead_letter
      WHERE (kafka_topic IN (?) AND kafka_offset BETWEEN ? AND ?)
         OR JSON_CONTAINS(headers, JSON_OBJECT('name', 'lrt-run', 'text', ?))`,
    [run.runId, run.sourceTopics, range.low, range.high, run.runId],
  )) as unknown as [
    Array<{
      kafka_topic: string;
      kafka_partition: number;
      kafka_offset: string;
      reason: string;
      function_domain: string;
      mine: number | string;
    }>,
  ];
  return letters
    .map((d) => ({
      topic: d.kafka_topic,
      partition: d.kafka_partition,
      offset: Number(d.kafka_offset),
      reason: d.reason,
      domain: d.function_domain,
      mine: Number(d.mine) === 1,
    }))
    .filter((d) => d.mine || coordinates.has(`${d.topic}-${d.partition}@${d.offset}`));
}
