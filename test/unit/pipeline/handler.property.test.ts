/**
 * Properties of the handler over arbitrary input: whatever the bytes, it never throws and never
 * loses a record — each is written, dead-lettered, skipped as another domain's, or reported, and
 * reported records are always the tail of their partition.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CATALOG, domain } from '../../../shared/domains/registry.ts';
import { EventCatalog } from '../../../shared/events/catalog.ts';
import { decodeRecord } from '../../../shared/pipeline/decode.ts';
import { TransientError } from '../../../shared/pipeline/errors.ts';
import type { KafkaEventRecord } from '../../../shared/pipeline/lambda-event.ts';
import { createHandler } from '../../../shared/runtime/create-handler.ts';
import { businessEvent, EVENT_TYPES, kafkaEvent, kafkaRecord, lambdaContext } from '../../support/events.ts';
import { LOCAL_ENV, memoryRuntime } from '../../support/memory-runtime.ts';
import { PROPERTY_TIMEOUT_MS } from '../../support/property.ts';

const validEvent = fc.constantFrom(...EVENT_TYPES).map((type) => businessEvent(type));
/** A valid event with one field replaced by arbitrary JSON, or removed. */
const mutatedEvent = fc
  .tuple(
    validEvent,
    fc.constantFrom(
      'domain',
      'type',
      'timestamp',
      'eventId',
      'payload',
      'version',
      'source',
      'payload.userId',
    ),
    fc.option(fc.jsonValue()),
  )
  .map(([event, field, value]) => {
    const copy = structuredClone(event) as Record<string, unknown>;
    const [head, tail] = field.split('.') as [string, string | undefined];
    const target = tail ? (copy[head] as Record<string, unknown>) : copy;
    const key = tail ?? head;
    if (value === null) delete target[key];
    else target[key] = value;
    return copy;
  });
const value = fc.oneof(
  validEvent,
  mutatedEvent,
  fc.jsonValue().map((v) => JSON.stringify(v)),
  fc.string(),
  fc.uint8Array({ maxLength: 64 }).map((bytes) => Buffer.from(bytes)),
  fc.constant(null),
);
const batch = fc
  .array(fc.tuple(fc.integer({ min: 0, max: 3 }), value), { minLength: 1, maxLength: 40 })
  .map((entries) =>
    entries.map(([partition, v], i) => kafkaRecord({ partition, offset: 1_000 + i, value: v as never })),
  );

describe('handler properties', { timeout: PROPERTY_TIMEOUT_MS }, () => {
  it('never throws and accounts for every record', async () => {
    const catalog = new EventCatalog(CATALOG);
    await fc.assert(
      fc.asyncProperty(batch, fc.boolean(), fc.boolean(), async (records, failSink, failLookups) => {
        const runtime = memoryRuntime();
        if (failSink) runtime.failNext.push(new TransientError('database went away'));
        if (failLookups) runtime.failLookups = new TransientError('lookup timed out');
        const done = new Set<string>();
        const apply = runtime.sink.apply;
        runtime.sink.apply = async (writes) => {
          const result = await apply(writes);
          for (const w of writes.events)
            done.add(`${w.event.row.kafka_partition}@${w.event.row.kafka_offset}`);
          for (const d of writes.deadLetters) done.add(`${d.record.partition}@${d.record.offset}`);
          return result;
        };
        const handler = createHandler(domain('user'), {
          env: LOCAL_ENV,
          runtime,
          writeLog: () => {},
        });

        const response = await handler(kafkaEvent(records), lambdaContext());

        const reported = new Set(
          response.batchItemFailures.map(
            (f) => `${Number(f.itemIdentifier.partition.split('-').pop())}@${f.itemIdentifier.offset}`,
          ),
        );
        const id = (r: KafkaEventRecord) => `${r.partition}@${r.offset}`;
        for (const record of records) {
          const foreign = decodeRecord(record, { catalog, domain: 'user' }).kind === 'foreign';
          const outcomes = [
            done.has(id(record)),
            reported.has(id(record)),
            foreign && !reported.has(id(record)),
          ];
          expect(outcomes.filter(Boolean), `record ${id(record)}`).toHaveLength(1);
        }
        // Reported records are a suffix of their partition.
        for (const p of [0, 1, 2, 3]) {
          const inPartition = records.filter((r) => r.partition === p).sort((a, b) => a.offset - b.offset);
          const first = inPartition.findIndex((r) => reported.has(id(r)));
          if (first >= 0) expect(inPartition.slice(first).every((r) => reported.has(id(r)))).toBe(true);
        }
        if (!failSink && !failLookups) expect(reported.size).toBe(0);
      }),
      { numRuns: 300 },
    );
  });
});
