/**
 * `npm run produce` — publish business events to Kafka as business systems do: each to its
 * domain's topic (the one that domain's mapping reads, infra/config/event-sources.ts), keyed by its
 * entity, with its domain in the `event-domain` header. A generated demo stream, or your own events
 * from a JSONL file (one BusinessEvent per line; a line that is not JSON is sent as is, to the
 * topic of `--domain`).
 *
 *   npm run produce -- [--events N] [--rate R] [--seed S] [--topology per-domain|shared] [--topic T]
 *   npm run produce -- --file events.jsonl [--domain D] [--topic T]
 *   npm run produce -- --format avro|protobuf|json-schema [...]   # through the local schema registry (docs/schema-registries.md)
 *
 * `--topic` sends everything to one topic instead (still with the header where the domain is known).
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { eventSources, sharedTopic } from '../../infra/config/event-sources.ts';
import { CATALOG, DOMAIN_NAMES } from '../../shared/domains/registry.ts';
import { findServices } from '../services/find-services.ts';
import { type DemoRecord, demoStream } from './demo-stream.ts';
import { createProducer, ensureSourceTopics, ensureTopics, routed } from './kafka-admin.ts';
import { RegistrySerializer, SchemaRegistryClient, type WireFormat } from './registry-serde.ts';
import { toRegistryRecord } from './registry-stream.ts';

const { values: args } = parseArgs({
  options: {
    events: { type: 'string', default: '1000' },
    rate: { type: 'string', default: '0' },
    seed: { type: 'string', default: String(Date.now() % 100_000) },
    topology: { type: 'string', default: 'per-domain' },
    topic: { type: 'string' },
    file: { type: 'string' },
    domain: { type: 'string' },
    /** json (default), or avro / protobuf / json-schema framed with the local schema registry's schema ids. */
    format: { type: 'string', default: 'json' },
  },
});
if (!['json', 'avro', 'protobuf', 'json-schema'].includes(args.format))
  throw new Error('--format must be json, avro, protobuf or json-schema');
if (!['per-domain', 'shared'].includes(args.topology)) {
  throw new Error('--topology must be per-domain or shared');
}
if (args.domain && !(DOMAIN_NAMES as readonly string[]).includes(args.domain)) {
  throw new Error(`--domain must be one of ${DOMAIN_NAMES.join(', ')}`);
}
const sources = eventSources('local', args.topology === 'shared' ? sharedTopic() : {});

function fromFile(path: string): DemoRecord[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line.trim())
    .map((line, i) => {
      let key = `line-${i + 1}`;
      let domain = args.domain;
      try {
        const event = JSON.parse(line) as {
          domain?: unknown;
          payload?: Record<string, unknown>;
          eventId?: string;
        };
        if (typeof event.domain === 'string' && (DOMAIN_NAMES as readonly string[]).includes(event.domain)) {
          domain = event.domain;
        }
        key = String(
          event.payload?.orderId ?? event.payload?.userId ?? event.payload?.productId ?? event.eventId ?? key,
        );
      } catch {
        // Sent as is: the functions dead-letter it.
      }
      if (!domain && !args.topic) {
        throw new Error(`${path}:${i + 1} names no known domain: give --domain (its topic) or --topic`);
      }
      return { key, value: line, expect: 'event' as const, domain: domain ?? '' };
    });
}

const services = await findServices();
const brokers = services.endpoints.kafkaBrokers;
if (args.topic) await ensureTopics(brokers, [{ name: args.topic, partitions: 3 }]);
else await ensureSourceTopics(brokers, sources);
const producer = createProducer(brokers);
const records = args.file
  ? fromFile(args.file)
  : [
      ...demoStream({
        events: Number(args.events),
        runId: `prod${Date.now().toString(36)}`,
        seed: Number(args.seed),
      }),
    ];
const toMessage = (r: DemoRecord) => {
  const message = routed(r, sources);
  if (!args.topic) return message;
  return { ...message, topic: args.topic, ...(r.domain ? {} : { headers: {} }) };
};
// --format avro|protobuf|json-schema: each value written with its type's schema, registered under
// its subject for the topic it goes to (scripts/local/registry-serde.ts).
const serializer =
  args.format === 'json'
    ? undefined
    : new RegistrySerializer({
        client: new SchemaRegistryClient(services.endpoints.schemaRegistryUrl),
        format: args.format as WireFormat,
        entries: CATALOG,
      });
if (serializer) {
  await new SchemaRegistryClient(services.endpoints.schemaRegistryUrl).check();
  for (const [i, record] of records.entries()) {
    const { topic } = toMessage(record);
    records[i] = { ...record, value: (await toRegistryRecord(record, serializer, topic)).value };
  }
}
const topics = new Map<string, number>();
const rate = Number(args.rate);
const perChunk = rate > 0 ? Math.max(1, Math.round(rate / 10)) : 500;
const started = Date.now();
for (let i = 0; i < records.length; i += perChunk) {
  const chunk = records.slice(i, i + perChunk);
  const messages = chunk.map(toMessage);
  await producer.send({ messages });
  for (const { topic } of messages) topics.set(topic, (topics.get(topic) ?? 0) + 1);
  if (rate > 0) await new Promise((resolve) => setTimeout(resolve, (chunk.length / rate) * 1_000));
}
await producer.close();
await services.stop();
console.log(
  `published ${records.length} records in ${((Date.now() - started) / 1000).toFixed(1)} s: ${[...topics]
    .map(([topic, n]) => `${n} to ${topic}`)
    .join(', ')}`,
);
