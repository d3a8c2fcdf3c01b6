/**
 * The processor interface. A processor is pure: it names the dimension
 * keys its event joins on and maps the event, with those dimensions, to the rows it writes. The
 * pipeline around it batches the I/O for a whole batch — one lookup per dimension table for every
 * event, one transaction of multi-row upserts — so adding an event type never adds a round trip
 * per record. Processors are written as code (defineProcessor) or declared (declarative.ts).
 */
import type { BusinessEvent } from '../events/business-event.ts';
import type { TableRow } from '../tables/table.ts';

/**
 * Where an event's Kafka record is, and its timestamp as the Lambda Kafka event gives it per record
 * (https://docs.aws.amazon.com/lambda/latest/dg/with-msk.html, example event: `timestamp`,
 * `timestampType`): the producer's clock (CREATE_TIME) unless the topic sets
 * `message.timestamp.type=LogAppendTime` (LOG_APPEND_TIME, the broker's). Replay-stable: a replayed
 * record carries the same timestamp.
 */
export interface RecordCoordinates {
  topic: string;
  partition: number;
  offset: number;
  /** Epoch milliseconds. */
  timestamp: number;
  timestampType: 'CREATE_TIME' | 'LOG_APPEND_TIME';
}

/** Dimension rows by dimension name (what a lookup of that dimension returns). */
export type DimensionRows = Record<string, object>;

/** The dimension keys an event joins on, by dimension name (undefined = no join). */
export type DimensionKeys<D extends DimensionRows = DimensionRows> = Partial<
  Record<keyof D & string, string | undefined>
>;

/** Dimensions of the batch; `null` when the row is missing (enrichment is a left join). */
export interface DimensionView<D extends DimensionRows = DimensionRows> {
  get<N extends keyof D & string>(dimension: N, key: string | undefined): D[N] | null;
}

/** What one event writes. */
export interface EventWrite {
  eventId: string;
  /** The event's own row, in a table keyed by event_id. */
  event: TableRow;
  /**
   * Rows written when, and only when, the event is applied for the first time (its `event` row is
   * inserted): state rows merged, and the event's rows in other event tables (fan-out).
   */
  state: TableRow[];
  /**
   * Tables the event is not written to (a declared processor's WHERE, or an inner lookup join that
   * found no dimension row): counted, per table, in the batch's stats.
   */
  skipped?: readonly string[];
  /**
   * Tables whose window rows the event was too late for (the table's `lateness` bound,
   * shared/pipeline/lateness.ts): those rows are left out, the rest written; counted per table.
   */
  late?: readonly string[];
}

export interface EventProcessor<P = Record<string, unknown>, D extends DimensionRows = DimensionRows> {
  /** The event type it handles, e.g. `user_login`. */
  readonly type: string;
  dimensionKeys(event: BusinessEvent<P>): DimensionKeys<D>;
  /**
   * Whether the event is written at all (a declared processor's WHERE). An event it returns false
   * for writes nothing and is not dead-lettered or retried: it is done, as a filtered-out record is
   * in Flink. Without it, every event is written.
   */
  where?(event: BusinessEvent<P>, dimensions: DimensionView<D>): boolean;
  toWrite(event: BusinessEvent<P>, dimensions: DimensionView<D>, record: RecordCoordinates): EventWrite;
}

/** The processor writing its event row only, its state rows left out (the CLI's anchors, the bench). */
export function withoutState(processor: EventProcessor): EventProcessor {
  return {
    ...processor,
    toWrite: (e, dims, record) => ({ ...processor.toWrite(e, dims, record), state: [] }),
  };
}

/** Types a processor by its payload and dimensions, and erases those types for the pipeline. */
export function defineProcessor<P, D extends DimensionRows>(processor: EventProcessor<P, D>): EventProcessor {
  return processor as unknown as EventProcessor;
}
