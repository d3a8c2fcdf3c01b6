/**
 * The Kafka event source mapping of each function — one definition that drives both the CDK event
 * source mappings (infra/lib) and the local event source mapping (local-esm/), so the
 * two cannot drift. Values follow the Lambda API (CreateEventSourceMapping) names and limits.
 *
 * Topology (docs/architecture.md, "Topics"): by default each domain has its own topic,
 * `business-events.<domain>`, keyed by the entity id so an entity's events stay in order in one
 * partition; producers route by the event's domain (`topicOf`) and mark it in the `event-domain`
 * header. Each function then polls, decodes and pays for its own records only. The seed's single
 * shared topic stays available (`sharedTopic()`): every function reads it in its own consumer
 * group and skips other domains' records — by the header, before decoding, where producers set
 * it. Functions learn which domains share their topics from `TOPIC_DOMAINS` (`topicDomains`), so a
 * record of a domain no function on that topic owns is dead-lettered as misrouted, never skipped
 * by all. No ESM value filter is used: a filter silently drops records whose value is not JSON,
 * and a poison record must reach `event_dead_letter` instead (docs/architecture.md, "Nothing lost").
 */
import { z } from 'zod';
import { DOMAIN_NAMES, type DomainName } from '../../shared/domains/registry.ts';

/** The domains, one function and one event source mapping each (from the registry). */
export const DOMAINS = DOMAIN_NAMES;
export type Domain = DomainName;

/** The seed's single topic that every business system publishes to (`sharedTopic()`). */
const SHARED_TOPIC = 'business-events';

/** Where every mapping sends records it gives up on, by default (the on-failure destination). */
export const DEFAULT_FAILURE_TOPIC = `${SHARED_TOPIC}-failures`;

/**
 * The largest record a source topic takes: Kafka's and MSK's default `message.max.bytes`
 * (1 MiB plus the record batch overhead), which the stack leaves the source topics at.
 */
export const SOURCE_TOPIC_MAX_MESSAGE_BYTES = 1_048_588;

/**
 * `max.message.bytes` of the on-failure topics. The mapping writes one failure document per failed
 * record: the invocation event holding that record, its key and value base64-encoded (4/3 of their
 * size), plus request and response context (local-esm/on-failure.ts, from AWS's "Record format
 * for a Kafka destination"). A record at the source topics' limit makes a document of about
 * 1.4 MB, which the broker default of 1 MB refuses — and the record would then be dropped instead
 * of kept (DroppedEventCount). 2 MiB leaves about 600 KB for the metadata and headers
 * (test/infra/kafka.test.ts builds the document of a record at the limit). The stack sets it on
 * the topics it creates; whoever creates the topics of an imported cluster must set it too.
 */
export const FAILURE_TOPIC_MAX_MESSAGE_BYTES = 2 * 1024 * 1024;

/** A domain's own topic in the default, per-domain topology. */
export function domainTopic(domain: string): string {
  return `${SHARED_TOPIC}.${domain}`;
}

/**
 * Where the mapping validates records against a schema registry, and what it then delivers
 * (docs.aws.amazon.com/lambda/latest/dg/services-consume-kafka-events.html; the Lambda API's
 * KafkaSchemaRegistryConfig). Unset: plain JSON values. Provisioned mode only (every
 * mapping here is). Both the CDK mapping (infra/lib/domain-function.ts) and the local event source
 * mapping (local-esm/schema-registry.ts) read it. Meaning, costs and the schemas:
 * docs/schema-registries.md.
 */
export const schemaRegistrySchema = z
  .object({
    /** `glue`: an AWS Glue Schema Registry (IAM); `confluent`: a Confluent-compatible registry (URL). */
    kind: z.enum(['glue', 'confluent']),
    /** Glue: the registry's ARN; Confluent: its URL (locally, the local registry's). */
    uri: z.string().min(1).max(10_000),
    /** JSON: the ESM delivers each record converted to JSON; SOURCE: the Avro/Protobuf bytes, framing removed. */
    eventRecordFormat: z.enum(['JSON', 'SOURCE']),
    /** What the ESM validates against the registry (KafkaSchemaValidationConfig attributes). */
    validate: z
      .array(z.enum(['KEY', 'VALUE']))
      .min(1)
      .max(2)
      .default(['VALUE']),
    /**
     * Confluent only: how the ESM signs in to the registry — a Secrets Manager secret per entry
     * (BASIC_AUTH: `{username,password}`; CLIENT_CERTIFICATE_TLS_AUTH: certificate and key;
     * SERVER_ROOT_CA_CERTIFICATE: the registry's CA). At most two (AccessConfigs maximum).
     */
    access: z
      .array(
        z
          .object({
            type: z.enum(['BASIC_AUTH', 'CLIENT_CERTIFICATE_TLS_AUTH', 'SERVER_ROOT_CA_CERTIFICATE']),
            secretArn: z.string().regex(/^arn:[^:]+:secretsmanager:/, 'a Secrets Manager secret ARN'),
          })
          .strict(),
      )
      .max(2)
      .default([]),
  })
  .strict()
  .refine((r) => r.kind !== 'glue' || /^arn:[^:]+:glue:[^:]+:[^:]+:registry\/[^/]+$/.test(r.uri), {
    message: 'a Glue registry is named by its ARN (arn:aws:glue:<region>:<account>:registry/<name>)',
    path: ['uri'],
  })
  .refine((r) => r.kind !== 'confluent' || /^https?:\/\//.test(r.uri), {
    message: 'a Confluent registry is named by its URL',
    path: ['uri'],
  })
  .refine((r) => r.kind !== 'glue' || r.access.length === 0, {
    message: 'a Glue registry is reached with the function role (IAM), not access secrets',
    path: ['access'],
  });

