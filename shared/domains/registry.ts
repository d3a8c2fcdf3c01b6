/**
 * The one list: domains, their event types and tables, and the dimension tables. Handlers, the
 * build, CDK, the local runner, the demo stream, test support and the local summary all read it;
 * nothing else keeps a list of domains, types or tables.
 */
import type { CatalogEntry } from '../events/catalog.ts';
import type { Domain } from '../pipeline/domain.ts';
import { eventDeadLetter } from '../sink/dead-letter.ts';
import { affectedRowsProbe } from '../sink/session-check.ts';
import type { Table } from '../tables/table.ts';
import { DIMENSIONS } from './dimensions.ts';
import { order } from './order.ts';
import { product } from './product.ts';
import { user } from './user.ts';

export const DOMAINS = [user, order, product] as const satisfies readonly Domain[];
export type DomainName = (typeof DOMAINS)[number]['name'];
export const DOMAIN_NAMES = DOMAINS.map((d) => d.name) as unknown as readonly [DomainName, ...DomainName[]];

export { DIMENSIONS };

/** Every event type and version of every domain. */
export const CATALOG: readonly CatalogEntry[] = DOMAINS.flatMap((d) => d.events);

/**
 * Every table lambda-realtime knows: the domains' tables, the dimension tables, the dead letters,
 * and the sink's affected-rows probe (always empty).
 */
export const TABLES: readonly Table[] = [
  ...DOMAINS.flatMap((d) => d.tables),
  ...DIMENSIONS.map((d) => d.table),
  eventDeadLetter,
  affectedRowsProbe,
];

/** The tables of a domain's events (keyed by event_id): one row per event. */
export function eventTables(of: Domain): readonly Table[] {
  return of.tables.filter((t) => t.key.length === 1 && t.key[0] === 'event_id');
}

/**
 * The `i`th sample payload of an event type (its newest version's `sample`, declared beside its
 * schema in the domain module): test support and the property tests build events from it.
 */
export function samplePayload(type: string, i = 0): Record<string, unknown> {
  const entries = CATALOG.filter((e) => e.type === type && e.sample);
  const newest = entries.at(-1);
  if (!newest?.sample) throw new Error(`event type ${type} declares no sample payload (CatalogEntry.sample)`);
  return newest.sample(i);
}

/** The domain an event type belongs to. */
export function domainOfType(type: string): DomainName | undefined {
  return DOMAINS.find((d) => d.events.some((e) => e.type === type))?.name;
}

export function domain(name: string): Domain {
  const found = DOMAINS.find((d) => d.name === name);
  if (!found) throw new Error(`unknown domain ${name}; known: ${DOMAIN_NAMES.join(', ')}`);
  return found;
}
