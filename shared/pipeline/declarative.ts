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
import { compileExpression } from '../definitions/evaluate.ts';
import {
  type Aggregate,
  aggregateValue,
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
import { checkedRow, type Row, type Table, type TableRow } from '../tables/table.ts';
import { stateWriter } from './declarative-state.ts';
import {
  type DeclarativeContext,
  dimensionKeysOf,
  type Event,
  evaluationContext,
  innerJoinsFound,
  type Keys,
  payloadReader,
  reader,
} from './declarative-values.ts';
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

export type { DeclarativeContext };

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

/** Whether mappings were checked already: by scripts/compile-sql.ts, against the same scope. */
export interface CompileOptions {
  /**
   * The mappings come from shared/domains/sql.compiled.json: the build compiled and checked them,
   * both as SQL and here, against the tables and payload schemas the function ships with
   * (`npm run typecheck` fails when the file is not what they compile to now). A cold start
   * then translates and compiles them without checking them a third time (9–12 ms of CPU less
   * per cold start: docs/benchmarks.md, "Cold start against the plain bundle").
   */
  checked?: boolean;
}

/**
 * The object form: translates its conveniences into the intermediate form, checks it
 * (check.ts) and compiles it into one processor per event type. Every mistake is found here, when
 * the domain is defined, as a DefinitionError naming the mapping and column.
 */
export function compileMappings(
  mappings: readonly Mapping[],
  context: DeclarativeContext,
  options: CompileOptions = {},
): EventProcessor[] {
  const translated = mappings.map((m) => translate(m, context));
  if (!options.checked) check(translated, context, { complete: true });
  return compileChecked(translated, context);
}

/** Checks translated mappings (check.ts), turning a problem into a DefinitionError. */
function check(translated: readonly Mapping[], context: DeclarativeContext, options: { complete: boolean }) {
  const world: DefinitionWorld = { ...context, automatic: automaticColumns(context) };
  try {
    checkMappings(translated, world, undefined, options);
  } catch (error) {
    if (!(error instanceof DefinitionProblem)) throw error;
    throw new DefinitionError(`${label(translated[error.mapping]!, error.place)}: ${error.message}`);
  }
}

/**
 * State mappings alone (SQL: aggregates without their types' event-table statements), compiled into
 * state processors to sit beside code processors of the same types (withState): the code writes the
 * event row, which merges these state rows exactly once.
 */
export function compileStates(
  mappings: readonly Mapping[],
  context: DeclarativeContext,
  options: CompileOptions = {},
): StateProcessor[] {
  const translated = mappings.map((m) => translate(m, context));
  if (!options.checked) check(translated, context, { complete: false });
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
      state: (e, dims) => writers.flatMap((w) => w.write(e, dims, keys)),
    } satisfies StateProcessor;
  });
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
    columns: mapColumns(m.columns, (a, c) => {
      const { kind, value } = aggregateValue(a);
      if (!value || kind === 'count' || kind === 'sum') return a;
      return { ...a, [kind]: epochMillis(value, c, a.when) } as Aggregate;
    }),
  };
}

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
        const rows = s.write(e, dims, keys);
        if (rows.length > 0) state.push(...rows);
        else skipped.push(s.table.name);
      }
      return { eventId: e.eventId, event: first, state, ...(skipped.length > 0 && { skipped }) };
    },
  });
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
const SAMPLE_RECORD: RecordCoordinates = {
  topic: 't',
  partition: 0,
  offset: 0,
  timestamp: 0,
  timestampType: 'CREATE_TIME',
};
