/**
 * The registry is the one list: every type declares a sample payload beside its schema, the sample
 * is valid, and test support derives its types and payloads from it (no test pins the list).
 */
import { describe, expect, it } from 'vitest';
import { CATALOG, DOMAINS, samplePayload } from '../../../shared/domains/registry.ts';
import { businessEvent, EVENT_TYPES } from '../../support/events.ts';

describe('the registry', () => {
  it.each(CATALOG.map((e) => [`${e.type} ${e.version}`, e] as const))(
    '%s declares a sample payload its schema accepts',
    (_name, entry) => {
      expect(entry.sample).toBeTypeOf('function');
      for (const i of [0, 1, 2, 7, 1000]) {
        const result = entry.payload.safeParse(entry.sample!(i));
        expect(result.error).toBeUndefined();
      }
    },
  );

  it("test support's types and events come from it", () => {
    expect(EVENT_TYPES).toEqual([...new Set(DOMAINS.flatMap((d) => d.events.map((e) => e.type)))]);
    for (const type of EVENT_TYPES) {
      const event = businessEvent(type) as { payload: object; domain: string };
      expect(Object.keys(event.payload).sort()).toEqual(Object.keys(samplePayload(type, 1)).sort());
      expect(DOMAINS.find((d) => d.name === event.domain)!.events.some((e) => e.type === type)).toBe(true);
    }
  });

  it('names a type without a sample payload', () => {
    expect(() => samplePayload('product_teleport')).toThrow(/product_teleport declares no sample payload/);
  });
});
