/** The schemas as decodeRecord parses with them: compiled, with the runtime's results and messages. */
import { describe, expect, it } from 'vitest';
import { CATALOG } from '../../../shared/domains/registry.ts';
import { businessEventSchema } from '../../../shared/events/business-event.ts';
import { compiledSchema } from '../../../shared/events/compiled.ts';
import * as z from '../../../shared/events/zod.ts';
import { businessEvent, EVENT_TYPES } from '../../support/events.ts';

const SCHEMAS = [
  ['the envelope', businessEventSchema],
  ...CATALOG.map((e) => [`${e.type} ${e.version}`, e.payload] as const),
] as const;

describe('compiledSchema', () => {
  it.each(SCHEMAS)('compiles %s (no schema falls back to the runtime parser unseen)', (_, schema) => {
    expect(() => z.compile(schema, { strict: true })).not.toThrow();
    expect(compiledSchema(schema)).not.toBe(schema);
  });

  it('compiles each schema once', () => {
    expect(compiledSchema(businessEventSchema)).toBe(compiledSchema(businessEventSchema));
  });

  it.each(EVENT_TYPES)('parses a valid %s event to the same value as the runtime', (type) => {
    const event: Record<string, unknown> = { ...businessEvent(type), traceId: 'dropped' };
    const envelope = compiledSchema(businessEventSchema).safeParse(event);
    expect(envelope).toEqual(businessEventSchema.safeParse(event));
    const entry = CATALOG.find((e) => e.type === type)!;
    const payload = { ...(event.payload as object), extra: 1 };
    expect(compiledSchema(entry.payload).safeParse(payload)).toEqual(entry.payload.safeParse(payload));
  });

  it.each([
    { domain: '', timestamp: 1.5, eventId: ' ', version: '1', source: '\ud800' },
    { payload: [], type: 'x'.repeat(65) },
    { timestamp: '2026-01-01' },
    { eventId: undefined },
  ])('reports the runtime issues and messages of an invalid envelope: %j', (change) => {
    const event = { ...businessEvent('order_create'), ...change };
    const compiled = compiledSchema(businessEventSchema).safeParse(event);
    expect(compiled.success).toBe(false);
    expect(compiled.error?.issues).toEqual(businessEventSchema.safeParse(event).error?.issues);
  });

  it.each([
    { amount: '1.23456' },
    { amount: 1e15 + 0.5 },
    { amount: -1, quantity: 0 },
    { orderId: ' o1', userId: '\ud800' },
    { productId: undefined },
  ])('reports the runtime issues and messages of an invalid payload: %j', (change) => {
    const entry = CATALOG.find((e) => e.type === 'order_create')!;
    const payload = { ...(businessEvent('order_create').payload as object), ...change };
    const compiled = compiledSchema(entry.payload).safeParse(payload);
    expect(compiled.success).toBe(false);
    expect(compiled.error?.issues).toEqual(entry.payload.safeParse(payload).error?.issues);
  });
});
