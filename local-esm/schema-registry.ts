/**
 * What the event source mapping does with a schema registry (`SchemaRegistryConfig`), for the local
 * runner: each record's value (and key, when `validate` names KEY) is read in the registry's wire
 * format — magic byte 0, a 4-byte big-endian schema id, for Protobuf the message indexes, then the
 * Avro or Protobuf bytes — its writer schema fetched from the registry by that id (cached, as the
 * ESM caches schemas), and the record deserialised with it. Then, per `EventRecordFormat`:
 *
 * - `JSON`: the value becomes the record converted to JSON text;
 * - `SOURCE`: the value becomes the Avro/Protobuf bytes with the schema metadata (magic byte, schema
 *   id, message indexes) removed;
 *
 * and the record carries `valueSchemaMetadata: { dataFormat, schemaId }` (`keySchemaMetadata` for a
 * validated key). A record whose schema the registry does not have goes to the on-failure
 * destination with `SCHEMA_NOT_FOUND`; one that is not in the wire format or does not deserialise
 * with its schema, with `DESERIALIZATION_ERROR` — never to the function.
 * AWS: docs.aws.amazon.com/lambda/latest/dg/services-consume-kafka-events.html (schema registries
 * with Kafka event sources: formats, the record metadata, the failure reasons); the API's
 * KafkaSchemaRegistryConfig (docs.aws.amazon.com/lambda/latest/api/API_KafkaSchemaRegistryConfig.html).
 *
 * Locally: a Confluent-compatible registry only (Glue's API is AWS's own), reached without the
 * access configs' secrets (the local registry has no authentication).
 */
import avro from 'avsc';
import protobuf from 'protobufjs';
import type { SchemaRegistrySettings } from '../infra/config/event-sources.ts';
import type { KafkaEventRecord, SchemaMetadata } from '../shared/pipeline/lambda-event.ts';

export type SchemaFailureReason = 'SCHEMA_NOT_FOUND' | 'DESERIALIZATION_ERROR';

export type RegistryVerdict =
  | { kind: 'ok'; record: KafkaEventRecord }
  | { kind: 'failed'; reason: SchemaFailureReason; detail: string };

type Reader =
  | { format: 'AVRO'; type: avro.Type }
  | { format: 'PROTOBUF'; root: protobuf.Root; messages: protobuf.Type[] }
  | { format: 'JSON' };

type CachedSchema = { found: true; reader: Reader } | { found: false; until: number };

/** How long an id the registry did not know is remembered as missing. */
const NOT_FOUND_TTL_MS = 5_000;

export class SchemaRegistryStage {
  readonly #settings: SchemaRegistrySettings;
  readonly #url: string;
  readonly #schemas = new Map<number, CachedSchema>();
  readonly #fetching = new Map<number, Promise<void>>();

  /** `url` overrides the setting's URI (the local pipeline points it at the local registry). */
  constructor(settings: SchemaRegistrySettings, url?: string) {
    if (settings.kind !== 'confluent') {
      throw new Error(
        'the local event source mapping emulates a Confluent-compatible schema registry, not Glue',
      );
    }
    this.#settings = settings;
    this.#url = (url ?? settings.uri).replace(/\/+$/, '');
  }

  get eventRecordFormat(): 'JSON' | 'SOURCE' {
    return this.#settings.eventRecordFormat;
  }

  /** Fetches (once) the schemas the record's value and key name; errors reaching the registry throw. */
  async prepare(record: KafkaEventRecord): Promise<void> {
    for (const field of this.#fields(record)) {
      const id = schemaIdOf(field.bytes);
      if (id !== undefined) await this.#load(id);
    }
  }

  /** The record as the function gets it, or why it goes to the on-failure destination. Call after prepare. */
  convert(record: KafkaEventRecord): RegistryVerdict {
    let out: KafkaEventRecord = { ...record };
    for (const field of this.#fields(record)) {
      const bytes = field.bytes;
      const id = schemaIdOf(bytes);
      if (id === undefined) {
        return {
          kind: 'failed',
          reason: 'DESERIALIZATION_ERROR',
          detail: `${field.name} is not in the registry's wire format`,
        };
      }
      const cached = this.#schemas.get(id);
      if (!cached?.found) {
        return {
          kind: 'failed',
          reason: 'SCHEMA_NOT_FOUND',
          detail: `schema id ${id} is not in the registry`,
        };
      }
      let converted: { value: Buffer; dataFormat: SchemaMetadata['dataFormat'] };
      try {
        converted = this.#read(cached.reader, bytes.subarray(5));
      } catch (error) {
        return {
          kind: 'failed',
          reason: 'DESERIALIZATION_ERROR',
          detail: `${field.name} does not deserialise with schema ${id}: ${(error as Error).message.slice(0, 200)}`,
        };
      }
      const metadata: SchemaMetadata = { dataFormat: converted.dataFormat, schemaId: String(id) };
      out =
        field.name === 'value'
          ? { ...out, value: converted.value.toString('base64'), valueSchemaMetadata: metadata }
          : { ...out, key: converted.value.toString('base64'), keySchemaMetadata: metadata };
    }
    return { kind: 'ok', record: out };
  }

