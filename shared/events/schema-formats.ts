/**
 * The catalog's event types as schema-registry schemas — Avro, Protobuf and JSON Schema — derived
 * from the payload zod schemas and the envelope, so the catalog stays the one source of truth
 * (`npm run schemas` writes them to schemas/, `npm run typecheck` fails when those files are stale).
 *
 * One record (message) per event type: the envelope fields, then that type's typed payload, last.
 * Its full name (`lambda_realtime.events.UserLogin`) is what a record-name subject strategy
 * registers it under, so one topic can carry every type (or one per domain). Each payload version
 * of a type is a version of the same record: minor versions only add optional fields, appended.
 *
 * Why the payload comes last: with AWS's `EventRecordFormat: SOURCE` the function gets the bytes
 * without the schema id, so it reads them with the schema of the event's own `type` and `version`
 * (the envelope fields come first and are the same for every type). A newer minor version's extra
 * optional fields are then trailing bytes that an older reader leaves unread.
 *
 * Field mapping (JSON Schema of the zod input → Avro / Protobuf): string → string; integer → int /
 * int32 when it fits 32 bits, else long / int64; an amount (number or decimal string) → string
 * (exact decimal text, as the pipeline keeps money); array → array / repeated; boolean → boolean /
 * bool. An optional field → `["null", T]` with default null / proto3 `optional`. Anything else
 * fails the generator, naming the field.
 */

import type { CatalogEntry } from './catalog.ts';
import * as z from './zod.ts';

export const SCHEMA_NAMESPACE = 'lambda_realtime.events';

/** The envelope fields, in wire order (Avro field order; Protobuf field numbers 1–6, payload 7). */
export const ENVELOPE_FIELDS = [
  { name: 'eventId', kind: 'string' },
  { name: 'domain', kind: 'string' },
  { name: 'type', kind: 'string' },
  { name: 'version', kind: 'string' },
  { name: 'timestamp', kind: 'long' },
  { name: 'source', kind: 'string' },
] as const;
export const PAYLOAD_FIELD_NUMBER = ENVELOPE_FIELDS.length + 1;

type Scalar = 'string' | 'int' | 'long' | 'double' | 'boolean';
export interface FieldSpec {
  name: string;
  kind: Scalar;
  array: boolean;
  optional: boolean;
}

/** `user_login` → `UserLogin`: the record (message) name of an event type. */
export function recordName(type: string): string {
  return type
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((part) => part[0]!.toUpperCase() + part.slice(1))
    .join('');
}

export function fullRecordName(type: string): string {
  return `${SCHEMA_NAMESPACE}.${recordName(type)}`;
}

/** The payload's JSON Schema, as a producer sends it (zod's input side). */
export function payloadJsonSchema(entry: CatalogEntry): Record<string, unknown> {
  return z.toJSONSchema(entry.payload, { io: 'input', unrepresentable: 'throw' }) as Record<string, unknown>;
}

/** The payload's fields in declaration order, mapped to the scalar kinds above. */
export function payloadFields(entry: CatalogEntry): FieldSpec[] {
  const schema = payloadJsonSchema(entry);
  const properties = (schema.properties ?? {}) as Record<string, Record<string, unknown>>;
  const required = new Set((schema.required ?? []) as string[]);
  return Object.entries(properties).map(([name, property]) => {
    const where = `${entry.type} ${entry.version} payload field ${name}`;
    if (property.type === 'array') {
      return {
        name,
        kind: scalarKind(property.items as Record<string, unknown>, where),
        array: true,
        optional: !required.has(name),
      };
    }
    return { name, kind: scalarKind(property, where), array: false, optional: !required.has(name) };
  });
}

function scalarKind(property: Record<string, unknown>, where: string): Scalar {
  const type = property.type;
  if (Array.isArray(type) && type.length === 2 && type.includes('number') && type.includes('string'))
    return 'string';
  if (type === 'string') return 'string';
  if (type === 'boolean') return 'boolean';
  if (type === 'number') return 'double';
  if (type === 'integer') {
    const min = typeof property.minimum === 'number' ? property.minimum : Number.NEGATIVE_INFINITY;
    const max = typeof property.maximum === 'number' ? property.maximum : Number.POSITIVE_INFINITY;
    return min >= -2_147_483_648 && max <= 2_147_483_647 ? 'int' : 'long';
  }
  throw new Error(`${where}: no Avro/Protobuf mapping for JSON Schema ${JSON.stringify(property)}`);
}

// ----------------------------------------------------------------------------------------- Avro

export type AvroSchema = Record<string, unknown>;

function avroField(field: FieldSpec): Record<string, unknown> {
  const type = field.array ? { type: 'array', items: field.kind } : field.kind;
  return field.optional
    ? { name: field.name, type: ['null', type], default: null }
    : { name: field.name, type };
}

/** The Avro record of one event type at one payload version. */
export function avroSchema(entry: CatalogEntry): AvroSchema {
  const name = recordName(entry.type);
  return {
    type: 'record',
    name,
    namespace: SCHEMA_NAMESPACE,
    doc: `${entry.type} ${entry.version} (domain ${entry.domain}): the lambda-realtime envelope and its payload`,
    fields: [
      ...ENVELOPE_FIELDS.map((f) => ({ name: f.name, type: f.kind })),
      {
        name: 'payload',
        type: {
          type: 'record',
          name: `${name}Payload`,
          fields: payloadFields(entry).map(avroField),
        },
      },
    ],
  };
}

