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
 */
import type { BusinessEvent } from '../events/business-event.ts';
import type { EventCatalog } from '../events/catalog.ts';
import type { Logger } from '../observability/logger.ts';
import { type DecodedRecord, decodeRecord } from './decode.ts';
import type { Domain } from './domain.ts';
import {
  isDatabaseConfigError,
  isDataRejectedError,
  PermanentEventError,
  type PermanentReason,
} from './errors.ts';
import type { KafkaBatchResponse, KafkaEvent, KafkaEventRecord } from './lambda-event.ts';
import type { DimensionView, EventProcessor, EventWrite } from './processor.ts';
import { type SourceDecoder, sourceDecoderFor } from './registry-records.ts';

/** A record that can never be processed, on its way to the dead letters. */
export interface DeadLetter {
  record: KafkaEventRecord;
  error: PermanentEventError;
  /** The function's domain. */
  domain: string;
  eventId: string | undefined;
}

/** One batch's writes, applied in one transaction. */
export interface BatchWrites {
  events: EventWrite[];
  deadLetters: DeadLetter[];
}

export interface ApplyResult {
  /** Events written for the first time. */
  applied: number;
  /** Events already written before (replays, duplicates in the batch): absorbed. */
  duplicates: number;
  deadLettered: number;
}

/** Where a batch's writes go. It raises DataRejectedError when a value is refused. */
export interface BatchSink {
  apply(writes: BatchWrites): Promise<ApplyResult>;
}

/** Batched lookups of one dimension table (the warm cache in a function). */
export interface DimensionLookup {
  getMany(keys: Iterable<string>): Promise<Map<string, object | null>>;
}

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

/** One record on its way through the batch. */
interface Item {
  record: KafkaEventRecord;
  decoded: DecodedRecord;
  write?: EventWrite;
  deadLetter?: DeadLetter;
  /** A processor error met before prepare() (in dimensionKeys), rethrown at this record. */
  failure?: unknown;
  /** Its processor's WHERE filtered it out: nothing to write. */
  filtered?: boolean;
}

export async function processBatch(event: KafkaEvent, deps: BatchDependencies): Promise<BatchOutcome> {
  const now = deps.now ?? Date.now;
  const stats = emptyStats();
  const sourceDecoder = await sourceDecoderFor(event, deps.catalog);
  const partitions = Object.entries(event.records ?? {}).map(([key, records]) => ({
    key,
    items: [...records]
      .sort((a, b) => a.offset - b.offset)
      .map((record): Item => ({ record, decoded: decode(record, deps, sourceDecoder) })),
  }));
  const items = partitions.flatMap((p) => p.items);
  stats.received = items.length;
  const started = now();
  for (const { record } of items)
    stats.maxEventAgeMs = Math.max(stats.maxEventAgeMs, started - record.timestamp);

  // Where each partition stops: the index of its first record to report, if any.
  const stopAt = new Map<string, number>();
  const reportFromFirstWrite = (reason: string, error: unknown) => {
    if (isDatabaseConfigError(error)) {
      stats.databaseConfigErrors = 1;
      deps.log.error(`${reason}: the database is set up wrongly; reporting the batch's records for retry`, {
        error,
      });
    } else {
      deps.log.warn(`${reason}; reporting the batch's records for retry`, { error });
    }
    for (const p of partitions) {
      const first = p.items.findIndex((item) => item.decoded.kind !== 'foreign');
      if (first >= 0) stopAt.set(p.key, Math.min(stopAt.get(p.key) ?? first, first));
    }
  };

  let view: DimensionView | undefined;
  try {
    view = await loadDimensions(items, deps, stats);
  } catch (error) {
    reportFromFirstWrite('dimension lookup failed', error);
    return finish(partitions, stopAt, stats, deps);
  }

  for (const p of partitions) {
    for (const [index, item] of p.items.entries()) {
      try {
        prepare(item, view, deps);
      } catch (error) {
        deps.log.error('processor failed; reporting the rest of the partition for retry', {
          ...coordinates(item.record),
          eventId: item.decoded.kind === 'event' ? item.decoded.event.eventId : undefined,
          error,
        });
        stopAt.set(p.key, index);
        break;
      }
    }
  }

  const writable = partitions.flatMap((p) => p.items.slice(0, stopAt.get(p.key) ?? p.items.length));
  try {
    const result = await deps.sink.apply(toWrites(writable));
    tally(result, writable, stats, now());
  } catch (error) {
    if (isDataRejectedError(error)) {
      deps.log.warn('database rejected a value in the batch; applying record by record', { error });
      await applyOneByOne(partitions, stopAt, deps, stats, now);
    } else {
      reportFromFirstWrite('writing the batch failed', error);
      return finish(partitions, stopAt, stats, deps);
    }
  }
  return finish(partitions, stopAt, stats, deps);
}

function decode(
  record: KafkaEventRecord,
  deps: BatchDependencies,
  sourceDecoder: SourceDecoder | undefined,
): DecodedRecord {
  const decoded = decodeRecord(record, {
    sourceDecoder,
    catalog: deps.catalog,
    domain: deps.domain.name,
    ...(deps.maxEventBytes ? { maxEventBytes: deps.maxEventBytes } : {}),
    ...(deps.topicDomains ? { topicDomains: deps.topicDomains } : {}),
  });
  if (decoded.kind === 'event' && !deps.domain.processor(decoded.event.type)) {
    const error = new PermanentEventError(
      'unknown_type',
      `no processor registered for ${decoded.event.type}`,
    );
    return { kind: 'invalid', error, eventId: decoded.event.eventId };
  }
  return decoded;
}

