/**
 * One Kafka batch through the pipeline (docs/architecture.md, contract 3):
 *   decode every record → load the batch's dimensions (one lookup per table) → map each event with
 *   its processor, partition by partition in offset order → apply all rows and dead letters in one
 *   transaction → answer with the records to retry.
 *
 * Outcomes per record: written (or absorbed as a duplicate), dead-lettered (permanently bad: never
 * reported, it would only fail again), skipped and counted (another domain's event, handled by
 * that domain's function), filtered out and counted (its processor's WHERE drops it: nothing to
 * write, so nothing to do twice), or reported for retry (transient failure: that record and every later
 * record of its partition; the other partitions go on). Nothing else.
 *
 * Each record carries an explicit state (RecordState). A stage maps a state to the next and never
 * edits one in place; a processor's error is a state of its own, met in offset order.
 */
import type { BusinessEvent } from '../events/business-event.ts';
import type { EventCatalog } from '../events/catalog.ts';
import type { Logger } from '../observability/logger.ts';
import { decodeRecord } from './decode.ts';
import type { Domain } from './domain.ts';
import {
  isDatabaseConfigError,
  isDataRejectedError,
  PermanentEventError,
  type PermanentReason,
} from './errors.ts';
import type { KafkaBatchResponse, KafkaEvent, KafkaEventRecord } from './lambda-event.ts';
import { dropLate } from './lateness.ts';
import type { ApplyResult, BatchSink, BatchWrites, DeadLetter, DimensionLookup } from './ports.ts';
import type { DimensionKeys, DimensionView, EventProcessor, EventWrite } from './processor.ts';
import { type SourceDecoder, sourceDecoderFor } from './registry-records.ts';

export interface BatchDependencies {
  domain: Domain;
  catalog: EventCatalog;
  /** Lookups by dimension name. */
  dimensions: ReadonlyMap<string, DimensionLookup>;
  sink: BatchSink;
  log: Logger;
  maxEventBytes?: number;
  /** The domains on this function's topics (decode.ts, DecodeOptions.topicDomains). */
  topicDomains?: ReadonlySet<string>;
  now?: () => number;
}

export interface BatchStats {
  received: number;
  /** Events written for the first time. */
  processed: number;
  duplicates: number;
  deadLettered: Partial<Record<PermanentReason, number>>;
  reportedForRetry: number;
  /** 1 when the batch was refused because the database is set up wrongly (DatabaseConfigError). */
  databaseConfigErrors: number;
  skippedOtherDomain: number;
  /** Events their processor's WHERE filtered out: done, with nothing written. */
  filteredOut: number;
  /**
   * Rows not written, by table, of events written elsewhere: a declared processor's WHERE on one of
   * its tables, or an inner lookup join that found no dimension row (processor.ts, EventWrite.skipped).
   */
  rowsSkipped: Record<string, number>;
  /** Events whose window rows of a table were too late for its lateness bound (lateness.ts), by table. */
  lateEventsDropped: Record<string, number>;
  /** Lookups that found no row, by dimension name. */
  dimensionMisses: Record<string, number>;
  /** Per event type: events written (first time or duplicate). */
  processedByType: Record<string, number>;
  /** Max over records of now − Kafka record timestamp (ms). */
  maxEventAgeMs: number;
  /** now − event timestamp of each written event (ms). */
  endToEndLatenciesMs: number[];
}

export interface BatchOutcome {
  response: KafkaBatchResponse;
  stats: BatchStats;
}

/**
 * Where a record stands in the batch. Decoding gives `event`, `foreign` or `dead-letter` (or
 * `failed` when its processor cannot name its dimension keys); mapping turns an `event` into
 * `write`, `filtered` or `failed`; applying record by record turns a `write` the database refuses
 * into a `dead-letter`. A `failed` record stops its partition: it and every later record of that
 * partition are reported for retry.
 */
type RecordState =
  /** An event of this domain, with its processor and the dimension keys it joins on. */
  | { kind: 'event'; event: BusinessEvent; processor: EventProcessor; joins: DimensionKeys }
  /** Another domain's event: that domain's function handles it; skipped and counted. */
  | { kind: 'foreign' }
  /** Permanently bad: written to the dead letters with its reason. */
  | { kind: 'dead-letter'; deadLetter: DeadLetter }
  /** Its processor threw (a bug or a transient fault): it stops its partition. */
  | { kind: 'failed'; error: unknown; eventId: string }
  /** Its processor's WHERE filtered it out: done, nothing to write. */
  | { kind: 'filtered' }
  /** Mapped to the rows it writes. */
  | { kind: 'write'; event: BusinessEvent; write: EventWrite };