  #fields(record: KafkaEventRecord): Array<{ name: 'value' | 'key'; bytes: Buffer }> {
    const fields: Array<{ name: 'value' | 'key'; bytes: Buffer }> = [];
    if (this.#settings.validate.includes('VALUE')) {
      fields.push({ name: 'value', bytes: Buffer.from(record.value ?? '', 'base64') });
    }
    if (this.#settings.validate.includes('KEY')) {
      fields.push({ name: 'key', bytes: Buffer.from(record.key ?? '', 'base64') });
    }
    return fields;
  }

  /** Deserialises the bytes after the magic byte and id; JSON text or the source bytes, per the format. */
  #read(reader: Reader, rest: Buffer): { value: Buffer; dataFormat: SchemaMetadata['dataFormat'] } {
    const json = this.#settings.eventRecordFormat === 'JSON';
    switch (reader.format) {
      case 'AVRO': {
        const value = reader.type.fromBuffer(rest); // throws on short or trailing bytes
        return { value: json ? Buffer.from(JSON.stringify(value)) : rest, dataFormat: 'AVRO' };
      }
      case 'PROTOBUF': {
        const { indexes, offset } = readMessageIndexes(rest);
        let message = reader.messages[indexes[0]!];
        for (const index of indexes.slice(1)) {
          message = message?.nestedArray.filter((n): n is protobuf.Type => n instanceof protobuf.Type)[index];
        }
        if (!message) throw new Error(`no message at index path [${indexes.join(', ')}]`);
        const body = rest.subarray(offset);
        const decoded = message.decode(body);
        if (!json) return { value: Buffer.from(body), dataFormat: 'PROTOBUF' };
        const object = message.toObject(decoded, {
          longs: Number,
          enums: String,
          defaults: true,
          arrays: true,
        });
        return { value: Buffer.from(JSON.stringify(object)), dataFormat: 'PROTOBUF' };
      }
      case 'JSON': {
        // JSON Schema: the value is JSON text already; it must at least be that.
        const value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(rest)) as unknown;
        return { value: json ? Buffer.from(JSON.stringify(value)) : rest, dataFormat: 'JSON' };
      }
    }
  }

  async #load(id: number): Promise<void> {
    const cached = this.#schemas.get(id);
    if (cached && (cached.found || cached.until > Date.now())) return;
    let pending = this.#fetching.get(id);
    if (!pending) {
      pending = this.#fetch(id).finally(() => this.#fetching.delete(id));
      this.#fetching.set(id, pending);
    }
    await pending;
  }

  async #fetch(id: number): Promise<void> {
    const response = await fetch(`${this.#url}/schemas/ids/${id}`, {
      headers: { accept: 'application/vnd.schemaregistry.v1+json, application/json' },
      signal: AbortSignal.timeout(10_000),
    });
    if (response.status === 404) {
      await response.body?.cancel();
      this.#schemas.set(id, { found: false, until: Date.now() + NOT_FOUND_TTL_MS });
      return;
    }
    if (!response.ok)
      throw new Error(`schema registry ${this.#url} answered ${response.status} for schema ${id}`);
    const body = (await response.json()) as { schema: string; schemaType?: string };
    this.#schemas.set(id, { found: true, reader: readerOf(body.schemaType ?? 'AVRO', body.schema) });
  }
}

function readerOf(schemaType: string, schema: string): Reader {
  switch (schemaType) {
    case 'AVRO':
      return { format: 'AVRO', type: avro.Type.forSchema(JSON.parse(schema) as avro.Schema) };
    case 'PROTOBUF': {
      const parsed = protobuf.parse(schema);
      const scope = parsed.package ? parsed.root.lookup(parsed.package) : parsed.root;
      const messages = (scope as protobuf.Namespace).nestedArray.filter(
        (n): n is protobuf.Type => n instanceof protobuf.Type,
      );
      return { format: 'PROTOBUF', root: parsed.root, messages };
    }
    case 'JSON':
      return { format: 'JSON' };
    default:
      throw new Error(`unknown schema type ${schemaType}`);
  }
}

/** The schema id of a value in the registry's wire format (magic byte 0, then 4 bytes), if it is one. */
export function schemaIdOf(bytes: Buffer): number | undefined {
  if (bytes.length < 5 || bytes[0] !== 0) return undefined;
  return bytes.readUInt32BE(1);
}

/**
 * Confluent's Protobuf message indexes: a zigzag varint count, then that many zigzag varint indexes
 * into the schema's messages (nested ones after the first); a count of 0 means [0], the first message.
 */
export function readMessageIndexes(bytes: Buffer): { indexes: number[]; offset: number } {
  let offset = 0;
  const next = (): number => {
    let result = 0;
    let shift = 0;
    for (;;) {
      if (offset >= bytes.length) throw new Error('message indexes run past the value');
      const byte = bytes[offset++]!;
      result |= (byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) break;
      shift += 7;
      if (shift > 28) throw new Error('message index varint too long');
    }
    return (result >>> 1) ^ -(result & 1);
  };
  const count = next();
  if (count < 0 || count > 100) throw new Error(`bad message index count ${count}`);
  if (count === 0) return { indexes: [0], offset };
  const indexes: number[] = [];
  for (let i = 0; i < count; i++) indexes.push(next());
  return { indexes, offset };
}
