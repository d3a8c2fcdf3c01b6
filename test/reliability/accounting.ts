/**
 * The accounting every scenario ends with. Each record in the topic (read back from Kafka, so a
 * record the producer wrote twice counts twice) is looked for, by its Kafka coordinates, in every
 * place the pipeline can put it:
 *
 *   - its wide table: the event row whose kafka_partition/kafka_offset are the record's;
 *   - absorbed as a duplicate: no row of its own, but its eventId's row in its domain's table was
 *     written from another record of this topic carrying the same eventId;
 *   - event_dead_letter: the row with the record's coordinates;
 *   - the on-failure destination: a failure document naming the record.
 *
 * A record in no place is lost; in more than one, duplicated (as is a row no record explains); in
 * one place that is not its documented outcome (an event dead-lettered, a dead letter with another
 * reason, an event sent to the on-failure destination), misplaced. Then the state tables are
 * compared with what the produced input says (./expected-state.ts): user_profile_wide's counters,
 * sums, newest-wins and dimension columns, and order_wide's, computed from the events the generator
 * produced and the seeded dimension rows — not from the event tables the system itself wrote.
 */
import type { Connection } from 'mysql2/promise';
import { DOMAINS, eventTables } from '../../shared/domains/registry.ts';
import { compareState, type DimensionEpoch, expectedState } from './expected-state.ts';
import type { FailureDoc, TopicRecord } from './harness.ts';

export type Place = 'written' | 'absorbed' | 'dead-letter' | 'on-failure';

export interface Accounting {
  recordsIn: number;
  accounted: number;
  lost: number;
  duplicated: number;
  misplaced: number;
  places: Record<Place, number>;
  countersExact: boolean;
  /** The first problems found, for people. */
  problems: string[];
  /** Where each record ended (same order as the records given): the place and the table or reason. */
  placeOf: Array<{ place: Place | 'lost' | 'duplicated'; detail: string }>;
}

interface EventRowRef {
  table: string;
  eventId: string;
  partition: number;
  offset: number;
}

interface DeadLetterRef {
  partition: number;
  offset: number;
  reason: string;
}

const MAX_PROBLEMS = 12;