/** One record on its way through the batch. */
interface Item {
  readonly record: KafkaEventRecord;
  readonly state: RecordState;
}

interface Partition {
  readonly key: string;
  /** In offset order. */
  readonly items: readonly Item[];
}

/** Where each partition stops: the index of its first record to report, if any. */
type Stops = Map<string, number>;

export async function processBatch(event: KafkaEvent, deps: BatchDependencies): Promise<BatchOutcome> {
  const now = deps.now ?? Date.now;
  const stats = emptyStats();
  const sourceDecoder = await sourceDecoderFor(event, deps.catalog);
  const decoded: Partition[] = Object.entries(event.records ?? {}).map(([key, records]) => ({
    key,
    items: [...records]
      .sort((a, b) => a.offset - b.offset)
      .map((record): Item => ({ record, state: decode(record, deps, sourceDecoder) })),
  }));
  const items = decoded.flatMap((p) => p.items);
  stats.received = items.length;
  const started = now();
  for (const { record } of items)
    stats.maxEventAgeMs = Math.max(stats.maxEventAgeMs, started - record.timestamp);

  const stops: Stops = new Map();
  let view: DimensionView;
  try {
    view = await loadDimensions(items, deps, stats);
  } catch (error) {
    reportFromFirstWrite(decoded, stops, 'dimension lookup failed', error, stats, deps);
    return finish(decoded, stops, stats, deps);
  }

  const mapped = decoded.map((p) => mapPartition(p, stops, view, deps));
  const writable = mapped.flatMap((p) => p.items.slice(0, stops.get(p.key) ?? p.items.length));
  try {
    const result = await deps.sink.apply(toWrites(writable));
    tally(result, writable, stats, now());
  } catch (error) {
    if (!isDataRejectedError(error)) {
      reportFromFirstWrite(mapped, stops, 'writing the batch failed', error, stats, deps);
      return finish(mapped, stops, stats, deps);
    }
    deps.log.warn('database rejected a value in the batch; applying record by record', { error });
    const applied = await applyOneByOne(mapped, stops, deps, stats, now);
    return finish(applied, stops, stats, deps);
  }
  return finish(mapped, stops, stats, deps);
}

/** Decodes a record; an event of this domain comes with its processor and dimension keys. */
function decode(
  record: KafkaEventRecord,
  deps: BatchDependencies,
  sourceDecoder: SourceDecoder | undefined,
): RecordState {
  const decoded = decodeRecord(record, {
    sourceDecoder,
    catalog: deps.catalog,
    domain: deps.domain.name,
    ...(deps.maxEventBytes ? { maxEventBytes: deps.maxEventBytes } : {}),
    ...(deps.topicDomains ? { topicDomains: deps.topicDomains } : {}),
  });
  if (decoded.kind === 'foreign') return { kind: 'foreign' };
  if (decoded.kind === 'invalid') return deadLetterOf(record, decoded.error, decoded.eventId, deps);
  const { event } = decoded;
  const processor = deps.domain.processor(event.type);
  if (!processor) {
    const error = new PermanentEventError('unknown_type', `no processor registered for ${event.type}`);
    return deadLetterOf(record, error, event.eventId, deps);
  }
  try {
    return { kind: 'event', event, processor, joins: processor.dimensionKeys(event) };
  } catch (error) {
    return { kind: 'failed', error, eventId: event.eventId };
  }
}

function deadLetterOf(
  record: KafkaEventRecord,
  error: PermanentEventError,
  eventId: string | undefined,
  deps: BatchDependencies,
): RecordState {
  return { kind: 'dead-letter', deadLetter: { record, error, domain: deps.domain.name, eventId } };
}

