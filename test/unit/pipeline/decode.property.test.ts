/** decodeRecord never throws: whatever the bytes, the answer is an event, a foreign event or invalid. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CATALOG, DOMAIN_NAMES, domainOfType, samplePayload } from '../../../shared/domains/registry.ts';
import { EventCatalog } from '../../../shared/events/catalog.ts';
import { type DecodedRecord, decodeRecord } from '../../../shared/pipeline/decode.ts';
import { PERMANENT_REASONS, PermanentEventError } from '../../../shared/pipeline/errors.ts';
import { kafkaRecord, type RecordSpec } from '../../support/events.ts';
import { PROPERTY_TIMEOUT_MS } from '../../support/property.ts';

const catalog = new EventCatalog(CATALOG);
const DOMAINS = DOMAIN_NAMES;
const TYPES = CATALOG.map((e) => e.type);

function decodeAs(domain: string, value: RecordSpec['value']): DecodedRecord {
  return decodeRecord(kafkaRecord({ offset: 0, value }), { catalog, domain, maxEventBytes: 64 * 1024 });
}

/** One of the three kinds, each well formed. */
function expectWellFormed(decoded: DecodedRecord, domain: string): void {
  switch (decoded.kind) {
    case 'event':
      expect(decoded.event.domain).toBe(domain);
      break;
    case 'foreign':
      expect(decoded.domain).not.toBe(domain);
      expect(DOMAINS).toContain(decoded.domain);
      break;
    case 'invalid':
      expect(decoded.error).toBeInstanceOf(PermanentEventError);
      expect(PERMANENT_REASONS).toContain(decoded.error.reason);
      expect(typeof decoded.error.message).toBe('string');
      break;
    default:
      throw new Error(`unexpected kind ${JSON.stringify(decoded)}`);
  }
}

const domain = fc.constantFrom(...DOMAINS);
const T_MIN = 946_684_800_000;
const T_MAX = 4_102_444_800_000;

const millis = fc.integer({ min: T_MIN, max: T_MAX });

/**
 * A valid payload of each registered type: the samples its domain module declares beside its schema
 * (CatalogEntry.sample), so a new type needs no list here.
 */
const PAYLOADS: Record<string, fc.Arbitrary<Record<string, unknown>>> = Object.fromEntries(
  TYPES.map((type) => [type, fc.nat({ max: 100_000 }).map((i) => samplePayload(type, i))]),
);

const validEvent = fc.constantFrom(...TYPES).chain((type) =>
  fc.record({
    domain: fc.constant(domainOfType(type)!),
    type: fc.constant(type),
    timestamp: millis,
    eventId: fc.stringMatching(/^[\x21-\x7E]{1,64}$/),
    payload: PAYLOADS[type]!,
    version: fc.tuple(fc.constant(1), fc.nat(9_999)).map(([major, minor]) => `${major}.${minor}`),
    source: fc.string({ minLength: 1, maxLength: 64 }),
  }),
);

/** Objects shaped like business events, each field either plausible or arbitrary. */
const eventLike = fc.record(
  {
    domain: fc.oneof(fc.constantFrom(...DOMAINS, 'payment', ''), fc.jsonValue()),
    type: fc.oneof(fc.constantFrom(...TYPES, 'user_teleport'), fc.jsonValue()),
    timestamp: fc.oneof(millis, fc.double(), fc.jsonValue()),
    eventId: fc.oneof(fc.string(), fc.jsonValue()),
    payload: fc.oneof(
      fc.constantFrom(...TYPES).chain((type) => PAYLOADS[type]!),
      fc.dictionary(fc.string(), fc.jsonValue()),
      fc.jsonValue(),
    ),
    version: fc.oneof(fc.constantFrom('1.0', '1.3', '2.0', '1', 'x'), fc.jsonValue()),
    source: fc.oneof(fc.string(), fc.jsonValue()),
  },
  { requiredKeys: [] },
);

describe('decodeRecord, property-based', { timeout: PROPERTY_TIMEOUT_MS }, () => {
  it('arbitrary bytes never throw', () => {
    fc.assert(
      fc.property(domain, fc.uint8Array({ maxLength: 512 }), (d, bytes) => {
        expectWellFormed(decodeAs(d, Buffer.from(bytes)), d);
      }),
      { numRuns: 500 },
    );
  });

  it('arbitrary strings never throw', () => {
    fc.assert(
      fc.property(domain, fc.string({ unit: 'binary', maxLength: 256 }), (d, value) => {
        expectWellFormed(decodeAs(d, value), d);
      }),
      { numRuns: 500 },
    );
  });

  it('arbitrary JSON values never throw', () => {
    fc.assert(
      fc.property(domain, fc.jsonValue(), (d, json) => {
        expectWellFormed(decodeAs(d, JSON.stringify(json) ?? 'null'), d);
      }),
      { numRuns: 500 },
    );
  });

  it('objects shaped like business events never throw', () => {
    fc.assert(
      fc.property(domain, eventLike, (d, event) => {
        expectWellFormed(decodeAs(d, JSON.stringify(event)), d);
      }),
      { numRuns: 1_000 },
    );
  });

  it('arbitrary base64 text in the record value never throws', () => {
    fc.assert(
      fc.property(domain, fc.string({ maxLength: 256 }), (d, value) => {
        const record = { ...kafkaRecord({ offset: 0, value: null }), value };
        expectWellFormed(decodeRecord(record, { catalog, domain: d }), d);
      }),
      { numRuns: 300 },
    );
  });

  it('a valid generated event always decodes to kind event in its own domain', () => {
    fc.assert(
      fc.property(validEvent, (event) => {
        const decoded = decodeAs(event.domain, JSON.stringify(event));
        if (decoded.kind !== 'event') throw new Error(JSON.stringify(decoded));
        expect(decoded.event.eventId).toBe(event.eventId);
        expect(decoded.event.version).toBe(event.version);
      }),
      { numRuns: 1_000 },
    );
  });

  it('a valid generated event is foreign to the other functions', () => {
    fc.assert(
      fc.property(validEvent, (event) => {
        for (const other of DOMAINS.filter((d) => d !== event.domain)) {
          expect(decodeAs(other, JSON.stringify(event))).toEqual({
            kind: 'foreign',
            domain: event.domain,
            type: event.type,
            eventId: event.eventId,
          });
        }
      }),
      { numRuns: 200 },
    );
  });

  it('no record is skipped by every function: one of them writes it or dead-letters it', () => {
    fc.assert(
      fc.property(fc.oneof(eventLike, validEvent), (value) => {
        const text = JSON.stringify(value);
        const kinds = DOMAINS.map((d) => decodeAs(d, text).kind);
        expect(kinds.some((k) => k !== 'foreign')).toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});
