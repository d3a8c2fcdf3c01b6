/**
 * Decoding one Kafka record as Lambda delivers it: base64 → bytes → UTF-8 → JSON → envelope schema
 * → payload schema of its type and version. Every way a record can be bad ends in a
 * PermanentEventError with its reason; nothing here throws anything else.
 */
import { type BusinessEvent, businessEventSchema, EVENT_DOMAIN_HEADER } from '../events/business-event.ts';
import type { EventCatalog } from '../events/catalog.ts';
import { compiledSchema, type PrepareSchema } from '../events/compiled.ts';
import type * as z from '../events/zod.ts';
import { isPermanentEventError, PermanentEventError } from './errors.ts';
import type { KafkaEventRecord } from './lambda-event.ts';
import { fromRegistryJson, sourceFormatOf } from './registry-records.ts';
import type { SourceDecoder } from './source-decoders.ts';

/** Largest event value accepted (bytes): the DLQ column and sane payloads stay within it. */
export const DEFAULT_MAX_EVENT_BYTES = 1024 * 1024;

const utf8 = new TextDecoder('utf-8', { fatal: true });

export type DecodedRecord =
  | { kind: 'event'; event: BusinessEvent }
  /** A well-formed event of another domain: the function owning that domain handles it. */
  | { kind: 'foreign'; domain: string; type: string; eventId: string }
  | { kind: 'invalid'; error: PermanentEventError; eventId?: string };

export interface DecodeOptions {
  catalog: EventCatalog;
  /** The domain of the function decoding. */
  domain: string;
  /**
   * The domains whose records travel on this function's topics, its own included (TOPIC_DOMAINS):
   * their functions read them too, so this one skips them. Another domain's record is misrouted.
   * Default: every domain of the catalog (one shared topic).
   */
  topicDomains?: ReadonlySet<string>;
  maxEventBytes?: number;
  /** Reads schema-registry SOURCE values (Avro, Protobuf); loaded by the batch when it has such records. */
  sourceDecoder?: SourceDecoder | undefined;
  /**
   * How the envelope and payload schemas are parsed: compiled, by default (shared/events/compiled.ts).
   * `bench/validate.ts` passes the other candidates; the results and messages are the same.
   */
  prepareSchema?: PrepareSchema;
}

export function decodeRecord(record: KafkaEventRecord, options: DecodeOptions): DecodedRecord {
  const onTopic = (domain: string) =>
    options.topicDomains ? options.topicDomains.has(domain) : options.catalog.hasDomain(domain);
  // The producer's `event-domain` header, where set, alone decides which function owns a record:
  // another domain's function on this topic skips it without decoding anything.
  const claimed = headerText(record, EVENT_DOMAIN_HEADER);
  if (claimed !== undefined && claimed !== options.domain && onTopic(claimed)) {
    return { kind: 'foreign', domain: claimed, type: '', eventId: '' };
  }
  let eventId: string | undefined;
  try {
    if (claimed !== undefined && claimed !== options.domain) {
      // Every function on this topic says so; event_dead_letter keeps one row per record.
      throw new PermanentEventError(
        'misrouted',
        `${EVENT_DOMAIN_HEADER} header names domain "${claimed}", which no function reading this topic owns`,
      );
    }
    const json = readValue(record, options);
    const fields = (json !== null && typeof json === 'object' ? json : {}) as Record<string, unknown>;
    eventId = typeof fields.eventId === 'string' ? fields.eventId : undefined;
    // Without the header, another domain's record is that domain's function's to validate (and to
    // dead-letter): skip it without the schema work. Only the top-level field decides, so no record
    // is skipped by every function.
    if (
      claimed === undefined &&
      typeof fields.domain === 'string' &&
      fields.domain !== options.domain &&
      onTopic(fields.domain)
    ) {
      return {
        kind: 'foreign',
        domain: fields.domain,
        type: typeof fields.type === 'string' ? fields.type : '',
        eventId: eventId ?? '',
      };
    }
    const prepare = options.prepareSchema ?? compiledSchema;
    const envelope = prepare(businessEventSchema).safeParse(json);
    if (!envelope.success) throw schemaError('event', envelope.error);
    const event = envelope.data;
    if (!options.catalog.hasDomain(event.domain)) {
      throw new PermanentEventError('unknown_domain', `unknown domain "${event.domain}"`);
    }
    if (event.domain !== options.domain) {
      throw new PermanentEventError(
        'misrouted',
        claimed === undefined
          ? `an event of domain "${event.domain}" on a topic its function does not read`
          : `${EVENT_DOMAIN_HEADER} header names domain "${claimed}" but the event's domain is "${event.domain}"`,
      );
    }
    const entry = options.catalog.resolve(event.type, event.version);
    if (entry === 'unknown_type') {
      throw new PermanentEventError(
        'unknown_type',
        `unknown event type "${event.type}" in domain "${event.domain}"`,
      );
    }
    if (entry === 'unknown_version') {
      throw new PermanentEventError(
        'unknown_version',
        `no payload schema for ${event.type} version ${event.version}`,
      );
    }
    if (entry.domain !== event.domain) {
      throw new PermanentEventError(
        'schema',
        `event type ${event.type} belongs to domain "${entry.domain}", not "${event.domain}"`,
      );
    }
    const payload = prepare(entry.payload).safeParse(event.payload);
    if (!payload.success) throw schemaError(`${event.type} ${entry.version} payload`, payload.error);
    return { kind: 'event', event: { ...event, payload: payload.data as Record<string, unknown> } };
  } catch (error) {
    if (isPermanentEventError(error)) return { kind: 'invalid', error, ...(eventId ? { eventId } : {}) };
    throw error;
  }
}

