/**
 * Declarative processors: the object form's front end, and the compiler of the intermediate form
 * (shared/definitions/mapping.ts) into ordinary EventProcessors, which run through the same
 * batched, exactly-once sink path as code processors. Flink users know the shape as a Flink SQL
 * INSERT … SELECT with lookup joins; the SQL form (sql.ts) translates into the same mappings, and
 * shared/definitions/check.ts checks both, once.
 *
 * The object form's one convenience: a numeric payload field into a DATETIME column is epoch
 * milliseconds (it is translated into TO_TIMESTAMP_LTZ(field, 3), as SQL writes it). Any value into
 * a JSON column is serialised. Event tables' standard columns (event_id … source, kafka_*) are
 * filled automatically.
 *
 * Fan-out and exactly once. A type may have rows in several event tables (Flink's statement set,
 * UNION ALL) and merge into several state tables. Its processor writes one EventWrite per event:
 * `event` is the anchor — the row of a mapping with no WHERE and no inner join when there is one —
 * and the other event rows travel with the state rows, which the sink writes when, and only when,
 * the anchor row is inserted for the first time (shared/sink/sink.ts): a replay or a duplicate
 * writes nothing again, and nothing is counted twice. A type a state mapping aggregates must have
 * such an anchor (check.ts refuses it otherwise). A type without state may have only conditional
 * rows: the first row written is the anchor; an event none of them writes is filtered out.
 * A table an event's row is not written to (its WHERE, or an inner join that found no dimension
 * row) is named in EventWrite.skipped, which processBatch counts per table.
 */

import {
  checkMappings,
  DefinitionProblem,
  type DefinitionWorld,
  isEventTable,
  type Place,
} from '../definitions/check.ts';
import { compileExpression, type EvaluationContext, toColumnValue } from '../definitions/evaluate.ts';
import {
  type EventMapping,
  isConditional,
  isStateMapping,
  type Join,
  type Mapping,
  type Source,
  type StateMapping,
} from '../definitions/mapping.ts';
import { fieldType } from '../definitions/payload-types.ts';
import { isNumeric } from '../definitions/types.ts';
import { callFunction, numberLiteral } from '../definitions/typing.ts';
import type { BusinessEvent } from '../events/business-event.ts';
import type * as z from '../events/zod.ts';
import {
  type Column,
  checkedRow,
  type Row,
  type SqlValue,
  type Table,
  type TableRow,
} from '../tables/table.ts';
import {
  type DimensionKeys,
  type DimensionRows,
  type DimensionView,
  defineProcessor,
  type EventProcessor,
  type EventWrite,
  type RecordCoordinates,
} from './processor.ts';

export type { Aggregate, EventMapping, Join, Mapping, Source, StateMapping } from '../definitions/mapping.ts';

/** What the compiler needs to know about the world the mappings live in. */
export interface DeclarativeContext {
  /** Tables that may be written. */
  tables: readonly Table[];
  /** Dimension tables that may be joined: name, table, key and the columns a lookup returns. */
  dimensions: DefinitionWorld['dimensions'];
  /** Event types with their payload schemas. */
  events: readonly { type: string; payload: z.ZodMiniType }[];
  /** The standard columns of an event row (event id … Kafka coordinates). */
  eventRow(event: BusinessEvent<unknown>, record: RecordCoordinates): Row;
  /** The order columns of a state row (its newest event), where the table has them. */
  stateRow(event: BusinessEvent<unknown>): Row;
  /** The event's order key ("newest wins": event time, version, id). */
  orderKey(event: BusinessEvent<unknown>): string;
}

export class DefinitionError extends Error {
  override readonly name = 'DefinitionError';
}

/** The columns a processor fills itself, by the context's row builders. */
export function automaticColumns(
  context: Pick<DeclarativeContext, 'eventRow' | 'stateRow'>,
): DefinitionWorld['automatic'] {
  return {
    event: Object.keys(context.eventRow(SAMPLE_EVENT, SAMPLE_RECORD)),
    state: Object.keys(context.stateRow(SAMPLE_EVENT)),
  };
}

