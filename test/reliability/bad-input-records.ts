/**
 * What a bad-input case is (./bad-input.ts) and how its records are written: each record carries its
 * expected outcome (written, absorbed as a duplicate, or dead-lettered with a reason) for the accounting.
 */

import type { PermanentReason } from '../../shared/pipeline/errors.ts';
import type { Json } from '../support/events.ts';
import type { ProducedEvent } from './expected-state.ts';
import type { RecordSpec, ScenarioRun, TopicRecord } from './harness.ts';

export interface BadInputCase {
  label: string;
  /** The documented outcome, as docs/reliability.md states it. */
  outcome: string;
  records: RecordSpec[];
  verify?(run: ScenarioRun, records: readonly TopicRecord[]): Promise<string[]>;
}

type Domain = 'user' | 'order' | 'product';

export const text = (value: Json) => JSON.stringify(value);
const keyOf = (event: Json) => {
  const p = event.payload as Record<string, unknown>;
  return String(p.orderId ?? p.userId ?? p.productId ?? event.eventId);
};

/** A valid event, expected in its wide table; `event` is what it says (the state is recomputed from it). */
export function written(
  label: string,
  event: Json,
  value: string | Buffer = text(event),
  extra: Partial<RecordSpec> = {},
): RecordSpec {
  return {
    key: keyOf(event),
    value,
    expect: {
      kind: 'event',
      eventId: String(event.eventId),
      domain: event.domain as Domain,
      event: event as unknown as ProducedEvent,
    },
    label,
    ...extra,
  };
}

/** A record expected in event_dead_letter with `reason`. */
export function deadLetter(
  label: string,
  reason: PermanentReason,
  value: string | Buffer | null,
  extra: Partial<RecordSpec> = {},
): RecordSpec {
  return {
    key: `${label}-${Math.random().toString(36).slice(2, 8)}`,
    value,
    expect: { kind: 'dead-letter', reason },
    label,
    ...extra,
  };
}

/** The event's JSON with `placeholder` (a JSON string in it) replaced by raw `replacement` text or bytes. */
export function spliced(event: Json, placeholder: string, replacement: string | Buffer): Buffer {
  const json = text(event);
  const at = json.indexOf(JSON.stringify(placeholder));
  if (at < 0) throw new Error(`no ${placeholder} in ${json}`);
  return Buffer.concat([
    Buffer.from(json.slice(0, at)),
    Buffer.from(replacement),
    Buffer.from(json.slice(at + JSON.stringify(placeholder).length)),
  ]);
}
