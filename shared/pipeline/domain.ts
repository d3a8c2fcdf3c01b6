/**
 * What a business domain gives its function: the payload schemas of its event types (by type and
 * version), the tables it writes and a processor per event type. Each domain is one module
 * (shared/domains/<domain>.ts); shared/domains/registry.ts lists them for everything else.
 */
import type { CatalogEntry } from '../events/catalog.ts';
import type { Table } from '../tables/table.ts';
import type { EventProcessor } from './processor.ts';

export interface Domain<N extends string = string> {
  readonly name: N;
  /** Payload schemas of the domain's event types, by type and version. */
  readonly events: readonly CatalogEntry[];
  /** Tables the domain's processors write (event tables and state tables). */
  readonly tables: readonly Table[];
  readonly processors: readonly EventProcessor[];
  /** The processor of an event type of this domain. */
  processor(type: string): EventProcessor | undefined;
}

export interface DomainDefinition<N extends string = string> {
  name: N;
  events: readonly Omit<CatalogEntry, 'domain'>[];
  tables: readonly Table[];
  processors: readonly EventProcessor[];
}

/** Checks a domain's parts against each other when it is defined, never at the first event. */
export function defineDomain<const N extends string>(definition: DomainDefinition<N>): Domain<N> {
  const { name } = definition;
  const problem = (message: string) => new Error(`domain ${name}: ${message}`);
  if (!/^[a-z][a-z0-9_]{0,31}$/.test(name)) throw problem('name must be lower case, at most 32 characters');
  const byType = new Map<string, EventProcessor>();
  for (const processor of definition.processors) {
    if (byType.has(processor.type)) throw problem(`two processors for ${processor.type}`);
    byType.set(processor.type, processor);
  }
  const types = new Set(definition.events.map((e) => e.type));
  for (const type of types) if (!byType.has(type)) throw problem(`event type ${type} has no processor`);
  for (const type of byType.keys())
    if (!types.has(type)) throw problem(`processor ${type} has no payload schema`);
  return {
    name,
    events: definition.events.map((entry) => ({ ...entry, domain: name })),
    tables: definition.tables,
    processors: definition.processors,
    processor: (type) => byType.get(type),
  };
}