/**
 * The object form: translates its conveniences into the intermediate form, checks it
 * (check.ts) and compiles it into one processor per event type. Every mistake is found here, when
 * the domain is defined, as a DefinitionError naming the mapping and column.
 */
export function compileMappings(mappings: readonly Mapping[], context: DeclarativeContext): EventProcessor[] {
  const world: DefinitionWorld = { ...context, automatic: automaticColumns(context) };
  const translated = mappings.map((m) => translate(m, context));
  try {
    checkMappings(translated, world);
  } catch (error) {
    if (!(error instanceof DefinitionProblem)) throw error;
    throw new DefinitionError(`${label(translated[error.mapping]!, error.place)}: ${error.message}`);
  }
  return compileChecked(translated, context);
}

/**
 * State mappings alone (SQL: aggregates without their types' event-table statements), compiled into
 * state processors to sit beside code processors of the same types (withState): the code writes the
 * event row, which merges these state rows exactly once.
 */
export function compileStates(mappings: readonly Mapping[], context: DeclarativeContext): StateProcessor[] {
  const world: DefinitionWorld = { ...context, automatic: automaticColumns(context) };
  const translated = mappings.map((m) => translate(m, context));
  try {
    checkMappings(translated, world, undefined, { complete: false });
  } catch (error) {
    if (!(error instanceof DefinitionProblem)) throw error;
    throw new DefinitionError(`${label(translated[error.mapping]!, error.place)}: ${error.message}`);
  }
  const states = translated.filter(isStateMapping);
  const row = translated.find((m) => !isStateMapping(m));
  if (row) {
    throw new DefinitionError(
      `event mapping ${(row as EventMapping).type} → ${row.into}: state statements only here; the event row comes from the code processor beside them`,
    );
  }
  const types = [...new Set(states.flatMap((s) => s.types))];
  return types.map((type) => {
    const own = states.filter((s) => s.types.includes(type));
    const joins = new Map<string, Join>();
    for (const m of own) for (const j of m.joins) joins.set(j.dimension, j);
    const keys: Keys = [...joins.values()].map((j) => ({
      dimension: j.dimension,
      read: payloadReader(j.on),
    }));
    const writers = own.map((s) => stateWriter(s, type, context));
    return {
      type,
      dimensionKeys: (e) => dimensionKeysOf(e, keys),
      state: (e, dims) => writers.flatMap((w) => w.write(e, dims, keys) ?? []),
    } satisfies StateProcessor;
  });
}

function dimensionKeysOf(e: BusinessEvent<unknown>, keys: Keys): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const { dimension, read } of keys) {
    const key = read(e.payload);
    if (key !== undefined && key !== null) out[dimension] = String(key);
  }
  return out;
}

/** Compiles mappings check.ts has checked into one processor per event type, in order. */
export function compileChecked(mappings: readonly Mapping[], context: DeclarativeContext): EventProcessor[] {
  const rows = mappings.filter((m): m is EventMapping => !isStateMapping(m));
  const states = mappings.filter(isStateMapping);
  const types = [...new Set(rows.map((m) => m.type))];
  return types.map((type) =>
    compileType(
      type,
      rows.filter((m) => m.type === type),
      states.filter((s) => s.types.includes(type)),
      context,
    ),
  );
}

function label(m: Mapping, place: Place): string {
  const head = isStateMapping(m) ? `state mapping → ${m.into}` : `event mapping ${m.type} → ${m.into}`;
  switch (place.part) {
    case 'column':
    case 'value':
      return `${head}, column ${place.column}`;
    case 'where':
      return `${head}, where`;
    case 'join':
      return `${head}, join ${place.dimension}`;
    default:
      return head;
  }
}

