/**
 * The checker check.ts and check-state.ts share: what mappings are checked against, and the checks
 * of names, values and event mappings (check.ts says what is checked).
 */
import type * as z from '../events/zod.ts';
import type { Column, Columns, Table } from '../tables/table.ts';
import type { EnvelopeField, Expr } from './expression.ts';
import {
  type EventMapping,
  isConditional,
  isStateMapping,
  type Join,
  type Mapping,
  type Source,
} from './mapping.ts';
import { fieldType } from './payload-types.ts';
import { DefinitionProblem, type Place } from './problem.ts';
import { ANY, columnType, commonType, NULL, type SqlType, showType, stringType, TIMESTAMP } from './types.ts';
import { misfit, numberLiteral, stringLiteral, type Typed } from './typing.ts';

/** What mappings are checked against. */
export interface DefinitionWorld {
  /** Tables that may be written: columns with kind and nullability, key, merges. */
  tables: readonly Pick<Table, 'name' | 'columns' | 'key' | 'merge'>[];
  /** Dimensions: name, table, key column and the columns a lookup returns. */
  dimensions: readonly {
    name: string;
    table: { name: string; columns: Columns };
    key: string;
    columns: readonly string[];
  }[];
  /** Event types with their payload schemas (a type may be listed once per payload version). */
  events: readonly { type: string; payload: z.ZodMiniType }[];
  /** Columns the processor fills itself: the standard event columns, a state row's order columns. */
  automatic: { event: readonly string[]; state: readonly string[] };
}

/** How a value reads, for messages: the SQL form passes the text as written. */
export type Describe = (mapping: number, column: string, source: Source) => string | undefined;

/** The types of the envelope fields (SQL: event_id(), event_type(), event_time(), …). */
export const ENVELOPE_TYPES: Record<EnvelopeField, SqlType> = {
  eventId: stringType(64),
  type: stringType(64),
  timestamp: TIMESTAMP,
  version: stringType(9),
  source: stringType(64),
  domain: stringType(32),
};

/** A value's type and nullability, as the core sees it. */
export interface TypedSource {
  typed: Typed;
  text: string;
}

/** The default text of a source (the object form's names). */
export function showSource(source: Source): string {
  if ('payload' in source) return source.payload;
  if ('event' in source) return source.event;
  if ('dimension' in source) return `${source.dimension}.${source.column}`;
  if ('literal' in source) return source.literal === null ? 'NULL' : JSON.stringify(source.literal);
  if ('window' in source) return `window_${source.window}`;
  return 'the expression';
}

export class Checker {
  readonly world: DefinitionWorld;
  readonly describe: Describe | undefined;
  readonly payloads = new Map<string, z.ZodMiniType[]>();

  constructor(world: DefinitionWorld, describe: Describe | undefined) {
    this.world = world;
    this.describe = describe;
    for (const e of world.events)
      this.payloads.set(e.type, [...(this.payloads.get(e.type) ?? []), e.payload]);
  }

  table(name: string, i: number): DefinitionWorld['tables'][number] {
    const table = this.world.tables.find((t) => t.name === name);
    if (!table) {
      const known = this.world.tables.map((t) => t.name).filter((t) => !this.isDimensionTable(t));
      throw new DefinitionProblem(
        `unknown table ${name} (known: ${known.join(', ')})`,
        i,
        { part: 'mapping' },
        name,
      );
    }
    if (this.isDimensionTable(name)) {
      throw new DefinitionProblem(`${name} is a dimension table, read only`, i, { part: 'mapping' }, name);
    }
    return table;
  }

  isDimensionTable(name: string): boolean {
    return this.world.dimensions.some((d) => d.table.name === name);
  }

  eventType(type: string, i: number): void {
    if (!this.payloads.has(type)) {
      const known = [...this.payloads.keys()].join(', ');
      throw new DefinitionProblem(
        `unknown event type ${type} (known: ${known})`,
        i,
        { part: 'type', type },
        type,
      );
    }
  }

