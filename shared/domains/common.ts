/**
 * Column groups and row parts every domain uses the same way: the event's own columns, its Kafka
 * coordinates, the enriched dimension columns, and the order columns of state rows ("newest wins");
 * and the compiler of a domain's declarative processors.
 */
import { createHash } from 'node:crypto';
import type { BusinessEvent } from '../events/business-event.ts';
import type * as z from '../events/zod.ts';
import {
  automaticColumns,
  type CompileOptions,
  compileMappings,
  compileStates,
  type DeclarativeContext,
  type EventMapping,
  type StateMapping,
  type StateProcessor,
} from '../pipeline/declarative.ts';
import type { EventProcessor, RecordCoordinates } from '../pipeline/processor.ts';
import { compileSql, type SqlContext } from '../pipeline/sql.ts';
import { bigint, datetime, eventOrderKey, int, type Table, varchar } from '../tables/table.ts';
import { DIMENSIONS, PRODUCT_ENRICHMENT, USER_ENRICHMENT } from './dimensions.ts';
import precompiled from './sql.compiled.json' with { type: 'json' };

/** The time sample payloads start at (CatalogEntry.sample). */
export const SAMPLE_T0 = Date.UTC(2026, 10, 24, 8, 0, 0);

/** Ids compare byte for byte: `CHARACTER SET ascii COLLATE ascii_bin` / `utf8mb4_bin` in the DDL. */
export const idColumn = () => varchar(64);
/** An order key (eventOrderKey), '' before any event set it. */
export const orderKeyColumn = () => varchar(100).defaulted();

/** The columns every event table starts with. */
export const EVENT_COLUMNS = {
  event_id: idColumn(),
  event_type: varchar(64),
  event_time: datetime(),
  event_version: varchar(9),
  source: varchar(64),
};

/** Where the event came from, last in every event table; `processed_at` is the database's. */
export const KAFKA_COLUMNS = {
  kafka_topic: varchar(249),
  kafka_partition: int(),
  kafka_offset: bigint(),
  processed_at: datetime().byDatabase(),
};

/** The enriched dimension columns of event tables (declared in dimensions.ts). */
export const USER_COLUMNS = USER_ENRICHMENT.columns;
export const PRODUCT_COLUMNS = PRODUCT_ENRICHMENT.columns;

/** The order columns of a state table: its newest event. */
export const STATE_ORDER_COLUMNS = {
  last_event_time: datetime().null(),
  last_event_key: orderKeyColumn(),
  updated_at: datetime().byDatabase(),
};

export function eventRow(event: BusinessEvent<unknown>, record: RecordCoordinates) {
  return {
    event_id: event.eventId,
    event_type: event.type,
    event_time: new Date(event.timestamp),
    event_version: event.version,
    source: event.source,
    kafka_topic: record.topic,
    kafka_partition: record.partition,
    kafka_offset: record.offset,
  };
}

export const userRow = USER_ENRICHMENT.row;
export const productRow = PRODUCT_ENRICHMENT.row;

/** The order columns of a state row ("newest wins"). */
export function stateOrderRow(event: BusinessEvent<unknown>) {
  return { last_event_time: new Date(event.timestamp), last_event_key: orderKey(event) };
}

/** The event's order key; `at` replaces the event time (an order's payTime, a loginTime). */
export function orderKey(event: BusinessEvent<unknown>, at = event.timestamp): string {
  if (at !== event.timestamp) return eventOrderKey(at, event.version, event.eventId);
  // A state row asks once per order-key column of the same event: the last event's key is kept.
  if (event !== lastKeyed.event) lastKeyed = { event, key: eventOrderKey(at, event.version, event.eventId) };
  return lastKeyed.key;
}

let lastKeyed: { event?: BusinessEvent<unknown>; key: string } = { key: '' };

/** The parts of a domain its declarative processors may use. */
export interface DeclarationScope {
  tables: readonly Table[];
  events: readonly { type: string; payload: z.ZodMiniType }[];
}

/** A domain's declarative processors (shared/pipeline/declarative.ts), checked as it loads. */
export function declared(
  mappings: ReadonlyArray<EventMapping | StateMapping>,
  scope: DeclarationScope,
  options: CompileOptions = {},
): EventProcessor[] {
  return compileMappings(mappings, declarativeContext(scope), options);
}

function declarativeContext(scope: DeclarationScope): DeclarativeContext {
  return {
    ...scope,
    dimensions: DIMENSIONS,
    eventRow,
    stateRow: stateOrderRow,
    orderKey: (event) => orderKey(event),
  };
}

type Mapping = EventMapping | StateMapping;

/**
 * The SQL statements every `sql` call compiled in this process, by the hash of their text —
 * what scripts/compile-sql.ts writes to sql.compiled.json.
 */
export const COMPILED_SQL = new Map<string, Mapping[]>();

/**
 * A domain's processors written in SQL (shared/pipeline/sql.ts for the dialect). The statements
 * are compiled when the project builds (`npm run build` and `npm run typecheck` run
 * scripts/compile-sql.ts, which fails naming the statement, the position and the offending name);
 * a function loads the compiled mappings from sql.compiled.json, so the SQL parser never reaches
 * its bundle or its cold start. Statements not compiled yet (while developing) are compiled here.
 */
export function sql(statements: string, scope: DeclarationScope): EventProcessor[] {
  const { mappings, checked } = compiled(statements, scope, true);
  return declared(mappings, scope, { checked });
}

/**
 * SQL aggregates beside a domain's code processors (`withState(codeProcessors, sqlState(…))`):
 * state statements only, compiled and loaded like `sql`; the code processor's event row is what
 * merges them exactly once.
 */
export function sqlState(statements: string, scope: DeclarationScope): StateProcessor[] {
  const { mappings, checked } = compiled(statements, scope, false);
  return declaredStates(mappings, scope, { checked });
}

/** State mappings alone (no event rows of their types beside them) as state processors. */
export function declaredStates(
  mappings: readonly Mapping[],
  scope: DeclarationScope,
  options: CompileOptions = {},
): StateProcessor[] {
  return compileStates(mappings, declarativeContext(scope), options);
}

/**
 * The statements' mappings: precompiled (sql.compiled.json, checked when the project was built:
 * CompileOptions.checked), or compiled now while developing (and checked once more as they load).
 */
function compiled(
  statements: string,
  scope: DeclarationScope,
  complete: boolean,
): { mappings: Mapping[]; checked: boolean } {
  const key = createHash('sha256').update(statements).digest('hex');
  const recompile = process.env.LRT_SQL_RECOMPILE === '1';
  const precompiledMappings = recompile
    ? undefined
    : (precompiled as unknown as Record<string, Mapping[]>)[key];
  const mappings = precompiledMappings ?? compileSql(statements, sqlContext(scope), { complete });
  COMPILED_SQL.set(key, mappings);
  return { mappings, checked: precompiledMappings !== undefined };
}

/** What SQL statements of `scope` are checked against; the columns processors fill themselves. */
export function sqlContext(scope: DeclarationScope): SqlContext {
  return {
    ...scope,
    dimensions: DIMENSIONS,
    automatic: automaticColumns({ eventRow, stateRow: stateOrderRow }),
  };
}
