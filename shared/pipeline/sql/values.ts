/**
 * What the SQL front end's name resolution (resolve.ts) works with: the context it checks against,
 * indexed (World), the envelope's functions, a resolved Value and the Source it compiles to, and
 * what a statement's SELECT list and dimension joins hold.
 */
import type { DefinitionWorld } from '../../definitions/check.ts';
import { ENVELOPE_TYPES, payloadsByType } from '../../definitions/check.ts';
import type { EnvelopeField } from '../../definitions/expression.ts';
import type { Aggregate, Source } from '../../definitions/mapping.ts';
import type { SqlType } from '../../definitions/types.ts';
import type { Typed } from '../../definitions/typing.ts';
import type * as z from '../../events/zod.ts';

/** What the statements are checked against (the definitions core's world). */
export type SqlContext = DefinitionWorld;

/** The envelope's functions: event_id(), event_type(), event_time(), … */
export const ENVELOPE: Record<string, { field: EnvelopeField; type: SqlType }> = Object.fromEntries(
  (
    [
      ['event_id', 'eventId'],
      ['event_type', 'type'],
      ['event_time', 'timestamp'],
      ['event_version', 'version'],
      ['event_source', 'source'],
      ['event_domain', 'domain'],
    ] as const
  ).map(([name, field]) => [name, { field, type: ENVELOPE_TYPES[field] }]),
);

/** The processing-time attribute a Flink lookup join names: `FOR SYSTEM_TIME AS OF e.proc_time`. */
export const PROC_TIME = 'proc_time';

/** Why a nondeterministic function (NOW(), RAND(), …) is refused. */
export const callFunctionProblem = (name: string) =>
  `${name.toUpperCase()} is refused: its result changes from one run to the next, and a replayed event must write the same row; use event_time(), the event's own time`;

/**
 * The Source a typed value compiles to: the plain forms (payload field, envelope, dimension column,
 * string or integer literal) where the value is one, an expression otherwise.
 */
export function sourceOf(typed: Typed): Source {
  const e = typed.expr;
  if (e.op === 'field' && e.path.every((p) => typeof p === 'string')) return { payload: e.path.join('.') };
  if (e.op === 'envelope') return { event: e.field };
  if (e.op === 'dimension') return { dimension: e.dimension, column: e.column };
  if (e.op === 'literal') {
    if (e.value === null) return { literal: null };
    if (e.t.type === 'STRING' && typeof e.value === 'string') return { literal: e.value };
    if (e.t.type === 'INT' && typeof e.value === 'string') return { literal: Number(e.value) };
  }
  return { expr: e, nullable: typed.nullable };
}

/** The name of every event type at once: `FROM events e WHERE type IN (…)`. */
export const ALL_EVENTS = 'events';

export type Dimension = SqlContext['dimensions'][number];
export type SqlTable = SqlContext['tables'][number];

/** The context, indexed. */
export class World {
  readonly tables: ReadonlyMap<string, SqlTable>;
  readonly dimensionsByTable: ReadonlyMap<string, Dimension>;
  readonly payloads: ReadonlyMap<string, readonly z.ZodMiniType[]>;

  constructor(context: SqlContext) {
    this.tables = new Map(context.tables.map((t) => [t.name, t]));
    this.dimensionsByTable = new Map(context.dimensions.map((d) => [d.table.name, d]));
    this.payloads = payloadsByType(context.events);
  }
}

/** A value, typed, with what the statement says of it. */
export interface Value {
  typed: Typed;
  source: Source;
  /** May be NULL (a missing or optional field, a missing dimension row, NULL). */
  nullable: boolean;
  /** As written, for messages. */
  text: string;
  /** The source column's name (a column without AS is named after it). */
  name?: string | undefined;
  /** Where it is written. */
  at?: number | undefined;
}

export interface SelectItem {
  column: string;
  at: number;
  /** A plain value (event rows, state keys) or an aggregate. */
  value?: Value;
  aggregate?: Aggregate;
  aggregateValue?: Value;
}

export interface DimensionJoin {
  dimension: Dimension;
  alias: string;
  on: string;
  /** An inner join (SQL `JOIN`): no row for an event whose dimension row is missing. */
  inner: boolean;
}
