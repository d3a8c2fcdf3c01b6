/**
 * How declared processors read an event's values (shared/pipeline/declarative.ts): payload fields,
 * the envelope, joined dimension rows and typed expressions, converted to the column they fill.
 */

import type { DefinitionWorld } from '../definitions/check.ts';
import { compileExpression, type EvaluationContext, toColumnValue } from '../definitions/evaluate.ts';
import type { Join, Source } from '../definitions/mapping.ts';
import type { BusinessEvent } from '../events/business-event.ts';
import type * as z from '../events/zod.ts';
import type { Column, Row, SqlValue, Table } from '../tables/table.ts';
import type { DimensionView, RecordCoordinates } from './processor.ts';

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

export type Event = BusinessEvent<Record<string, unknown>>;
export type Keys = Array<{ dimension: string; read: (payload: unknown) => unknown }>;
export type Read = (e: Event, dims: DimensionView, keys: Keys) => SqlValue;

export function dimensionKeysOf(e: BusinessEvent<unknown>, keys: Keys): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const { dimension, read } of keys) {
    const key = read(e.payload);
    if (key !== undefined && key !== null) out[dimension] = String(key);
  }
  return out;
}

/** Whether every inner join of `joins` found its dimension row. */
export function innerJoinsFound(
  joins: readonly Join[],
): (e: Event, dims: DimensionView, keys: Keys) => boolean {
  const inner = joins.filter((j) => j.inner).map((j) => j.dimension);
  return (e, dims, keys) => inner.every((d) => dimensionRow(e, dims, keys, d) !== null);
}

export function payloadReader(path: string): (payload: unknown) => unknown {
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
export function reader(source: Source, column: Column): Read {
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
  if ('window' in source)
    throw new Error('a window bound is read by its state mapping (declarative-state.ts)');
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

export function evaluationContext(e: Event, dims: DimensionView, keys: Keys): EvaluationContext {
  return { event: e, dimension: (name, column) => dimensionRow(e, dims, keys, name)?.[column] };
}