  /** The joins are of known dimensions, on payload fields of every type read, each dimension once. */
  joins(joins: readonly Join[], types: readonly string[], i: number): void {
    const seen = new Set<string>();
    for (const join of joins) {
      const place: Place = { part: 'join', dimension: join.dimension };
      if (!this.world.dimensions.some((d) => d.name === join.dimension)) {
        const known = this.world.dimensions.map((d) => d.name).join(', ');
        throw new DefinitionProblem(
          `unknown dimension ${join.dimension} (known: ${known})`,
          i,
          place,
          join.dimension,
        );
      }
      if (seen.has(join.dimension))
        throw new DefinitionProblem(`dimension ${join.dimension} is joined twice`, i, place, join.dimension);
      seen.add(join.dimension);
      this.payloadField(join.on, types, i, place, join.on);
    }
  }

  /** A payload field read from `types`: its type, nullable when a type or version may lack it. */
  payloadField(path: string, types: readonly string[], i: number, place: Place, text: string): Typed {
    const read = readField(this.payloads, path.split('.'), types);
    if ('missing' in read)
      throw new DefinitionProblem(`unknown payload field ${path} of ${read.missing}`, i, place, text);
    return read;
  }

  /** A source's type and nullability, its names checked. */
  source(
    source: Source,
    types: readonly string[],
    joins: readonly Join[],
    i: number,
    column: string,
  ): TypedSource {
    const text = this.describe?.(i, column, source) ?? showSource(source);
    const place: Place = { part: 'value', column };
    if ('payload' in source) return { typed: this.payloadField(source.payload, types, i, place, text), text };
    if ('event' in source) {
      const t = ENVELOPE_TYPES[source.event];
      return { typed: { expr: { op: 'envelope', field: source.event, t }, nullable: false }, text };
    }
    if ('dimension' in source) {
      const t = this.dimensionColumn(source.dimension, source.column, joins, i, place, text);
      const join = joins.find((j) => j.dimension === source.dimension);
      const nullable = !join?.inner || t.nullable;
      return { typed: { expr: { op: 'dimension', ...source, t: t.type }, nullable }, text };
    }
    if ('window' in source) {
      throw new DefinitionProblem(
        `${text} is a key column of a windowed state table (FROM TABLE(TUMBLE(…)), HOP, CUMULATE), nothing else`,
        i,
        place,
        text,
      );
    }
    if ('literal' in source) {
      const value = source.literal;
      const typed =
        value === null
          ? { expr: { op: 'literal' as const, value: null, t: NULL }, nullable: true }
          : typeof value === 'string'
            ? stringLiteral(value)
            : numberLiteral(String(value));
      return { typed, text };
    }
    this.expression(source.expr, types, joins, i, place, text);
    return { typed: { expr: source.expr, nullable: source.nullable ?? mayBeNull(source.expr, joins) }, text };
  }

  dimensionColumn(
    name: string,
    column: string,
    joins: readonly Join[],
    i: number,
    place: Place,
    text: string,
  ): { type: SqlType; nullable: boolean } {
    const dimension = this.world.dimensions.find((d) => d.name === name);
    if (!dimension) throw new DefinitionProblem(`unknown dimension ${name}`, i, place, text);
    if (!joins.some((j) => j.dimension === name)) {
      throw new DefinitionProblem(`dimension ${name} is not joined`, i, place, text);
    }
    if (!dimension.columns.includes(column)) {
      throw new DefinitionProblem(
        `unknown column ${column} of dimension ${name} (its lookup returns ${dimension.columns.join(', ')})`,
        i,
        place,
        text,
      );
    }
    const spec = Object.hasOwn(dimension.table.columns, column) ? dimension.table.columns[column] : undefined;
    return { type: (spec && columnType(spec)) ?? ANY, nullable: spec?.nullable ?? true };
  }

