/**
 * `npm run produce` — publish business events to Kafka: a generated demo stream, or your own
 * events from a JSONL file (one BusinessEvent per line; a line that is not JSON is sent as is).
 *
 *   npm run produce -- [--events N] [--rate R] [--seed S] [--topic T]
 *   npm run produce -- --file events.jsonl [--topic T]
 *   npm run produce -- --format avro|protobuf [...]   # through the local schema registry (README, "Schema registries")
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { DEFAULT_TOPIC } from '../../infra/config/event-sources.ts';
import { CATALOG } from '../../shared/domains/registry.ts';
import { findServices } from '../services/find-services.ts';
import { type DemoRecord, demoStream } from './demo-stream.ts';
import { createProducer, ensureTopics } from './kafka-admin.ts';
import { RegistrySerializer, SchemaRegistryClient, type WireFormat } from './registry-serde.ts';
import { toRegistryRecord } from './registry-stream.ts';

const { values: args } = parseArgs({
  options: {
    events: { type: 'string', default: '1000' },
    rate: { type: 'string', default: '0' },
    seed: { type: 'string', default: String(Date.now() % 100_000) },
    topic: { type: 'string', default: DEFAULT_TOPIC },
    file: { type: 'string' },
    /** json (default), or avro / protobuf framed with the local schema registry's schema ids. */
    format: { type: 'string', default: 'json' },
  },
});
if (!['json', 'avro', 'protobuf', 'json-schema'].includes(args.format))
  throw new Error('--format must be json, avro, protobuf or json-schema');

function fromFile(path: string): DemoRecord[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line.trim())
    .map((line, i) => {
      let key = `line-${i + 1}`;
      try {
        const event = JSON.parse(line) as { payload?: Record<string, unknown>; eventId?: string };
        key = String(
          event.payload?.orderId ?? event.payload?.userId ?? event.payload?.productId ?? event.eventId ?? key,
        );
      } catch {
        // Sent as is: the functions dead-letter it.
      }
      return { key, value: line, expect: 'event' as const };
    });
}

const services = await findServices();
const brokers = services.endpoints.kafkaBrokers;
await ensureTopics(brokers, [{ name: args.topic, partitions: 3 }]);
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
if (args.format !== 'json') {
  const client = new SchemaRegistryClient(services.endpoints.schemaRegistryUrl);
  await client.check();
  const serializer = new RegistrySerializer({ client, format: args.format as WireFormat, entries: CATALOG });
  for (const [i, record] of records.entries()) {
    records[i] = { ...record, value: (await toRegistryRecord(record, serializer, args.topic)).value };
  }
}
const rate = Number(args.rate);
const perChunk = rate > 0 ? Math.max(1, Math.round(rate / 10)) : 500;
const started = Date.now();
for (let i = 0; i < records.length; i += perChunk) {
  const chunk = records.slice(i, i + perChunk);
  await producer.send({
    messages: chunk.map((r) => ({ topic: args.topic, key: r.key, value: r.value as string | Buffer })),
  });
  if (rate > 0) await new Promise((resolve) => setTimeout(resolve, (chunk.length / rate) * 1_000));
}
await producer.close();
await services.stop();
console.log(
  `published ${records.length} records to ${args.topic} in ${((Date.now() - started) / 1000).toFixed(1)} s`,
);
