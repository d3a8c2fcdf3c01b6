/**
 * Records an event source mapping validated against a schema registry
 * (docs.aws.amazon.com/lambda/latest/dg/services-consume-kafka-events.html). Each carries
 * `valueSchemaMetadata: { dataFormat, schemaId }`; its value is either the record converted to JSON
 * (`EventRecordFormat: JSON`) or the original Avro/Protobuf bytes without the registry framing
 * (`SOURCE`).
 *
 * - JSON goes through the plain JSON path (decode.ts). One difference: the registry's JSON names
 *   an absent optional field `null` (Avro's `["null", T]`), where the payload schemas want it
 *   absent, so nulls are dropped from the payload of such a record.
 * - SOURCE bytes are read by shared/pipeline/source-decoders.ts, loaded (with avsc and protobufjs)
 *   only by a batch that holds one. Which of the two a record is needs no setting: the JSON is an
 *   object's text (`{`), while this project's Avro records start with the eventId's length (a
 *   zigzag varint: an even byte) and its Protobuf messages with field 1's tag (0x0A).
 */
import type { EventCatalog } from '../events/catalog.ts';
import { SOURCE_SCHEMAS } from '../events/schema-formats.ts';
import type { KafkaEvent, KafkaEventRecord } from './lambda-event.ts';
import type { SourceDataFormat, SourceDecoder } from './source-decoders.ts';
import { withoutNulls } from './without-nulls.ts';

export type { SourceDataFormat, SourceDecoder };

const OPEN_BRACE = 0x7b;

/** AVRO or PROTOBUF when the record holds SOURCE-format bytes of that format; otherwise undefined. */
export function sourceFormatOf(record: KafkaEventRecord, bytes?: Uint8Array): SourceDataFormat | undefined {
  const dataFormat = record.valueSchemaMetadata?.dataFormat;
  const format: SourceDataFormat | undefined =
    dataFormat === 'AVRO' ? 'AVRO' : dataFormat === 'PROTOBUF' ? 'PROTOBUF' : undefined;
  if (!format) return undefined;
  const first = bytes ? bytes[0] : Buffer.from((record.value ?? '').slice(0, 4), 'base64')[0];
  return first === OPEN_BRACE ? undefined : format;
}

/** Registry-converted JSON, as the payload schemas read it: null payload fields dropped. */
export function fromRegistryJson(json: unknown): unknown {
  if (json === null || typeof json !== 'object') return json;
  const event = json as Record<string, unknown>;
  const payload = event.payload;
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) return json;
  return { ...event, payload: withoutNulls(payload as Record<string, unknown>) };
}

/**
 * Where the decoders are: in a function's bundle, `source-decoders.mjs` beside index.mjs (a bundle of
 * its own, infra/lib/function-code.ts), so the function's own bundle carries none of avsc and
 * protobufjs; run from the sources (tests, npm run local), the module itself. The specifier is
 * computed, so the bundler leaves this import alone.
 */
function decodersModule(): string {
  return import.meta.url.endsWith('.ts')
    ? './source-decoders.ts'
    : new URL('./source-decoders.mjs', import.meta.url).href;
}

let loaded: Promise<typeof import('./source-decoders.ts')['createSourceDecoder']> | undefined;
const decoders = new WeakMap<EventCatalog, SourceDecoder>();

/** The SOURCE decoder when the event holds such a record (loading it the first time); else undefined. */
export async function sourceDecoderFor(
  event: KafkaEvent,
  catalog: EventCatalog,
): Promise<SourceDecoder | undefined> {
  const needed = Object.values(event.records ?? {}).some((records) => records.some((r) => sourceFormatOf(r)));
  if (!needed) return undefined;
  let decoder = decoders.get(catalog);
  if (!decoder) {
    loaded ??= (import(decodersModule()) as Promise<typeof import('./source-decoders.ts')>).then(
      (m) => m.createSourceDecoder,
    );
    decoder = (await loaded)(catalog, SOURCE_SCHEMAS);
    decoders.set(catalog, decoder);
  }
  return decoder;
}