/** A numeric payload field into a DATETIME column: epoch milliseconds, TO_TIMESTAMP_LTZ(field, 3). */
function translate(m: Mapping, context: DeclarativeContext): Mapping {
  const table = context.tables.find((t) => t.name === m.into);
  if (!table) return m;
  const types = isStateMapping(m) ? m.types : [m.type];
  const epochMillis = (source: Source, column: string, when?: string[]): Source => {
    const spec = Object.hasOwn(table.columns, column) ? table.columns[column] : undefined;
    if (spec?.kind !== 'datetime' || !('payload' in source)) return source;
    const path = source.payload.split('.');
    const fields = context.events
      .filter((e) => (when ?? types).includes(e.type))
      .map((e) => fieldType(e.payload, path));
    if (fields.length === 0 || !fields.every((f) => f && isNumeric(f.type))) return source;
    const field = {
      expr: { op: 'field' as const, path, t: fields[0]!.type },
      nullable: fields.some((f) => f!.nullable),
    };
    const typed = callFunction('TO_TIMESTAMP_LTZ', [field, numberLiteral('3')])!;
    return { expr: typed.expr, nullable: typed.nullable };
  };
  const mapColumns = <T>(columns: Record<string, T>, f: (value: T, column: string) => T) =>
    Object.fromEntries(Object.entries(columns).map(([c, v]) => [c, f(v, c)]));
  if (!isStateMapping(m)) return { ...m, columns: mapColumns(m.columns, epochMillis) };
  return {
    ...m,
    key: mapColumns(m.key, epochMillis),
    columns: mapColumns(m.columns, (a, c) =>
      'last' in a ? { ...a, last: epochMillis(a.last, c, a.when) } : a,
    ),
  };
}

type Event = BusinessEvent<Record<string, unknown>>;
type Keys = Array<{ dimension: string; read: (payload: unknown) => unknown }>;
type Read = (e: Event, dims: DimensionView, keys: Keys) => SqlValue;

/** One event mapping, ready: whether it writes the event, and its row. */
interface RowWriter {
  table: Table;
  conditional: boolean;
  writes(e: Event, dims: DimensionView, keys: Keys): boolean;
  row(e: Event, dims: DimensionView, keys: Keys, record: RecordCoordinates): TableRow;
}

function compileType(
  type: string,
  mappings: readonly EventMapping[],
  states: readonly StateMapping[],
  context: DeclarativeContext,
): EventProcessor {
  const joins = new Map<string, Join>();
  for (const m of [...mappings, ...states]) for (const j of m.joins) joins.set(j.dimension, j);
  const keys: Keys = [...joins.values()].map((j) => ({ dimension: j.dimension, read: payloadReader(j.on) }));
  const writers = mappings.map((m) => rowWriter(m, context));
  const anchor = writers.findIndex((w) => !w.conditional);
  const stateWriters = states.map((s) => stateWriter(s, type, context));

  return defineProcessor<Record<string, unknown>, Record<string, object>>({
    type,
    dimensionKeys: (e) => dimensionKeysOf(e, keys),
    ...(anchor < 0 && {
      where: (e: Event, dims: DimensionView) => writers.some((w) => w.writes(e, dims, keys)),
    }),
    toWrite(e, dims, record): EventWrite {
      const written: TableRow[] = [];
      const skipped: string[] = [];
      let first: TableRow | undefined;
      for (const [i, w] of writers.entries()) {
        if (!w.writes(e, dims, keys)) {
          skipped.push(w.table.name);
          continue;
        }
        const row = w.row(e, dims, keys, record);
        if (i === anchor || (anchor < 0 && !first)) first = row;
        else written.push(row);
      }
      if (!first) throw new Error(`${type}: toWrite called for an event its WHERE filters out`);
      const state = [...written];
      for (const s of stateWriters) {
        const row = s.write(e, dims, keys);
        if (row) state.push(row);
        else skipped.push(s.table.name);
      }
      return { eventId: e.eventId, event: first, state, ...(skipped.length > 0 && { skipped }) };
    },
  });
}

/** Whether every inner join of `joins` found its dimension row. */
function innerJoinsFound(joins: readonly Join[]): (e: Event, dims: DimensionView, keys: Keys) => boolean {
  const inner = joins.filter((j) => j.inner).map((j) => j.dimension);
  return (e, dims, keys) => inner.every((d) => dimensionRow(e, dims, keys, d) !== null);
}

