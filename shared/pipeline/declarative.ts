/**
 * Declarative processors: which event values feed which columns, which dimension rows are joined
 * (a left join by key, through the warm cache), and how state rows aggregate — compiled into an
 * ordinary EventProcessor, so they run through the same batched, exactly-once sink path as code
 * processors. Flink users know the shape as a Flink SQL INSERT … SELECT with lookup joins; the SQL
 * form (sql.ts) compiles to these definitions.
 *
 * Values are converted to the target column's kind: epoch milliseconds into a DATETIME column
 * become a Date, any value into a JSON column is serialised. Event tables' standard columns
 * (event_id … source, kafka_*) are filled automatically.
 */

import { compileExpression, type EvaluationContext, toColumnValue } from '../definitions/evaluate.ts';
import type { Expr } from '../definitions/expression.ts';
import type { BusinessEvent } from '../events/business-event.ts';
import * as z from '../events/zod.ts';
import {
  type Column,
  type ColumnKind,
  checkedRow,
  type Row,
  type SqlValue,
  type Table,
  type TableRow,
} from '../tables/table.ts';
import {
  type DimensionView,
  defineProcessor,
  type EventProcessor,
  type RecordCoordinates,
} from './processor.ts';

/** A value of the event. */
export type Source =
  /** A payload field, by path: `productId`, `address.city`. */
  | { payload: string }
  /** An envelope field. */
  | { event: 'eventId' | 'type' | 'timestamp' | 'version' | 'source' | 'domain' }
  /** A column of a joined dimension row (NULL when the row is missing). */
  | { dimension: string; column: string }
  /** A constant. A string into a JSON column is the JSON text it spells (checked when it compiles). */
  | { literal: string | number | null }
  /** A typed scalar expression (shared/definitions/expression.ts), evaluated per event. */
  | { expr: Expr };

/** A left join of a dimension table on a payload field. */
export interface Join {
  /** The dimension's name (shared/domains/dimensions.ts). */
  dimension: string;
  /** The payload field holding the dimension's key. */
  on: string;
}

/** One event type's row in its event table. */
export interface EventMapping {
  /** The event type. */
  type: string;
  /** The event table (keyed by event_id). */
  into: string;
  joins: Join[];
  /** Columns other than the standard ones, each from a source. */
  columns: Record<string, Source>;
  /**
   * A condition (BOOLEAN) on the event and its dimension rows (SQL: WHERE): an event it does not
   * hold for (FALSE or NULL) writes nothing. Not allowed when a state mapping aggregates the type.
   */
  where?: Expr;
}

/**
 * An aggregate of a state table's column over the events of a key. `when` limits it to some event
 * types (SQL: `FILTER (WHERE type = '…')`); without it every event of the mapping counts.
 */
export type Aggregate =
  /** COUNT(*): a counter column (merge `add`). */
  | { count: true; when?: string[] }
  /** SUM(value): a sum column (merge `add`). */
  | { sum: Source; when?: string[] }
  /**
   * LAST_VALUE(value): the value of the newest event (event time, version, id). Without `when`
   * the column merges `newest`; with it, `newestBy` the order-key column of those types.
   */
  | { last: Source; when?: string[] };

/** A state table aggregated over events, grouped by its key (SQL: INSERT … SELECT … GROUP BY). */
export interface StateMapping {
  /** The state table. */
  into: string;
  /** The event types aggregated (SQL: `FROM <type>` or `WHERE type IN (…)`). */
  types: string[];
  joins: Join[];
  /** Key columns (the GROUP BY), each from a source. */
  key: Record<string, Source>;
  /** Aggregated columns. */
  columns: Record<string, Aggregate>;
}