/** The UTF-8 text of a record's header (the first of that name), if it has one. */
function headerText(record: KafkaEventRecord, name: string): string | undefined {
  for (const header of record.headers ?? []) {
    const bytes = header?.[name];
    if (Array.isArray(bytes)) return Buffer.from(bytes).toString('utf8');
  }
  return undefined;
}

/** The record's value bytes, or a permanent error when there is none or too much. */
export function recordValue(record: KafkaEventRecord, maxBytes: number): Buffer {
  if (record.value === null || record.value === undefined || record.value === '') {
    throw new PermanentEventError('no_value', 'record has no value (tombstone or empty)');
  }
  // base64 is 4 characters per 3 bytes: reject before decoding anything huge.
  if (Math.floor((record.value.length * 3) / 4) > maxBytes + 2) {
    throw new PermanentEventError('oversize', `record value is larger than ${maxBytes} bytes`);
  }
  const bytes = Buffer.from(record.value, 'base64');
  if (bytes.length > maxBytes) {
    throw new PermanentEventError('oversize', `record value is ${bytes.length} bytes, more than ${maxBytes}`);
  }
  return bytes;
}

/** The value as an object: JSON text, registry-converted JSON, or (SOURCE format) Avro or Protobuf. */
function readValue(record: KafkaEventRecord, options: DecodeOptions): unknown {
  const bytes = recordValue(record, options.maxEventBytes ?? DEFAULT_MAX_EVENT_BYTES);
  const format = sourceFormatOf(record, bytes);
  if (format && options.sourceDecoder) return options.sourceDecoder(format, bytes);
  return record.valueSchemaMetadata ? fromRegistryJson(parseJson(bytes)) : parseJson(bytes);
}

function parseJson(bytes: Buffer): unknown {
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    throw new PermanentEventError('not_utf8', 'record value is not valid UTF-8');
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    // Never the parser's message: it quotes the value, and messages reach logs.
    const at = /position (\d+)/.exec((error as Error).message)?.[1];
    throw new PermanentEventError('not_json', `record value is not JSON${at ? ` (at position ${at})` : ''}`);
  }
}

function schemaError(what: string, error: z.core.$ZodError): PermanentEventError {
  const issues = error.issues
    .slice(0, 5)
    .map((issue) => `${issue.path.length ? issue.path.join('.') : '(root)'}: ${issue.message}`)
    .join('; ');
  return new PermanentEventError('schema', `${what} violates its schema: ${issues}`);
}