export type SchemaRegistrySettings = z.output<typeof schemaRegistrySchema>;

export const eventSourceSchema = z
  .object({
    /** A Kafka event source mapping reads exactly one topic (Lambda API limit); default `domainTopic(domain)`. */
    topics: z.array(z.string().min(1)).min(1).max(1).optional(),
    /** Consumer group id; defaults to `lambda-realtime-<env>-<domain>`. */
    consumerGroupId: z.string().min(1).optional(),
    /** Records per batch: 1–10,000 (AWS default 100). */
    batchSize: z.number().int().min(1).max(10_000).default(100),
    /** Seconds to gather records, 0–300; unset = AWS's Kafka default of 500 ms. */
    maximumBatchingWindowInSeconds: z.number().int().min(0).max(300).optional(),
    startingPosition: z.enum(['LATEST', 'TRIM_HORIZON']).default('TRIM_HORIZON'),
    /** -1 = retry until the record expires; AWS allows -1 or 0–10,000. */
    maximumRetryAttempts: z.number().int().min(-1).max(10_000).default(10),
    /** -1 = never expires; AWS allows -1 or 60–604,800. */
    maximumRecordAgeInSeconds: z
      .number()
      .int()
      .refine((v) => v === -1 || (v >= 60 && v <= 604_800), 'must be -1 or 60–604800')
      .default(-1),
    bisectBatchOnFunctionError: z.boolean().default(false),
    /** Provisioned mode pollers (required by AWS for retry settings and Kafka on-failure destinations). */
    provisionedPollers: z
      .object({ minimum: z.number().int().min(1).max(200), maximum: z.number().int().min(1).max(2_000) })
      .default({ minimum: 1, maximum: 3 }),
    /**
     * Where records go after retries run out: a Kafka topic on the same cluster (the ESM writes the
     * failed record itself plus failure metadata; AWS requires provisioned mode for this).
     */
    onFailureTopic: z
      .string()
      .regex(/^[a-zA-Z0-9._-]+$/, 'a Kafka topic name')
      .default(DEFAULT_FAILURE_TOPIC),
    /** Unset: plain JSON. Set: records validated against a schema registry (above). */
    schemaRegistry: schemaRegistrySchema.optional(),
  })
  .strict()
  // Lambda rejects a destination equal to a source topic (it would loop failures back in).
  .refine((s) => !s.topics?.includes(s.onFailureTopic), {
    message: 'onFailureTopic must differ from the source topics',
    path: ['onFailureTopic'],
  })
  // And a poller range whose minimum exceeds its maximum (ProvisionedPollerConfig).
  .refine((s) => s.provisionedPollers.minimum <= s.provisionedPollers.maximum, {
    message: 'minimum must not exceed maximum',
    path: ['provisionedPollers', 'minimum'],
  });

export type EventSourceSettings = z.output<typeof eventSourceSchema> & {
  topics: string[];
  consumerGroupId: string;
};
export type EventSourceInput = z.input<typeof eventSourceSchema>;

/** Per-domain settings with defaults applied; `overrides` is what an environment changes. */
export function eventSources(
  env: string,
  overrides: Partial<Record<Domain, EventSourceInput>> = {},
): Record<Domain, EventSourceSettings> {
  const out = {} as Record<Domain, EventSourceSettings>;
  for (const domain of DOMAINS) {
    const input = overrides[domain] ?? {};
    out[domain] = eventSource({
      ...input,
      topics: input.topics ?? [domainTopic(domain)],
      consumerGroupId: input.consumerGroupId ?? `lambda-realtime-${env}-${domain}`,
    });
  }
  return out;
}

/** One mapping's settings, defaults applied, from its topic, its group and what else it sets. */
export function eventSource(
  input: EventSourceInput & { topics: string[]; consumerGroupId: string },
): EventSourceSettings {
  return { ...eventSourceSchema.parse(input), topics: input.topics, consumerGroupId: input.consumerGroupId };
}

/**
 * Overrides that put every domain on one shared topic, `business-events`, keeping `base`'s
 * other settings: `eventSources(env, sharedTopic(config.eventSources))`.
 */
export function sharedTopic(
  base: Partial<Record<Domain, EventSourceInput>> = {},
  topic = SHARED_TOPIC,
): Record<Domain, EventSourceInput> {
  return Object.fromEntries(
    DOMAINS.map((domain) => [domain, { ...base[domain], topics: [topic] }]),
  ) as Record<Domain, EventSourceInput>;
}

/** The topic producers publish a domain's events to: the one its function's mapping reads. */
export function topicOf(sources: Record<Domain, EventSourceSettings>, domain: Domain): string {
  return sources[domain].topics[0]!;
}

/**
 * The domains whose records travel on `domain`'s topics (its own first): the function's
 * `TOPIC_DOMAINS`. It skips those domains' records (their functions read them too) and
 * dead-letters any other domain's as misrouted.
 */
export function topicDomains(sources: Record<Domain, EventSourceSettings>, domain: Domain): Domain[] {
  const mine = new Set(sources[domain].topics);
  return [
    domain,
    ...DOMAINS.filter((other) => other !== domain && sources[other].topics.some((t) => mine.has(t))),
  ];
}

/** Every topic the mappings read, each once. */
export function sourceTopics(sources: Record<Domain, EventSourceSettings>): string[] {
  return [...new Set(DOMAINS.flatMap((domain) => sources[domain].topics))];
}