/** The envelope alone, for reading the start of any event type's Avro bytes. */
export function avroEnvelopeSchema(): AvroSchema {
  return {
    type: 'record',
    name: 'Envelope',
    namespace: SCHEMA_NAMESPACE,
    fields: ENVELOPE_FIELDS.map((f) => ({ name: f.name, type: f.kind })),
  };
}

/** The payload record alone (for reading the bytes after the envelope). */
export function avroPayloadSchema(entry: CatalogEntry): AvroSchema {
  return (avroSchema(entry).fields as Array<{ name: string; type: AvroSchema }>).at(-1)!.type;
}

// ------------------------------------------------------------------------------------- Protobuf

const PROTO_SCALAR: Record<Scalar, string> = {
  string: 'string',
  int: 'int32',
  long: 'int64',
  double: 'double',
  boolean: 'bool',
};

function protoField(field: FieldSpec, number: number): string {
  const type = PROTO_SCALAR[field.kind];
  if (field.array) return `repeated ${type} ${field.name} = ${number};`;
  return `${field.optional ? 'optional ' : ''}${type} ${field.name} = ${number};`;
}

/**
 * The Protobuf schema (a .proto file) of one event type at one payload version: one top-level
 * message (Confluent's message index [0]) with the payload as a nested message. Field numbers follow
 * declaration order, so fields added by later versions get new numbers.
 */
export function protoSchema(entry: CatalogEntry): string {
  const name = recordName(entry.type);
  const fields = payloadFields(entry);
  return [
    `// ${entry.type} ${entry.version} (domain ${entry.domain}): generated from the lambda-realtime catalog (npm run schemas)`,
    'syntax = "proto3";',
    `package ${SCHEMA_NAMESPACE};`,
    '',
    `message ${name} {`,
    ...ENVELOPE_FIELDS.map((f, i) => `  ${PROTO_SCALAR[f.kind]} ${f.name} = ${i + 1};`),
    `  Payload payload = ${PAYLOAD_FIELD_NUMBER};`,
    '',
    '  message Payload {',
    ...fields.map((f, i) => `    ${protoField(f, i + 1)}`),
    '  }',
    '}',
    '',
  ].join('\n');
}

/** Any event type's message read as the envelope with the payload left as bytes. */
export function protoEnvelopeSchema(): string {
  return [
    'syntax = "proto3";',
    `package ${SCHEMA_NAMESPACE};`,
    'message Envelope {',
    ...ENVELOPE_FIELDS.map((f, i) => `  ${PROTO_SCALAR[f.kind]} ${f.name} = ${i + 1};`),
    `  bytes payload = ${PAYLOAD_FIELD_NUMBER};`,
    '}',
    '',
  ].join('\n');
}

// ---------------------------------------------------------------------------------- JSON Schema

/** The whole event (envelope and this type's payload) as JSON Schema, for a JSON Schema subject. */
export function jsonSchema(entry: CatalogEntry): Record<string, unknown> {
  const payload = payloadJsonSchema(entry);
  delete payload.$schema;
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    title: fullRecordName(entry.type),
    description: `${entry.type} ${entry.version} (domain ${entry.domain}): the lambda-realtime envelope and its payload`,
    type: 'object',
    properties: {
      eventId: { type: 'string', pattern: '^[\\x21-\\x7E]{1,64}$' },
      domain: { const: entry.domain },
      type: { const: entry.type },
      version: { type: 'string', pattern: '^\\d{1,4}\\.\\d{1,4}$' },
      timestamp: { type: 'integer', minimum: 946_684_800_000, maximum: 4_102_444_800_000 },
      source: { type: 'string', minLength: 1, maxLength: 64 },
      payload,
    },
    required: ['eventId', 'domain', 'type', 'version', 'timestamp', 'source', 'payload'],
  };
}

/** File name stem of an event type's schemas at one version: `user_login.v1.0`. */
export function schemaFileStem(entry: CatalogEntry): string {
  return `${entry.type}.v${entry.version}`;
}

/** Every generated file: path under schemas/ → content. */
export function schemaFiles(entries: readonly CatalogEntry[]): Map<string, string> {
  const files = new Map<string, string>();
  for (const entry of entries) {
    const stem = schemaFileStem(entry);
    files.set(`avro/${stem}.avsc`, `${JSON.stringify(avroSchema(entry), null, 2)}\n`);
    files.set(`protobuf/${stem}.proto`, protoSchema(entry));
    files.set(`json-schema/${stem}.schema.json`, `${JSON.stringify(jsonSchema(entry), null, 2)}\n`);
  }
  return files;
}

/** What the SOURCE decoders (shared/pipeline/source-decoders.ts) read schemas with. */
export const SOURCE_SCHEMAS = {
  SCHEMA_NAMESPACE,
  avroEnvelopeSchema,
  avroPayloadSchema,
  protoEnvelopeSchema,
  protoSchema,
  fullRecordName,
};
export type SourceSchemas = typeof SOURCE_SCHEMAS;
