/**
 * The demo stream (scripts/local/demo-stream.ts) as a producer using a schema registry would publish
 * it: each event in its type's Avro or Protobuf schema, framed with the registry's schema id
 * (scripts/local/registry-serde.ts). Its bad input becomes what such a producer can send:
 *
 * - an event of a known type whose values are bad (ids empty, a quantity of 0) is written with the
 *   registry's schema — which checks structure, not values — and dead-lettered by the function
 *   (`schema`), as in JSON;
 * - what no schema can write (truncated JSON, invalid UTF-8, plain text, an unknown event type)
 *   goes out as raw bytes, not in the registry's wire format: the event source mapping sends it to
 *   the on-failure destination (`DESERIALIZATION_ERROR`), once per function reading the topic.
 */
import type { DemoRecord } from './demo-stream.ts';
import type { RegistrySerializer } from './registry-serde.ts';

export interface RegistryDemoRecord extends Omit<DemoRecord, 'value' | 'expect'> {
  value: Buffer;
  expect: DemoRecord['expect'] | 'on-failure';
}

export async function toRegistryRecord(
  record: DemoRecord,
  serializer: RegistrySerializer,
  topic: string,
): Promise<RegistryDemoRecord> {
  const raw = typeof record.value === 'string' ? Buffer.from(record.value) : record.value;
  let event: unknown;
  try {
    event = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(raw));
  } catch {
    return { ...record, value: raw, expect: 'on-failure' };
  }
  const framed = await serializer.serialize(topic, event, { fillMissing: record.expect === 'dead-letter' });
  if (!framed) {
    if (record.expect !== 'dead-letter') {
      throw new Error(
        `demo event ${record.eventId} does not fit its type's schema: the generator and the catalog disagree`,
      );
    }
    return { ...record, value: raw, expect: 'on-failure' };
  }
  return { ...record, value: framed };
}
