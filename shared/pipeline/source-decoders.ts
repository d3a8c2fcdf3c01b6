/**
 * Avro and Protobuf values as AWS's event source mapping delivers them with a schema registry and
 * `EventRecordFormat: SOURCE`: the record's own bytes, with the registry's framing (magic byte,
 * schema id, Protobuf message indexes) removed — "Lambda removes all schema metadata, such as the
 * schema ID, before sending the record to your function"
 * (docs.aws.amazon.com/lambda/latest/dg/services-consume-kafka-events.html). The function therefore
 * reads them with the schemas the catalog generates (shared/events/schema-formats.ts): the envelope
 * first (the same fields for every type), then the payload with the schema of the event's own type
 * and version — the newest registered one of the same major version at or below it, as for JSON,
 * so a newer minor version's extra optional fields (trailing in Avro, unknown tags in Protobuf) are
 * left unread.
 *
 * Loaded only when a batch holds such a record (shared/pipeline/batch.ts imports it dynamically):
 * avsc and protobufjs stay out of the cold start of a function fed JSON. What decoding yields is a
 * plain object that then goes through the same envelope and payload schemas as a JSON event.
 */
import avro from 'avsc';
import protobuf from 'protobufjs';
import type { CatalogEntry, EventCatalog } from '../events/catalog.ts';
import type { SourceSchemas } from '../events/schema-formats.ts';
import { isPermanentEventError, PermanentEventError } from './errors.ts';
import { withoutNulls } from './without-nulls.ts';

export type SourceDataFormat = 'AVRO' | 'PROTOBUF';

/** Decodes a SOURCE-format value into the event object (envelope with payload), or throws a PermanentEventError. */
export type SourceDecoder = (format: SourceDataFormat, bytes: Uint8Array) => Record<string, unknown>;

/**
 * `schemas` derives each type's schemas from the catalog (shared/events/schema-formats.ts,
 * `SOURCE_SCHEMAS`): handed in by the caller rather than imported, so this module's bundle
 * carries no zod of its own (the function's bundle has it already).
 */
export function createSourceDecoder(catalog: EventCatalog, schemas: SourceSchemas): SourceDecoder {
  const avroEnvelope = avro.Type.forSchema(schemas.avroEnvelopeSchema() as avro.Schema);
  const avroPayloads = new Map<CatalogEntry, avro.Type>();
  const protoEnvelope = protobuf
    .parse(schemas.protoEnvelopeSchema())
    .root.lookupType(`${schemas.SCHEMA_NAMESPACE}.Envelope`);
  const protoPayloads = new Map<CatalogEntry, protobuf.Type>();

  const entryFor = (envelope: Record<string, unknown>): CatalogEntry => {
    const type = String(envelope.type);
    const entry = catalog.resolve(type, String(envelope.version));
    if (entry === 'unknown_type')
      throw new PermanentEventError('unknown_type', `unknown event type "${type}"`);
    if (entry === 'unknown_version') {
      throw new PermanentEventError(
        'unknown_version',
        `no payload schema for ${type} version ${String(envelope.version)}`,
      );
    }
    return entry;
  };

  const decodeAvro = (bytes: Uint8Array): Record<string, unknown> => {
    const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const head = safely(() => avroEnvelope.decode(buffer, 0));
    if (head.offset < 0) throw notDecodable('Avro', 'too short for the event envelope');
    const envelope = { ...(head.value as Record<string, unknown>) };
    const entry = entryFor(envelope);
    let type = avroPayloads.get(entry);
    if (!type) {
      type = avro.Type.forSchema(schemas.avroPayloadSchema(entry) as avro.Schema);
      avroPayloads.set(entry, type);
    }
    const payloadType = type;
    const body = safely(() => payloadType.decode(buffer, head.offset));
    if (body.offset < 0)
      throw notDecodable('Avro', `too short for the ${entry.type} ${entry.version} payload`);
    return { ...envelope, payload: withoutNulls(body.value as Record<string, unknown>) };
  };

  const decodeProtobuf = (bytes: Uint8Array): Record<string, unknown> => {
    const message = safely(() => protoEnvelope.decode(bytes));
    const envelope = protoEnvelope.toObject(message, { longs: Number, defaults: true }) as Record<
      string,
      unknown
    >;
    const payloadBytes = envelope.payload as Uint8Array | undefined;
    delete envelope.payload;
    const entry = entryFor(envelope);
    let type = protoPayloads.get(entry);
    if (!type) {
      type = protobuf
        .parse(schemas.protoSchema(entry))
        .root.lookupType(`${schemas.fullRecordName(entry.type)}.Payload`);
      protoPayloads.set(entry, type);
    }
    const payloadType = type;
    const payload = safely(() => payloadType.decode(payloadBytes ?? new Uint8Array()));
    return {
      ...envelope,
      payload: payloadType.toObject(payload, { longs: Number, defaults: true, arrays: true, oneofs: false }),
    };
  };

  return (format, bytes) => (format === 'AVRO' ? decodeAvro(bytes) : decodeProtobuf(bytes));
}

function safely<T>(decode: () => T): T {
  try {
    return decode();
  } catch (error) {
    if (isPermanentEventError(error)) throw error;
    // Never the library's message verbatim: it may quote the value, and messages reach logs.
    throw notDecodable('', (error as Error).name);
  }
}

function notDecodable(format: string, why: string): PermanentEventError {
  return new PermanentEventError(
    'not_decodable',
    `record value is not a decodable ${format ? `${format} ` : ''}event (${why})`,
  );
}