export async function account(
  conn: Connection,
  topic: string,
  records: readonly TopicRecord[],
  failures: readonly FailureDoc[],
  /** The dimension rows the functions enrich from, as the test seeded (and changed) them. */
  dimensions: readonly DimensionEpoch[],
): Promise<Accounting> {
  const problems: string[] = [];
  const problem = (text: string) => {
    if (problems.length < MAX_PROBLEMS) problems.push(text);
  };
  const at = (partition: number, offset: number) => `${partition}:${offset}`;

  const rows: EventRowRef[] = [];
  for (const table of DOMAINS.flatMap((d) => eventTables(d).map((t) => t.name))) {
    const [found] = (await conn.query(
      `SELECT event_id, kafka_partition, kafka_offset FROM ${table} WHERE kafka_topic = ?`,
      [topic],
    )) as unknown as [Array<{ event_id: string; kafka_partition: number; kafka_offset: string }>];
    for (const r of found) {
      rows.push({ table, eventId: r.event_id, partition: r.kafka_partition, offset: Number(r.kafka_offset) });
    }
  }
  const [deadLetterRows] = (await conn.query(
    'SELECT kafka_partition, kafka_offset, reason FROM event_dead_letter WHERE kafka_topic = ?',
    [topic],
  )) as unknown as [Array<{ kafka_partition: number; kafka_offset: string; reason: string }>];
  const deadLetters: DeadLetterRef[] = deadLetterRows.map((r) => ({
    partition: r.kafka_partition,
    offset: Number(r.kafka_offset),
    reason: r.reason,
  }));

  const recordAt = new Map(records.map((r) => [at(r.partition, r.offset), r]));
  const rowsAt = Map.groupBy(rows, (r) => at(r.partition, r.offset));
  const rowByEventId = new Map(rows.map((r) => [`${r.table}/${r.eventId}`, r]));
  const deadLetterAt = new Map(deadLetters.map((d) => [at(d.partition, d.offset), d]));
  const failedAt = Map.groupBy(failures, (f) => at(f.partition, f.offset));
  const tablesOf = new Map(DOMAINS.map((d) => [d.name as string, eventTables(d).map((t) => t.name)]));

  // Rows, dead letters and failure documents that no record of the topic explains.
  let strays = 0;
  for (const [where, list] of [...rowsAt, ...Map.groupBy(deadLetters, (d) => at(d.partition, d.offset))]) {
    if (!recordAt.has(where)) {
      strays += list.length;
      problem(`a row at ${topic}-${where.replace(':', '@')} that no record of the topic explains`);
    }
  }
  for (const where of failedAt.keys()) {
    if (!recordAt.has(where)) {
      strays += 1;
      problem(`a failure document for ${topic}-${where.replace(':', '@')}, not a record of the topic`);
    }
  }

  const places: Record<Place, number> = { written: 0, absorbed: 0, 'dead-letter': 0, 'on-failure': 0 };
  const placeOf: Accounting['placeOf'] = [];
  let lost = 0;
  let duplicated = strays;
  let misplaced = 0;
  for (const record of records) {
    const where = at(record.partition, record.offset);
    const name = `${topic}-${record.partition}@${record.offset} (${record.spec.label ?? record.spec.expect.kind}${
      record.spec.expect.kind === 'event' ? ` ${record.spec.expect.eventId}` : ''
    })`;
    const found: Array<{ place: Place; detail: string }> = [];
    for (const row of rowsAt.get(where) ?? []) found.push({ place: 'written', detail: row.table });
    const deadLetter = deadLetterAt.get(where);
    if (deadLetter) found.push({ place: 'dead-letter', detail: deadLetter.reason });
    const failed = failedAt.get(where);
    if (failed) found.push({ place: 'on-failure', detail: failed.map((f) => f.functionArn).join(',') });
    const expect = record.spec.expect;
    if (found.length === 0 && expect.kind === 'event') {
      // Absorbed: its eventId's row, written from another record of this topic.
      for (const table of tablesOf.get(expect.domain) ?? []) {
        const row = rowByEventId.get(`${table}/${expect.eventId}`);
        if (row && recordAt.has(at(row.partition, row.offset)))
          found.push({ place: 'absorbed', detail: table });
      }
    }
    if (found.length === 0) {
      lost += 1;
      placeOf.push({ place: 'lost', detail: '' });
      problem(`lost: ${name}`);
      continue;
    }
    if (found.length > 1) {
      duplicated += 1;
      placeOf.push({ place: 'duplicated', detail: found.map((f) => f.place).join('+') });
      problem(
        `in ${found.length} places: ${name}: ${found.map((f) => `${f.place} (${f.detail})`).join(', ')}`,
      );
      continue;
    }
    const [{ place, detail }] = found as [{ place: Place; detail: string }];
    places[place] += 1;
    placeOf.push({ place, detail });
    const documented =
      expect.kind === 'event'
        ? (place === 'written' || place === 'absorbed') &&
          (tablesOf.get(expect.domain) ?? []).includes(detail)
        : place === 'dead-letter' && (expect.reason === undefined || expect.reason === detail);
    if (!documented) {
      misplaced += 1;
      problem(
        `not its documented outcome: ${name} is ${place} (${detail}), expected ${
          expect.kind === 'event'
            ? `a ${expect.domain} event row`
            : `a dead letter${expect.reason ? ` (${expect.reason})` : ''}`
        }`,
      );
    }
    // A written row carries the record's own eventId.
    if (place === 'written' && expect.kind === 'event') {
      const row = rowsAt.get(where)![0]!;
      if (row.eventId !== expect.eventId) {
        misplaced += 1;
        problem(`${name}: its row has event_id ${row.eventId}`);
      }
    }
  }

  // The state tables against the produced input (never against the event tables the system wrote).
  const produced = records.flatMap((r) =>
    r.spec.expect.kind === 'event' ? [{ seq: r.seq, event: r.spec.expect.event }] : [],
  );
  const stateProblems = await compareState(conn, expectedState(produced, dimensions));
  for (const p of stateProblems) problem(p);
  return {
    recordsIn: records.length,
    accounted: records.length - lost - (duplicated - strays),
    lost,
    duplicated,
    misplaced,
    places,
    countersExact: stateProblems.length === 0,
    problems,
    placeOf,
  };
}