  /** An expression's payload fields exist and its dimension columns are joined and returned. */
  expression(
    expr: Expr,
    types: readonly string[],
    joins: readonly Join[],
    i: number,
    place: Place,
    text: string,
  ): void {
    if (expr.op === 'dimension') this.dimensionColumn(expr.dimension, expr.column, joins, i, place, text);
    else if (expr.op === 'field') {
      const names = expr.path.filter((p): p is string => typeof p === 'string');
      if (names.length === expr.path.length) this.payloadField(names.join('.'), types, i, place, text);
    } else if (expr.op === 'call')
      for (const arg of expr.args) this.expression(arg, types, joins, i, place, text);
  }

  /** A value fits its column: type and nullability. */
  fits(value: TypedSource, column: string, spec: Column, i: number, canBeNull = value.typed.nullable): void {
    const place: Place = { part: 'value', column };
    if (canBeNull && !spec.nullable) {
      const isNull = value.typed.expr.op === 'literal' && value.typed.expr.value === null;
      const problem = isNull ? 'NULL cannot fill it' : `${value.text} may be NULL`;
      throw new DefinitionProblem(`column ${column} is NOT NULL but ${problem}`, i, place, value.text);
    }
    const problem = misfit(value.typed, spec, column, value.text);
    if (problem) throw new DefinitionProblem(problem, i, place, value.text);
  }

  /** The column exists, is written by the sink, and is not filled automatically. */
  column(
    table: DefinitionWorld['tables'][number],
    column: string,
    automatic: ReadonlySet<string>,
    i: number,
  ): Column {
    const place: Place = { part: 'column', column };
    const spec = Object.hasOwn(table.columns, column) ? table.columns[column] : undefined;
    if (!spec) throw new DefinitionProblem(`unknown column ${column} of ${table.name}`, i, place, column);
    if (!spec.written)
      throw new DefinitionProblem(`column ${column} is filled by the database`, i, place, column);
    if (automatic.has(column))
      throw new DefinitionProblem(`column ${column} is filled automatically`, i, place, column);
    return spec;
  }

  /** NOT NULL columns without a default are written. */
  covered(table: DefinitionWorld['tables'][number], written: Iterable<string>, i: number): void {
    const done = new Set(written);
    for (const [column, spec] of Object.entries(table.columns)) {
      if (spec.written && !spec.optional && !done.has(column)) {
        throw new DefinitionProblem(
          `NOT NULL column ${column} of ${table.name} has no default and is not selected`,
          i,
          { part: 'mapping' },
          column,
        );
      }
    }
  }

  event(m: EventMapping, i: number): void {
    this.eventType(m.type, i);
    const table = this.table(m.into, i);
    if (!isEventTable(table)) {
      throw new DefinitionProblem(
        `${table.name} is not an event table (keyed by event_id)`,
        i,
        { part: 'mapping' },
        table.name,
      );
    }
    this.joins(m.joins, [m.type], i);
    const automatic = new Set(this.world.automatic.event);
    for (const [column, source] of Object.entries(m.columns)) {
      const spec = this.column(table, column, automatic, i);
      this.fits(this.source(source, [m.type], m.joins, i, column), column, spec, i);
    }
    if (m.where) {
      const text = 'WHERE';
      this.expression(m.where, [m.type], m.joins, i, { part: 'where' }, text);
      if (m.where.t.type !== 'BOOLEAN' && m.where.t.type !== 'NULL') {
        throw new DefinitionProblem(
          `WHERE needs a condition (BOOLEAN), not ${showType(m.where.t)}`,
          i,
          { part: 'where' },
          text,
        );
      }
    }
    this.covered(table, [...automatic, ...Object.keys(m.columns)], i);
  }

