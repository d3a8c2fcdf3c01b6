/**
 * The event catalog (docs/architecture.md, contract 7): one payload schema per event type and
 * payload version, gathered from the domain modules (shared/domains/registry.ts). Producers rely on
 * it; versions extend it with optional fields only. String limits match the columns they land in,
 * so a valid event always fits its row. Here: the building blocks of payload schemas, and the
 * lookup by type and version.
 */
import * as z from './zod.ts';

/**
 * Text MySQL stores exactly as it was sent. JSON can carry an unpaired UTF-16 surrogate (the escape
 * `"\ud800"`), which UTF-8 cannot encode: the driver would write U+FFFD in its place, changing the
 * value, and two ids differing only there would become one entity. Such a string is refused.
 */
export const wellFormed = (text: string) => text.isWellFormed();
export const WELL_FORMED = 'must be well-formed Unicode (no unpaired surrogate)';

/** Entity ids: compared byte for byte, so no leading or trailing whitespace (MySQL pads it away). */
export const id = z
  .string()
  .check(
    z.minLength(1),
    z.maxLength(64),
    z.regex(/^\S(?:[\s\S]*\S)?$/, 'must not start or end with whitespace'),
    z.refine(wellFormed, WELL_FORMED),
  );
/** Event ids order events on ties and key state rows: visible ASCII only. */
export const eventIdSchema = z
  .string()
  .check(z.regex(/^[\x21-\x7E]{1,64}$/, 'must be 1-64 visible ASCII characters'));
/** Epoch milliseconds, between 2000-01-01 and 2100-01-01. */
export const epochMillis = z.number().check(z.int(), z.gte(946_684_800_000), z.lte(4_102_444_800_000));
/** A string of at most `max` characters (the column's size), stored as sent. */
export const text = (max: number) => z.string().check(z.maxLength(max), z.refine(wellFormed, WELL_FORMED));

export interface CatalogEntry<S extends z.ZodMiniType = z.ZodMiniType> {
  domain: string;
  type: string;
  /** `major.minor` */
  version: string;
  payload: S;
  /**
   * A valid payload of this type and version, the `i`th of a varied series (ids cycling over a few
   * users and products): what test support, the property tests and the demo data build events from,
   * so adding a type to a domain module needs no list elsewhere.
   */
  sample?: (i: number) => Record<string, unknown>;
}

const VERSION = /^(\d{1,4})\.(\d{1,4})$/;

export function parseVersion(version: string): { major: number; minor: number } | undefined {
  const match = VERSION.exec(version);
  return match ? { major: Number(match[1]), minor: Number(match[2]) } : undefined;
}

/**
 * Schemas by event type and payload version. A version the catalog lacks is read with the newest
 * registered schema of the same major version below it: minor versions only add optional fields,
 * so an older schema still reads a newer event (unknown fields are dropped).
 */
export class EventCatalog {
  readonly #byType = new Map<string, CatalogEntry[]>();
  readonly #domains = new Set<string>();

  constructor(entries: readonly CatalogEntry[]) {
    for (const entry of entries) this.register(entry);
  }

  register(entry: CatalogEntry): this {
    if (!parseVersion(entry.version))
      throw new Error(`catalog: bad version ${entry.version} for ${entry.type}`);
    const versions = this.#byType.get(entry.type) ?? [];
    if (versions.some((v) => v.version === entry.version)) {
      throw new Error(`catalog: ${entry.type} version ${entry.version} registered twice`);
    }
    if (versions.some((v) => v.domain !== entry.domain)) {
      throw new Error(`catalog: ${entry.type} belongs to two domains`);
    }
    versions.push(entry);
    versions.sort((a, b) => compareVersions(b.version, a.version));
    this.#byType.set(entry.type, versions);
    this.#domains.add(entry.domain);
    return this;
  }

  hasDomain(domain: string): boolean {
    return this.#domains.has(domain);
  }

  domainOf(type: string): string | undefined {
    return this.#byType.get(type)?.[0]?.domain;
  }

  /** The entry that reads `type` at `version`: undefined type → `'unknown_type'`, no schema → `'unknown_version'`. */
  resolve(type: string, version: string): CatalogEntry | 'unknown_type' | 'unknown_version' {
    const versions = this.#byType.get(type);
    if (!versions) return 'unknown_type';
    const wanted = parseVersion(version);
    if (!wanted) return 'unknown_version';
    const entry = versions.find((v) => {
      const have = parseVersion(v.version)!;
      return have.major === wanted.major && have.minor <= wanted.minor;
    });
    return entry ?? 'unknown_version';
  }
}

export function compareVersions(a: string, b: string): number {
  const x = parseVersion(a);
  const y = parseVersion(b);
  if (!x || !y) return a < b ? -1 : a > b ? 1 : 0;
  return x.major - y.major || x.minor - y.minor;
}
