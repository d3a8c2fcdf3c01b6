/** The unified event envelope every business system publishes (docs/architecture.md, contract 4). */
import { z } from 'zod';
import { epochMillis, eventIdSchema, WELL_FORMED, wellFormed } from './catalog.ts';

export const businessEventSchema = z.object({
  domain: z.string().min(1).max(32),
  type: z.string().min(1).max(64),
  /** Event time, epoch milliseconds. */
  timestamp: epochMillis,
  eventId: eventIdSchema,
  payload: z.record(z.string(), z.unknown()),
  /** Payload schema version, `major.minor`. */
  version: z.string().regex(/^\d{1,4}\.\d{1,4}$/, 'must look like 1.0'),
  /** Stored with every event row: as sent (shared/events/catalog.ts, wellFormed). */
  source: z.string().min(1).max(64).refine(wellFormed, WELL_FORMED),
});

/**
 * The Kafka header a producer names the event's domain in (docs/architecture.md, "Topics"). On a
 * topic several domains share, a function skips another domain's record by this header alone,
 * without decoding it; the owning function checks it against the event's `domain`.
 */
export const EVENT_DOMAIN_HEADER = 'event-domain';

export type BusinessEventEnvelope = z.output<typeof businessEventSchema>;

/** An event whose envelope and payload passed their schemas. */
export interface BusinessEvent<P = Record<string, unknown>> extends Omit<BusinessEventEnvelope, 'payload'> {
  payload: P;
}
