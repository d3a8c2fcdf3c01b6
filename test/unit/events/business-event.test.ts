/** The unified event envelope (docs/architecture.md, contract 4). */
import { describe, expect, it } from 'vitest';
import { businessEventSchema } from '../../../shared/events/business-event.ts';
import { businessEvent } from '../../support/events.ts';

const valid = () => businessEvent('order_create');
const accepts = (change: Record<string, unknown>) =>
  businessEventSchema.safeParse({ ...valid(), ...change }).success;

describe('businessEventSchema', () => {
  it('accepts the seven fields of a business event', () => {
    const event = valid();
    expect(businessEventSchema.parse(event)).toEqual(event);
  });

  it('drops fields it does not know', () => {
    expect(businessEventSchema.parse({ ...valid(), traceId: 't' })).not.toHaveProperty('traceId');
  });

  it.each(['domain', 'type', 'timestamp', 'eventId', 'payload', 'version', 'source'])(
    'requires %s',
    (field) => {
      const { [field]: _, ...without } = valid();
      expect(businessEventSchema.safeParse(without).success).toBe(false);
    },
  );

  it.each([
    { timestamp: '2026-01-01T00:00:00Z' },
    { timestamp: 1.5e12 + 0.5 },
    { timestamp: 946_684_799_999 }, // before 2000
    { timestamp: 4_102_444_800_001 }, // after 2100
    { eventId: '' },
    { eventId: 'has space' },
    { eventId: 'é' },
    { eventId: 'x'.repeat(65) },
    { eventId: 42 },
    { version: '1' },
    { version: '1.0.0' },
    { version: 1.0 },
    { payload: null },
    { payload: 'text' },
    { payload: ['a'] },
    { domain: '' },
    { type: 'x'.repeat(65) },
    { source: '' },
    { source: 'billing-\ud800' }, // an unpaired surrogate: MySQL would store U+FFFD instead
  ])('rejects %j', (change) => {
    expect(accepts(change)).toBe(false);
  });

  it.each([
    { timestamp: 946_684_800_000 },
    { timestamp: 4_102_444_800_000 },
    { eventId: 'x'.repeat(64) },
    { eventId: '!~' },
    { version: '1.3' },
    { payload: {} },
    { source: 'kassensystem-ü-😀' },
  ])('accepts %j', (change) => {
    expect(accepts(change)).toBe(true);
  });
});