function rowWriter(m: EventMapping, context: DeclarativeContext): RowWriter {
  const table = context.tables.find((t) => t.name === m.into)!;
  const columns = Object.entries(m.columns).map(([column, source]) => ({
    column,
    value: reader(source, table.columns[column]!),
  }));
  const found = innerJoinsFound(m.joins);
  const condition = m.where && compileExpression(m.where);
  return {
    table,
    conditional: isConditional(m),
    writes: (e, dims, keys) =>
      found(e, dims, keys) && (!condition || condition(evaluationContext(e, dims, keys)) === true),
    row(e, dims, keys, record) {
      const row: Row = context.eventRow(e, record);
      for (const { column, value } of columns) row[column] = value(e, dims, keys);
      return checkedRow(table, row);
    },
  };
}

/** A state mapping's row for events of `type` (null when an inner join found no dimension row). */
function stateWriter(
  mapping: StateMapping,
  type: string,
  context: DeclarativeContext,
): { table: Table; write: (e: Event, dims: DimensionView, keys: Keys) => TableRow | null } {
  const table = context.tables.find((t) => t.name === mapping.into)!;
  const merges = table.merge;
  const parts: Array<(e: Event, dims: DimensionView, keys: Keys, row: Row) => void> = [];
  for (const [column, source] of Object.entries(mapping.key)) {
    const read = reader(source, table.columns[column]!);
    parts.push((e, dims, keys, row) => {
      row[column] = read(e, dims, keys);
    });
  }
  for (const [column, aggregate] of Object.entries(mapping.columns)) {
    const spec = table.columns[column]!;
    const applies = !aggregate.when || aggregate.when.includes(type);
    if ('count' in aggregate) {
      parts.push((_e, _d, _k, row) => {
        row[column] = applies ? 1 : 0;
      });
    } else if ('sum' in aggregate) {
      const read = reader(aggregate.sum, spec);
      parts.push((e, dims, keys, row) => {
        row[column] = applies ? (read(e, dims, keys) ?? 0) : 0;
      });
    } else {
      const read = reader(aggregate.last, spec);
      const merge = merges[column];
      // Unfiltered into a newestBy column: the newest of every type this mapping aggregates.
      const by = typeof merge === 'object' ? merge.newestBy : undefined;
      parts.push((e, dims, keys, row) => {
        row[column] = applies ? read(e, dims, keys) : null;
        if (by) row[by] = applies ? context.orderKey(e) : '';
      });
    }
  }
  // Order keys this mapping sets; a group it does not set stays '' (never newer), so its columns
  // need no value. A counter or sum no aggregate feeds adds nothing.
  const fed = new Set([...Object.keys(mapping.key), ...Object.keys(mapping.columns)]);
  const orderKeysFed = new Set(
    Object.keys(mapping.columns).flatMap((c) => {
      const m = merges[c];
      return typeof m === 'object' ? [m.newestBy] : [];
    }),
  );
  for (const [column, merge] of Object.entries(merges)) {
    const orderKey = typeof merge === 'object' ? merge.newestBy : undefined;
    if (orderKey && !orderKeysFed.has(orderKey) && !fed.has(orderKey)) {
      fed.add(orderKey);
      parts.push((_e, _d, _k, row) => {
        row[orderKey] = '';
      });
    }
    if (merge === 'add' && !fed.has(column)) {
      fed.add(column);
      parts.push((_e, _d, _k, row) => {
        row[column] = 0;
      });
    }
  }
  const found = innerJoinsFound(mapping.joins);
  return {
    table,
    write(e, dims, keys) {
      if (!found(e, dims, keys)) return null;
      const row: Row = {};
      for (const [column, value] of Object.entries(context.stateRow(e)))
        if (table.columns[column]) row[column] = value;
      for (const part of parts) part(e, dims, keys, row);
      return checkedRow(table, row);
    },
  };
}

function payloadReader(path: string): (payload: unknown) => unknown {
  const parts = path.split('.');
  return (payload) => {
    let value: unknown = payload;
    for (const part of parts) {
      if (value === null || typeof value !== 'object' || !Object.hasOwn(value, part)) return undefined;
      value = (value as Record<string, unknown>)[part];
    }
    return value;
  };
}