  /** Checks between mappings: rows per table, join keys per dimension, state merged exactly once. */
  across(mappings: readonly Mapping[], complete: boolean): void {
    const rows = new Map<string, number>();
    const joinedOn = new Map<string, { on: string; mapping: number }>();
    for (const [i, m] of mappings.entries()) {
      for (const type of isStateMapping(m) ? m.types : [m.type]) {
        for (const join of m.joins) {
          const key = `${type}\u0000${join.dimension}`;
          const first = joinedOn.get(key);
          if (first && first.on !== join.on) {
            throw new DefinitionProblem(
              `${type} joins dimension ${join.dimension} on ${join.on} here and on ${first.on} in mapping ${first.mapping + 1}; an event looks each dimension up by one key`,
              i,
              { part: 'join', dimension: join.dimension },
              join.on,
            );
          }
          joinedOn.set(key, { on: join.on, mapping: i });
        }
      }
      if (isStateMapping(m)) continue;
      const key = `${m.type}\u0000${m.into}`;
      const first = rows.get(key);
      if (first !== undefined) {
        throw new DefinitionProblem(
          `${m.type} is written to ${m.into} by mapping ${first + 1} already: an event table holds one row per event`,
          i,
          { part: 'mapping' },
          m.into,
        );
      }
      rows.set(key, i);
    }
    for (const [i, m] of mappings.entries()) {
      if (!isStateMapping(m)) continue;
      for (const type of m.types) {
        const own = mappings
          .map((e, j) => ({ e, j }))
          .filter((x): x is { e: EventMapping; j: number } => !isStateMapping(x.e) && x.e.type === type);
        if (own.length === 0) {
          if (!complete) continue;
          throw new DefinitionProblem(
            `${type} has no event mapping: its event row is what merges ${m.into} exactly once; add a statement writing ${type} into an event table`,
            i,
            { part: 'type', type },
            type,
          );
        }
        if (own.every(({ e }) => isConditional(e))) {
          const { e, j } = own[0]!;
          const inner = e.joins.find((x) => x.inner);
          throw new DefinitionProblem(
            `unsupported: ${e.where ? 'WHERE' : `an inner join of ${inner!.dimension}`} on ${type}'s event-table statement while ${m.into} aggregates ${type} (mapping ${i + 1}), and no other statement writes ${type} into an event table for every event: an event it drops writes no event row, and the event row is what merges its state exactly once; add an unfiltered statement for ${type}, filter the aggregate instead, or aggregate a type without a WHERE`,
            j,
            e.where ? { part: 'where' } : { part: 'join', dimension: inner!.dimension },
            e.where ? 'WHERE' : inner!.dimension,
          );
        }
      }
    }
  }
}

/**
 * A payload field (names, and 0-based array indexes) read from events of `types`, each type with its
 * schemas by version: its type (the types of every schema met), nullable when a schema lets it be
 * absent or NULL or lacks it; or the first type none of whose schemas has it.
 */
export function readField(
  payloads: ReadonlyMap<string, readonly z.ZodMiniType[]>,
  path: Array<string | number>,
  types: readonly string[],
): Typed | { missing: string } {
  let type: SqlType | undefined;
  let nullable = false;
  for (const t of types) {
    let found = false;
    for (const schema of payloads.get(t) ?? []) {
      const field = fieldType(schema, path);
      if (!field) {
        nullable = true;
        continue;
      }
      found = true;
      type = type ? (commonType(type, field.type) ?? ANY) : field.type;
      if (field.nullable) nullable = true;
    }
    if (!found) return { missing: t };
  }
  return { expr: { op: 'field', path, t: type ?? ANY }, nullable };
}

/** The payload schemas of each event type, by version. */
export function payloadsByType(
  events: readonly { type: string; payload: z.ZodMiniType }[],
): Map<string, z.ZodMiniType[]> {
  const payloads = new Map<string, z.ZodMiniType[]>();
  for (const e of events) payloads.set(e.type, [...(payloads.get(e.type) ?? []), e.payload]);
  return payloads;
}

export const isEventTable = (table: Pick<Table, 'key'>) =>
  table.key.length === 1 && table.key[0] === 'event_id';

/** Whether an expression may be NULL, when its front end did not say. */
function mayBeNull(expr: Expr, joins: readonly Join[]): boolean {
  switch (expr.op) {
    case 'literal':
      return expr.value === null;
    case 'envelope':
      return false;
    case 'dimension':
      return !joins.some((j) => j.dimension === expr.dimension && j.inner);
    case 'field':
      return true;
    default:
      return expr.fn === 'COALESCE' || expr.fn === 'IFNULL'
        ? expr.args.every((a) => mayBeNull(a, joins))
        : true;
  }
}