async function loadDimensions(
  items: readonly Item[],
  deps: BatchDependencies,
  stats: BatchStats,
): Promise<DimensionView> {
  // Each event's joins, so a missing row counts once per event and dimension, however often
  // its processor reads it.
  const joinsOfEvents = items.flatMap(({ state }) => (state.kind === 'event' ? [state.joins] : []));
  const keys = new Map<string, Set<string>>();
  for (const joins of joinsOfEvents) {
    for (const [dimension, key] of Object.entries(joins)) {
      if (key === undefined) continue;
      const set = keys.get(dimension) ?? new Set<string>();
      set.add(key);
      keys.set(dimension, set);
    }
  }
  const loaded = new Map(
    await Promise.all(
      [...keys].map(async ([dimension, set]) => {
        const lookup = deps.dimensions.get(dimension);
        if (!lookup) throw new Error(`no dimension named ${dimension}`);
        return [dimension, await lookup.getMany(set)] as const;
      }),
    ),
  );
  for (const joins of joinsOfEvents) {
    for (const [dimension, key] of Object.entries(joins)) {
      if (key !== undefined && (loaded.get(dimension)?.get(key) ?? null) === null) {
        stats.dimensionMisses[dimension] = (stats.dimensionMisses[dimension] ?? 0) + 1;
      }
    }
  }
  // Reading has no side effect: a processor may read a row as often as it likes.
  return {
    get(dimension: string, key: string | undefined) {
      return key === undefined ? null : (loaded.get(dimension)?.get(key) ?? null);
    },
  } as DimensionView;
}

/**
 * Maps a partition's records in offset order, up to its first failure, which stops the partition
 * there (recorded in `stops`); the records after it keep their decoded state, unmapped.
 */
function mapPartition(p: Partition, stops: Stops, view: DimensionView, deps: BatchDependencies): Partition {
  const items: Item[] = [];
  for (const [index, item] of p.items.entries()) {
    const state = mapRecord(item, view, deps);
    if (state.kind === 'failed') {
      deps.log.error('processor failed; reporting the rest of the partition for retry', {
        ...coordinates(item.record),
        eventId: state.eventId,
        error: state.error,
      });
      stops.set(p.key, index);
      return { key: p.key, items: [...items, ...p.items.slice(index)] };
    }
    items.push({ record: item.record, state });
  }
  return { key: p.key, items };
}

/** The next state of a decoded record: an event's write, filtered or failed; others unchanged. */
function mapRecord({ record, state }: Item, view: DimensionView, deps: BatchDependencies): RecordState {
  if (state.kind === 'dead-letter') {
    logDeadLetter(state.deadLetter, deps);
    return state;
  }
  if (state.kind !== 'event') return state;
  const { event, processor } = state;
  try {
    if (processor.where && !processor.where(event, view)) return { kind: 'filtered' };
    const at = { ...coordinates(record), timestamp: record.timestamp, timestampType: record.timestampType };
    return { kind: 'write', event, write: dropLate(processor.toWrite(event, view, at), record.timestamp) };
  } catch (error) {
    return { kind: 'failed', error, eventId: event.eventId };
  }
}

function logDeadLetter({ record, eventId, error }: DeadLetter, deps: BatchDependencies): void {
  // The reason, never the message: the full message and the raw bytes stay in event_dead_letter.
  deps.log.warn('dead-lettering record', { ...coordinates(record), eventId, reason: error.reason });
}

/** A batch-wide failure: every partition is reported from its first record that is not skipped. */
function reportFromFirstWrite(
  partitions: readonly Partition[],
  stops: Stops,
  reason: string,
  error: unknown,
  stats: BatchStats,
  deps: BatchDependencies,
): void {
  if (isDatabaseConfigError(error)) {
    stats.databaseConfigErrors = 1;
    deps.log.error(`${reason}: the database is set up wrongly; reporting the batch's records for retry`, {
      error,
    });
  } else {
    deps.log.warn(`${reason}; reporting the batch's records for retry`, { error });
  }
  for (const p of partitions) {
    const first = p.items.findIndex((item) => item.state.kind !== 'foreign');
    if (first >= 0) stops.set(p.key, Math.min(stops.get(p.key) ?? first, first));
  }
}

function toWrites(items: readonly Item[]): BatchWrites {
  return {
    events: items.flatMap(({ state }) => (state.kind === 'write' ? [state.write] : [])),
    deadLetters: items.flatMap(({ state }) => (state.kind === 'dead-letter' ? [state.deadLetter] : [])),
  };
}

function tally(result: ApplyResult, items: readonly Item[], stats: BatchStats, now: number): void {
  stats.processed += result.applied;
  stats.duplicates += result.duplicates;
  for (const { state } of items) {
    if (state.kind === 'write') {
      const { type, timestamp } = state.event;
      stats.processedByType[type] = (stats.processedByType[type] ?? 0) + 1;
      stats.endToEndLatenciesMs.push(now - timestamp);
    } else if (state.kind === 'dead-letter') {
      const reason = state.deadLetter.error.reason;
      stats.deadLettered[reason] = (stats.deadLettered[reason] ?? 0) + 1;
    }
  }
}