/** Reads a source and converts it to the column's kind. */
function reader(source: Source, column: Column): Read {
  const convert = (value: unknown): SqlValue => {
    if (value === undefined || value === null) return null;
    if (column.kind === 'json') return JSON.stringify(value);
    if (column.kind === 'datetime' && typeof value === 'number') return new Date(value);
    return value as SqlValue;
  };
  if ('literal' in source) {
    // A string into a JSON column is JSON text already (check.ts checked it parses).
    const value =
      column.kind === 'json' && typeof source.literal === 'string' ? source.literal : convert(source.literal);
    return () => value;
  }
  if ('expr' in source) {
    const evaluate = compileExpression(source.expr);
    const t = source.expr.t;
    const jsonText = source.expr.op === 'literal';
    return (e, dims, keys) =>
      toColumnValue(evaluate(evaluationContext(e, dims, keys)), t, column.kind, { jsonText }) as SqlValue;
  }
  if ('event' in source) {
    const field = source.event;
    return (e) => convert(e[field]);
  }
  if ('payload' in source) {
    const read = payloadReader(source.payload);
    return (e) => convert(read(e.payload));
  }
  const { dimension, column: dimensionColumn } = source;
  return (e, dims, keys) => convert(dimensionRow(e, dims, keys, dimension)?.[dimensionColumn]);
}

/** The dimension row a join found for the event (NULL when it is missing). */
function dimensionRow(
  e: Event,
  dims: DimensionView,
  keys: Keys,
  dimension: string,
): Record<string, unknown> | null {
  const key = keys.find((k) => k.dimension === dimension)?.read(e.payload);
  return dims.get(dimension, key === undefined || key === null ? undefined : String(key)) as Record<
    string,
    unknown
  > | null;
}

function evaluationContext(e: Event, dims: DimensionView, keys: Keys): EvaluationContext {
  return { event: e, dimension: (name, column) => dimensionRow(e, dims, keys, name)?.[column] };
}

/**
 * State rows written as code for a type whose event rows are declared: the state a statement cannot
 * say yet (ordered by a payload time, a status derived from the type). Combined with the type's
 * declared processor by withState.
 */
export interface StateProcessor<P = Record<string, unknown>, D extends DimensionRows = DimensionRows> {
  readonly type: string;
  dimensionKeys(event: BusinessEvent<P>): DimensionKeys<D>;
  /** The state rows the event merges (written when, and only when, its event row is new). */
  state(event: BusinessEvent<P>, dimensions: DimensionView<D>): TableRow[];
}

/** Types a state processor by its payload and dimensions, and erases those types. */
export function defineState<P, D extends DimensionRows>(state: StateProcessor<P, D>): StateProcessor {
  return state as unknown as StateProcessor;
}

/**
 * Each type's processor with its code state rows added: the dimension keys of both, the declared
 * processor's rows, then the code's state rows — which the sink merges with the declared state,
 * only when the event's anchor row is new (exactly once). A type with code state must write an event
 * row for every event (no processor-level WHERE), or an event it drops would merge nothing.
 */
export function withState(
  processors: readonly EventProcessor[],
  states: readonly StateProcessor[],
): EventProcessor[] {
  for (const s of states) {
    const processor = processors.find((p) => p.type === s.type);
    if (!processor) throw new DefinitionError(`code state for ${s.type}: the type has no processor`);
    if (processor.where) {
      throw new DefinitionError(
        `code state for ${s.type}: its statements may write no row for an event (WHERE or inner join on every one), and the event row is what merges its state exactly once`,
      );
    }
  }
  return processors.map((processor) => {
    const own = states.filter((s) => s.type === processor.type);
    if (own.length === 0) return processor;
    return {
      type: processor.type,
      dimensionKeys: (e) =>
        Object.assign({}, processor.dimensionKeys(e), ...own.map((s) => s.dimensionKeys(e))),
      toWrite(e, dims, record) {
        const write = processor.toWrite(e, dims, record);
        return { ...write, state: [...write.state, ...own.flatMap((s) => s.state(e, dims))] };
      },
    } satisfies EventProcessor;
  });
}

export { isEventTable };

const SAMPLE_EVENT: BusinessEvent<unknown> = {
  domain: 'd',
  type: 't',
  timestamp: 0,
  eventId: 'e',
  payload: {},
  version: '1.0',
  source: 's',
};
const SAMPLE_RECORD: RecordCoordinates = { topic: 't', partition: 0, offset: 0 };