/** What the compiler needs to know about the world the mappings live in. */
export interface DeclarativeContext {
  /** Tables that may be written. */
  tables: readonly Table[];
  /** Dimension tables that may be joined: their names and the columns a lookup returns. */
  dimensions: readonly { name: string; columns: readonly string[] }[];
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

type Mapping = EventMapping | StateMapping;
const isState = (m: Mapping): m is StateMapping => 'types' in m;

/**
 * Compiles mappings into one processor per event type: its event row, plus the state rows of every
 * state mapping that aggregates its type. Every mistake is found here, when the domain is defined.
 */
export function compileMappings(mappings: readonly Mapping[], context: DeclarativeContext): EventProcessor[] {
  const eventMappings = mappings.filter((m): m is EventMapping => !isState(m));
  const stateMappings = mappings.filter(isState);
  const byType = new Map<string, EventMapping>();
  for (const m of eventMappings) {
    if (byType.has(m.type)) throw new DefinitionError(`two event mappings for ${m.type}`);
    byType.set(m.type, m);
  }
  for (const s of stateMappings) {
    for (const type of s.types) {
      const m = byType.get(type);
      if (!m) throw new DefinitionError(`state mapping into ${s.into}: ${type} has no event mapping`);
      if (m.where) {
        throw new DefinitionError(
          `state mapping into ${s.into}: ${type}'s event mapping has a filter (where); an event it drops would have no event row to merge its state exactly once`,
        );
      }
    }
  }
  return eventMappings.map((m) =>
    compileType(
      m,
      stateMappings.filter((s) => s.types.includes(m.type)),
      context,
    ),
  );
}

function compileType(
  mapping: EventMapping,
  states: StateMapping[],
  context: DeclarativeContext,
): EventProcessor {
  const where = `event mapping ${mapping.type} → ${mapping.into}`;
  const event = context.events.find((e) => e.type === mapping.type);
  if (!event) throw new DefinitionError(`${where}: unknown event type ${mapping.type}`);
  const table = tableOf(context, mapping.into, where);
  if (!(table.key.length === 1 && table.key[0] === 'event_id')) {
    throw new DefinitionError(`${where}: ${table.name} is not an event table (keyed by event_id)`);
  }
  const joins = [...mapping.joins, ...states.flatMap((s) => s.joins)];
  const check = (source: Source, column: string, label: string) =>
    checkSource(
      source,
      table.columns[column]!,
      [event.payload],
      mapping.joins,
      context,
      `${label}, column ${column}`,
    );
  const standard = Object.keys(context.eventRow(SAMPLE_EVENT, SAMPLE_RECORD));
  for (const [column, source] of Object.entries(mapping.columns)) {
    if (!table.columns[column])
      throw new DefinitionError(`${where}: unknown column ${column} of ${table.name}`);
    if (standard.includes(column)) throw new DefinitionError(`${where}: ${column} is filled automatically`);
    check(source, column, where);
  }
  requireCovered(table, [...standard, ...Object.keys(mapping.columns)], where);
  const eventColumns = Object.entries(mapping.columns).map(([column, source]) => ({
    column,
    value: reader(source, table.columns[column]!),
  }));
  const stateWriters = states.map((s) => compileState(s, mapping.type, context));
  const keys = joins.map((j) => ({ dimension: j.dimension, read: payloadReader(j.on) }));
  if (mapping.where) checkExpression(mapping.where, mapping.joins, context, `${where}, WHERE`);
  const condition = mapping.where && compileExpression(mapping.where);

  return defineProcessor<Record<string, unknown>, Record<string, object>>({
    type: mapping.type,
    dimensionKeys(e) {
      const out: Record<string, string | undefined> = {};
      for (const { dimension, read } of keys) {
        const key = read(e.payload);
        if (key !== undefined && key !== null) out[dimension] = String(key);
      }
      return out;
    },
    ...(condition && {
      where: (e: BusinessEvent<Record<string, unknown>>, dims: DimensionView) =>
        condition(evaluationContext(e, dims, keys)) === true,
    }),
    toWrite(e, dims, record) {
      const row: Row = context.eventRow(e, record);
      for (const { column, value } of eventColumns) row[column] = value(e, dims, keys);
      return {
        eventId: e.eventId,
        event: checkedRow(table, row),
        state: stateWriters.map((write) => write(e, dims, keys)),
      };
    },
  });
}

type Keys = Array<{ dimension: string; read: (payload: unknown) => unknown }>;
type Read = (e: BusinessEvent<Record<string, unknown>>, dims: DimensionView, keys: Keys) => SqlValue;

function compileState(
  mapping: StateMapping,
  type: string,
  context: DeclarativeContext,
): (e: BusinessEvent<Record<string, unknown>>, dims: DimensionView, keys: Keys) => TableRow {
  const where = `state mapping → ${mapping.into}`;
  const table = tableOf(context, mapping.into, where);
  const keyColumns = Object.keys(mapping.key);
  if (keyColumns.length !== table.key.length || !table.key.every((k) => keyColumns.includes(k))) {
    throw new DefinitionError(
      `${where}: GROUP BY must be the key of ${table.name} (${table.key.join(', ')})`,
    );
  }
  const merges = table.merge;
  // A source is read from the events it applies to: its filter's types, or every type aggregated.
  const payloads = (types: readonly string[]) =>
    types.map((t) => context.events.find((e) => e.type === t)?.payload ?? z.never());
  const check = (source: Source, column: string, types: readonly string[] = mapping.types) =>
    checkSource(
      source,
      table.columns[column]!,
      payloads(types),
      mapping.joins,
      context,
      `${where}, column ${column}`,
    );
  const parts: Array<
    (e: BusinessEvent<Record<string, unknown>>, dims: DimensionView, keys: Keys, row: Row) => void
  > = [];
  for (const [column, source] of Object.entries(mapping.key)) {
    check(source, column);
    const read = reader(source, table.columns[column]!);
    parts.push((e, dims, keys, row) => {
      row[column] = read(e, dims, keys);
    });
  }
  for (const [column, aggregate] of Object.entries(mapping.columns)) {
    const spec = table.columns[column];
    if (!spec) throw new DefinitionError(`${where}: unknown column ${column} of ${table.name}`);
    const merge = merges[column];
    const applies = !aggregate.when || aggregate.when.includes(type);
    for (const t of aggregate.when ?? []) {
      if (!mapping.types.includes(t))
        throw new DefinitionError(`${where}, column ${column}: ${t} is not aggregated here`);
    }
    if ('count' in aggregate || 'sum' in aggregate) {
      if (merge !== 'add') {
        throw new DefinitionError(
          `${where}, column ${column}: an aggregate that adds needs merge 'add', not ${show(merge)}`,
        );
      }
      if ('count' in aggregate) {
        parts.push((_e, _d, _k, row) => {
          row[column] = applies ? 1 : 0;
        });
      } else {
        check(aggregate.sum, column, aggregate.when);
        const read = reader(aggregate.sum, spec);
        parts.push((e, dims, keys, row) => {
          row[column] = applies ? (read(e, dims, keys) ?? 0) : 0;
        });
      }
      continue;
    }
    check(aggregate.last, column, aggregate.when);
    const read = reader(aggregate.last, spec);
    // Unfiltered into a newestBy column: the newest of every type this mapping aggregates.
    const by = typeof merge === 'object' ? merge.newestBy : undefined;
    if (aggregate.when ? !by : !by && merge !== 'newest' && merge !== 'newestOrFirst') {
      throw new DefinitionError(
        `${where}, column ${column}: LAST_VALUE${aggregate.when ? ' with a filter needs merge newestBy' : " needs merge 'newest' or newestBy"}, not ${show(merge)}`,
      );
    }
    parts.push((e, dims, keys, row) => {
      row[column] = applies ? read(e, dims, keys) : null;
      if (by) row[by] = applies ? context.orderKey(e) : '';
    });
  }
  const covered = new Set([...keyColumns, ...Object.keys(mapping.columns)]);
  // Order keys this mapping sets; a group it does not set stays '' (never newer), so its columns
  // need no value — but a group it sets must be set whole, or its other columns would turn NULL.
  const orderKeysFed = new Set(
    Object.keys(mapping.columns).flatMap((c) => {
      const m = merges[c];
      return typeof m === 'object' ? [m.newestBy] : [];
    }),
  );
  for (const [column, merge] of Object.entries(merges)) {
    const orderKey = typeof merge === 'object' ? merge.newestBy : undefined;
    if (orderKey && !orderKeysFed.has(orderKey)) {
      covered.add(column);
      if (!covered.has(orderKey)) {
        parts.push((_e, _d, _k, row) => {
          row[orderKey] = '';
        });
      }
    }
    if (orderKey) covered.add(orderKey);
    if (merge === 'add' && !covered.has(column)) {
      // A counter or sum no aggregate feeds adds nothing.
      parts.push((_e, _d, _k, row) => {
        row[column] = 0;
      });
      covered.add(column);
    }
    if (!covered.has(column) && !Object.hasOwn(context.stateRow(SAMPLE_EVENT), column)) {
      throw new DefinitionError(`${where}: column ${column} merges ${show(merge)} but nothing feeds it`);
    }
  }
  requireCovered(table, [...covered, ...Object.keys(context.stateRow(SAMPLE_EVENT))], where);
  return (e, dims, keys) => {
    const row: Row = {};
    for (const [column, value] of Object.entries(context.stateRow(e)))
      if (table.columns[column]) row[column] = value;
    for (const part of parts) part(e, dims, keys, row);
    return checkedRow(table, row);
  };
}

const show = (merge: unknown) => (merge === undefined ? 'none' : JSON.stringify(merge));

function tableOf(context: DeclarativeContext, name: string, where: string): Table {
  const table = context.tables.find((t) => t.name === name);
  if (!table) throw new DefinitionError(`${where}: unknown table ${name}`);
  return table;
}

/** NOT NULL columns without a default must be written. */
function requireCovered(table: Table, written: readonly string[], where: string): void {
  for (const [column, spec] of Object.entries(table.columns)) {
    if (spec.written && !spec.optional && !written.includes(column)) {
      throw new DefinitionError(`${where}: NOT NULL column ${column} of ${table.name} is not written`);
    }
  }
}

function checkSource(
  source: Source,
  column: Column,
  payloads: readonly z.ZodMiniType[],
  joins: readonly Join[],
  context: DeclarativeContext,
  where: string,
): void {
  const fieldKinds = (path: string) => {
    const kinds = new Set<ValueKind>();
    for (const payload of payloads) {
      const found = payloadKinds(payload, path);
      if (!found) return undefined;
      for (const k of found) kinds.add(k);
    }
    return kinds;
  };
  if ('expr' in source) {
    checkExpression(source.expr, joins, context, where);
  } else if ('literal' in source) {
    if (column.kind === 'json' && typeof source.literal === 'string') {
      try {
        JSON.parse(source.literal);
      } catch {
        throw new DefinitionError(
          `${where}: '${source.literal}' is not JSON text (a string literal fills a JSON column with the JSON it spells)`,
        );
      }
    }
  } else if ('payload' in source) {
    const kinds = fieldKinds(source.payload);
    if (!kinds) throw new DefinitionError(`${where}: unknown payload field ${source.payload}`);
    const refused = [...kinds].filter((k) => !ACCEPTS[column.kind].includes(k));
    if (refused.length > 0) {
      throw new DefinitionError(
        `${where}: payload field ${source.payload} (${refused.join('/')}) does not fit a ${column.kind} column`,
      );
    }
  } else if ('dimension' in source) {
    const dimension = context.dimensions.find((d) => d.name === source.dimension);
    if (!dimension) throw new DefinitionError(`${where}: unknown dimension ${source.dimension}`);
    if (!joins.some((j) => j.dimension === source.dimension)) {
      throw new DefinitionError(`${where}: dimension ${source.dimension} is not joined`);
    }
    if (!dimension.columns.includes(source.column)) {
      throw new DefinitionError(`${where}: unknown column ${source.column} of dimension ${source.dimension}`);
    }
  }
  for (const join of joins) {
    if (!context.dimensions.some((d) => d.name === join.dimension)) {
      throw new DefinitionError(`${where}: unknown dimension ${join.dimension}`);
    }
    if (!fieldKinds(join.on)) throw new DefinitionError(`${where}: unknown payload field ${join.on}`);
  }
}

/** What a payload field holds, as far as its schema tells. */
export type ValueKind = 'string' | 'number' | 'boolean' | 'array' | 'object' | 'unknown';

/** What a column of each kind accepts from the payload (the SQL form judges by the same table). */
export const ACCEPTS: Record<ColumnKind, readonly ValueKind[]> = {
  string: ['string', 'unknown'],
  int: ['number', 'unknown'],
  bigint: ['number', 'unknown'],
  decimal: ['number', 'string', 'unknown'],
  datetime: ['number', 'unknown'],
  json: ['string', 'number', 'boolean', 'array', 'object', 'unknown'],
  bytes: [],
};

/** The kinds a payload field's schema produces, or undefined when the path does not exist. */
export function payloadKinds(schema: z.ZodMiniType, path: string): Set<ValueKind> | undefined {
  let current: z.ZodMiniType | undefined = schema;
  for (const part of path.split('.')) {
    const object = unwrap(current);
    const shape = (object as { shape?: Record<string, z.ZodMiniType> } | undefined)?.shape;
    current = shape && Object.hasOwn(shape, part) ? shape[part] : undefined;
    if (!current) return undefined;
  }
  return kindsOf(current);
}

interface Def {
  type: string;
  innerType?: z.ZodMiniType;
  in?: z.ZodMiniType;
  out?: z.ZodMiniType;
  options?: z.ZodMiniType[];
}
const defOf = (schema: z.ZodMiniType) => (schema as unknown as { _zod: { def: Def } })._zod.def;

function unwrap(schema: z.ZodMiniType | undefined): z.ZodMiniType | undefined {
  let current = schema;
  while (current) {
    const def = defOf(current);
    if (def.innerType) current = def.innerType;
    else if (def.type === 'pipe') current = defOf(def.out!).type === 'transform' ? def.in : def.out;
    else return current;
  }
  return current;
}

function kindsOf(schema: z.ZodMiniType): Set<ValueKind> {
  const inner = unwrap(schema)!;
  const def = defOf(inner);
  if (def.type === 'union') return new Set(def.options!.flatMap((o) => [...kindsOf(o)]));
  const kinds: Record<string, ValueKind> = {
    string: 'string',
    number: 'number',
    int: 'number',
    boolean: 'boolean',
    array: 'array',
    object: 'object',
    record: 'object',
  };
  return new Set([kinds[def.type] ?? 'unknown']);
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
    // A string into a JSON column is JSON text already (checkSource checked it parses).
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
  return (e, dims, keys) => {
    const key = keys.find((k) => k.dimension === dimension)?.read(e.payload);
    const row = dims.get(dimension, key === undefined || key === null ? undefined : String(key)) as Record<
      string,
      unknown
    > | null;
    return convert(row?.[dimensionColumn]);
  };
}

/** The dimension row a join found for the event (NULL when it is missing). */
function dimensionRow(
  e: BusinessEvent<Record<string, unknown>>,
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

function evaluationContext(
  e: BusinessEvent<Record<string, unknown>>,
  dims: DimensionView,
  keys: Keys,
): EvaluationContext {
  return { event: e, dimension: (name, column) => dimensionRow(e, dims, keys, name)?.[column] };
}

/** An expression's dimension columns are joined and returned by their lookups; its payload fields exist. */
function checkExpression(
  expr: Expr,
  joins: readonly Join[],
  context: DeclarativeContext,
  where: string,
): void {
  const visit = (e: Expr): void => {
    if (e.op === 'dimension') {
      const dimension = context.dimensions.find((d) => d.name === e.dimension);
      if (!dimension) throw new DefinitionError(`${where}: unknown dimension ${e.dimension}`);
      if (!joins.some((j) => j.dimension === e.dimension))
        throw new DefinitionError(`${where}: dimension ${e.dimension} is not joined`);
      if (!dimension.columns.includes(e.column))
        throw new DefinitionError(`${where}: unknown column ${e.column} of dimension ${e.dimension}`);
    } else if (e.op === 'call') {
      for (const arg of e.args) visit(arg);
    }
  };
  visit(expr);
}

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