async function loadDimensions(
  items: Item[],
  deps: BatchDependencies,
  stats: BatchStats,
): Promise<DimensionView> {
  const keys = new Map<string, Set<string>>();
  // Each event's joins, so a missing row counts once per event and dimension, however often
  // its processor reads it.
  const joinsOfEvents: Array<Record<string, string | undefined>> = [];
  for (const item of items) {
    if (item.decoded.kind !== 'event') continue;
    let joins: Record<string, string | undefined>;
    try {
      joins = processorOf(item.decoded.event, deps).dimensionKeys(item.decoded.event);
    } catch (error) {
      item.failure = error; // a processor bug: it stops this record's partition only, in prepare()
      continue;
    }
    joinsOfEvents.push(joins);
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

function processorOf(event: BusinessEvent, deps: BatchDependencies): EventProcessor {
  // decode() turned events without a processor into invalid records.
  return deps.domain.processor(event.type)!;
}

/** Builds the item's write or dead letter; throws only when a processor fails. */
function prepare(item: Item, view: DimensionView, deps: BatchDependencies): void {
  const { decoded, record } = item;
  if (decoded.kind === 'event') {
    if (item.failure !== undefined) throw item.failure;
    const processor = processorOf(decoded.event, deps);
    if (processor.where && !processor.where(decoded.event, view)) {
      item.filtered = true;
      return;
    }
    item.write = processor.toWrite(decoded.event, view, coordinates(record));
  } else {
    prepareDeadLetter(item, deps);
  }
}

function prepareDeadLetter(item: Item, deps: BatchDependencies): void {
  const { decoded, record } = item;
  if (decoded.kind === 'invalid') {
    item.deadLetter = { record, error: decoded.error, domain: deps.domain.name, eventId: decoded.eventId };
    // The reason, never the message: the full message and the raw bytes stay in event_dead_letter.
    deps.log.warn('dead-lettering record', {
      ...coordinates(record),
      eventId: decoded.eventId,
      reason: decoded.error.reason,
    });
  }
}

function toWrites(items: Item[]): BatchWrites {
  return {
    events: items.flatMap((item) => (item.write ? [item.write] : [])),
    deadLetters: items.flatMap((item) => (item.deadLetter ? [item.deadLetter] : [])),
  };
}

function tally(result: ApplyResult, items: Item[], stats: BatchStats, now: number): void {
  stats.processed += result.applied;
  stats.duplicates += result.duplicates;
  for (const item of items) {
    if (item.write && item.decoded.kind === 'event') {
      const { type, timestamp } = item.decoded.event;
      stats.processedByType[type] = (stats.processedByType[type] ?? 0) + 1;
      stats.endToEndLatenciesMs.push(now - timestamp);
    } else if (item.deadLetter && item.decoded.kind === 'invalid') {
      const reason = item.decoded.error.reason;
      stats.deadLettered[reason] = (stats.deadLettered[reason] ?? 0) + 1;
    }
  }
}

/**
 * The slow path, taken only when the database refused a value the schemas let through: each
 * record in its own transaction, in partition order; a refused event becomes a dead letter and a
 * transient failure stops its partition.
 */
async function applyOneByOne(
  partitions: Array<{ key: string; items: Item[] }>,
  stopAt: Map<string, number>,
  deps: BatchDependencies,
  stats: BatchStats,
  now: () => number,
): Promise<void> {
  for (const p of partitions) {
    const end = stopAt.get(p.key) ?? p.items.length;
    for (let index = 0; index < end; index++) {
      const item = p.items[index]!;
      if (!item.write && !item.deadLetter) continue;
      try {
        try {
          tally(await deps.sink.apply(toWrites([item])), [item], stats, now());
        } catch (error) {
          if (!isDataRejectedError(error) || item.decoded.kind !== 'event') throw error;
          const rejected = new PermanentEventError('rejected_by_database', error.message);
          item.decoded = { kind: 'invalid', error: rejected, eventId: item.decoded.event.eventId };
          delete item.write;
          prepareDeadLetter(item, deps);
          tally(await deps.sink.apply(toWrites([item])), [item], stats, now());
        }
      } catch (error) {
        deps.log.warn('writing a record failed; reporting the rest of its partition for retry', {
          ...coordinates(item.record),
          error,
        });
        stopAt.set(p.key, index);
        break;
      }
    }
  }
}

function finish(
  partitions: Array<{ key: string; items: Item[] }>,
  stopAt: Map<string, number>,
  stats: BatchStats,
  deps: BatchDependencies,
): BatchOutcome {
  const batchItemFailures: KafkaBatchResponse['batchItemFailures'] = [];
  for (const p of partitions) {
    const from = stopAt.get(p.key) ?? p.items.length;
    stats.skippedOtherDomain += p.items
      .slice(0, from)
      .filter((item) => item.decoded.kind === 'foreign').length;
    stats.filteredOut += p.items.slice(0, from).filter((item) => item.filtered).length;
    for (const item of p.items.slice(0, from)) {
      for (const table of item.write?.skipped ?? [])
        stats.rowsSkipped[table] = (stats.rowsSkipped[table] ?? 0) + 1;
    }
    for (const item of p.items.slice(from)) {
      batchItemFailures.push({ itemIdentifier: { partition: p.key, offset: item.record.offset } });
    }
  }
  stats.reportedForRetry = batchItemFailures.length;
  if (batchItemFailures.length > 0) {
    deps.log.warn('records reported for retry', {
      partitions: [...stopAt.entries()].map(([partition, index]) => ({
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
    dimensionMisses: {},
    processedByType: {},
    maxEventAgeMs: 0,
    endToEndLatenciesMs: [],
  };
}