/**
 * The slow path, taken only when the database refused a value the schemas let through: each
 * record in its own transaction, in partition order; a refused event becomes a dead letter and a
 * transient failure stops its partition. Returns the partitions with their records' final states.
 */
async function applyOneByOne(
  partitions: readonly Partition[],
  stops: Stops,
  deps: BatchDependencies,
  stats: BatchStats,
  now: () => number,
): Promise<Partition[]> {
  const result: Partition[] = [];
  for (const p of partitions) {
    const items = [...p.items];
    const end = stops.get(p.key) ?? items.length;
    for (const [index, item] of p.items.slice(0, end).entries()) {
      try {
        items[index] = await applyRecord(item, deps, stats, now);
      } catch (error) {
        deps.log.warn('writing a record failed; reporting the rest of its partition for retry', {
          ...coordinates(item.record),
          error,
        });
        stops.set(p.key, index);
        break;
      }
    }
    result.push({ key: p.key, items });
  }
  return result;
}

/** Applies one record in its own transaction; an event the database refuses is dead-lettered. */
async function applyRecord(
  item: Item,
  deps: BatchDependencies,
  stats: BatchStats,
  now: () => number,
): Promise<Item> {
  const { record, state } = item;
  if (state.kind !== 'write' && state.kind !== 'dead-letter') return item;
  try {
    tally(await deps.sink.apply(toWrites([item])), [item], stats, now());
    return item;
  } catch (error) {
    if (!isDataRejectedError(error) || state.kind !== 'write') throw error;
    const refused = new PermanentEventError('rejected_by_database', error.message);
    const deadLetter: DeadLetter = {
      record,
      error: refused,
      domain: deps.domain.name,
      eventId: state.event.eventId,
    };
    const rejected: Item = { record, state: { kind: 'dead-letter', deadLetter } };
    logDeadLetter(deadLetter, deps);
    tally(await deps.sink.apply(toWrites([rejected])), [rejected], stats, now());
    return rejected;
  }
}

function finish(
  partitions: readonly Partition[],
  stops: Stops,
  stats: BatchStats,
  deps: BatchDependencies,
): BatchOutcome {
  const batchItemFailures: KafkaBatchResponse['batchItemFailures'] = [];
  for (const p of partitions) {
    const from = stops.get(p.key) ?? p.items.length;
    for (const { state } of p.items.slice(0, from)) {
      if (state.kind === 'foreign') stats.skippedOtherDomain += 1;
      else if (state.kind === 'filtered') stats.filteredOut += 1;
      else if (state.kind === 'write') {
        for (const table of state.write.skipped ?? [])
          stats.rowsSkipped[table] = (stats.rowsSkipped[table] ?? 0) + 1;
        for (const table of state.write.late ?? [])
          stats.lateEventsDropped[table] = (stats.lateEventsDropped[table] ?? 0) + 1;
      }
    }
    for (const item of p.items.slice(from)) {
      batchItemFailures.push({ itemIdentifier: { partition: p.key, offset: item.record.offset } });
    }
  }
  stats.reportedForRetry = batchItemFailures.length;
  if (batchItemFailures.length > 0) {
    deps.log.warn('records reported for retry', {
      partitions: [...stops.entries()].map(([partition, index]) => ({
        partition,
        fromOffset: partitions.find((p) => p.key === partition)?.items[index]?.record.offset,
      })),
      count: batchItemFailures.length,
    });
  }
  return { response: { batchItemFailures }, stats };
}

function coordinates(record: KafkaEventRecord): { topic: string; partition: number; offset: number } {
  return { topic: record.topic, partition: record.partition, offset: record.offset };
}

function emptyStats(): BatchStats {
  return {
    received: 0,
    processed: 0,
    duplicates: 0,
    deadLettered: {},
    reportedForRetry: 0,
    databaseConfigErrors: 0,
    skippedOtherDomain: 0,
    filteredOut: 0,
    rowsSkipped: {},
    lateEventsDropped: {},
    dimensionMisses: {},
    processedByType: {},
    maxEventAgeMs: 0,
    endToEndLatenciesMs: [],
  };
}
