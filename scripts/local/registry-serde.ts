/**
 * A producer's side of a schema registry, as Confluent's serializers do it: register the event
 * type's schema (generated from the catalog, shared/events/schema-formats.ts) under its subject,
 * then frame each value as magic byte 0, the 4-byte schema id, for Protobuf the message indexes
 * ([0]: the file's first message, written as the single byte 0), then the Avro or Protobuf bytes.
 *
 * Subjects: `<topic>-<record full name>` (Confluent's TopicRecordNameStrategy) by default, or
 * `<record full name>` (RecordNameStrategy). Either lets one topic carry every event type; consumers
 * resolve by the id in the bytes, so the strategy is the producer's choice.
 */
import avro from 'avsc';
import protobuf from 'protobufjs';
import type { CatalogEntry } from '../../shared/events/catalog.ts';
import {
  avroSchema,
  fullRecordName,
  jsonSchema,
  payloadFields,
  protoSchema,
} from '../../shared/events/schema-formats.ts';

export type WireFormat = 'avro' | 'protobuf' | 'json-schema';
export type SubjectStrategy = 'topic-record' | 'record';

export class SchemaRegistryClient {
  readonly url: string;

  constructor(url: string) {
    this.url = url.replace(/\/+$/, '');
  }

  /** Registers `schema` under `subject` (a no-op when it is already there) and returns its id. */
  async register(subject: string, schemaType: 'AVRO' | 'PROTOBUF' | 'JSON', schema: string): Promise<number> {
    const response = await fetch(`${this.url}/subjects/${encodeURIComponent(subject)}/versions`, {
      method: 'POST',
      headers: { 'content-type': 'application/vnd.schemaregistry.v1+json' },
      body: JSON.stringify(schemaType === 'AVRO' ? { schema } : { schemaType, schema }),
      signal: AbortSignal.timeout(10_000),
    });
    const body = (await response.json().catch(() => ({}))) as { id?: number; message?: string };
    if (!response.ok || typeof body.id !== 'number') {
      throw new Error(
        `schema registry ${this.url} refused ${subject} (${response.status}): ${body.message ?? 'no message'}`,
      );
    }
    return body.id;
  }

  /** Answers at all: a clear error for a registry that is not running. */
  async check(): Promise<void> {
    try {
      const response = await fetch(`${this.url}/subjects`, { signal: AbortSignal.timeout(3_000) });
      if (!response.ok) throw new Error(`status ${response.status}`);
      await response.body?.cancel();
    } catch (error) {
      throw new Error(
        `the schema registry at ${this.url} does not answer (${(error as Error).message}); start it with scripts/services.sh up`,
      );
    }
  }
}

/** Magic byte 0 and the schema id, big-endian: the registry's wire format header. */
export function frame(id: number, body: Uint8Array, format: WireFormat): Buffer {
  const header = Buffer.alloc(5);
  header.writeUInt32BE(id, 1);
  // Protobuf: message indexes [0], which Confluent writes as the single byte 0.
  return Buffer.concat([header, ...(format === 'protobuf' ? [Buffer.from([0])] : []), Buffer.from(body)]);
}

interface Codec {
  encode(event: Record<string, unknown>): Uint8Array;
  schemaType: 'AVRO' | 'PROTOBUF' | 'JSON';
  schema: string;
}

function codecOf(entry: CatalogEntry, format: WireFormat): Codec {
  if (format === 'json-schema') {
    // Confluent's JSON Schema serializer: the event's JSON text after the header.
    return {
      schemaType: 'JSON',
      schema: JSON.stringify(jsonSchema(entry)),
      encode: (event) => Buffer.from(JSON.stringify(event)),
    };
  }
  if (format === 'avro') {
    const schema = avroSchema(entry);
    const type = avro.Type.forSchema(schema as avro.Schema);
    const optional = new Set(
      (schema.fields as Array<{ name: string; type: { fields: Array<{ name: string; type: unknown }> } }>)
        .at(-1)!
        .type.fields.filter((f) => Array.isArray(f.type))
        .map((f) => f.name),
    );
    return {
      schemaType: 'AVRO',
      schema: JSON.stringify(schema),
      encode: (event) => {
        const payload = { ...(event.payload as Record<string, unknown>) };
        for (const name of optional) payload[name] ??= null;
        return type.toBuffer({ ...event, payload });
      },
    };
  }
  const text = protoSchema(entry);
  const message = protobuf.parse(text).root.lookupType(fullRecordName(entry.type));
  return {
    schemaType: 'PROTOBUF',
    schema: text,
    encode: (event) => {
      const problem = message.verify(event);
      if (problem) throw new Error(`not a ${entry.type} ${entry.version} message: ${problem}`);
      return message.encode(message.fromObject(event)).finish();
    },
  };
}

/**
 * Serialises events of the catalog's types (or of the entries given: a test's newer version) for
 * one topic, registering each type's schema the first time it is needed.
 */
export class RegistrySerializer {
  readonly #client: SchemaRegistryClient;
  readonly #format: WireFormat;
  readonly #strategy: SubjectStrategy;
  readonly #entries: readonly CatalogEntry[];
  readonly #codecs = new Map<string, Promise<{ id: number; codec: Codec }>>();

  constructor(options: {
    client: SchemaRegistryClient;
    format: WireFormat;
    entries: readonly CatalogEntry[];
    strategy?: SubjectStrategy;
  }) {
    this.#client = options.client;
    this.#format = options.format;
    this.#entries = options.entries;
    this.#strategy = options.strategy ?? 'topic-record';
  }

  subject(topic: string, type: string): string {
    const name = fullRecordName(type);
    return this.#strategy === 'record' ? name : `${topic}-${name}`;
  }

  /**
   * The framed value, or undefined when the event cannot be written with its type's schema.
   * `fillMissing`: required payload fields it lacks are written as '' / 0 / [] — a record the
   * registry accepts whose values the catalog's payload schema still refuses (the demo's bad input).
   */
  async serialize(
    topic: string,
    event: unknown,
    options: { fillMissing?: boolean } = {},
  ): Promise<Buffer | undefined> {
    if (event === null || typeof event !== 'object') return undefined;
    const { type, version } = event as { type?: unknown; version?: unknown };
    const entry = this.#entries.find((e) => e.type === type && e.version === version);
    if (!entry) return undefined;
    if (options.fillMissing) event = withRequiredFields(event as Record<string, unknown>, entry);
    const key = `${topic}\n${entry.type}\n${entry.version}`;
    let registered = this.#codecs.get(key);
    if (!registered) {
      const codec = codecOf(entry, this.#format);
      registered = this.#client
        .register(this.subject(topic, entry.type), codec.schemaType, codec.schema)
        .then((id) => ({ id, codec }));
      this.#codecs.set(key, registered);
    }
    const { id, codec } = await registered;
    let body: Uint8Array;
    try {
      body = codec.encode(event as Record<string, unknown>);
    } catch {
      return undefined;
    }
    return frame(id, body, this.#format);
  }
}

function withRequiredFields(event: Record<string, unknown>, entry: CatalogEntry): Record<string, unknown> {
  const payload = { ...((event.payload ?? {}) as Record<string, unknown>) };
  for (const field of payloadFields(entry)) {
    if (field.optional || payload[field.name] !== undefined) continue;
    payload[field.name] = field.array
      ? []
      : field.kind === 'string'
        ? ''
        : field.kind === 'boolean'
          ? false
          : 0;
  }
  return { ...event, payload };
}
