/**
 * `npm run local` — the whole pipeline on a developer's machine, as it runs in AWS:
 *   services (endpoints given → Docker/testcontainers → native scripts/services.sh) → migrations and
 *   dimension seed data → the database secret stored in the AWS emulator (the functions read their
 *   credentials back through Secrets Manager, as in AWS) → topics → one local event source mapping
 *   per function (the configuration CDK deploys) → a demo stream → a live progress line → a summary.
 *
 *   npm run local -- [--events N] [--rate R] [--follow] [--self-managed] [--seed S] [--timeout SECONDS]
 *
 * Exits 0 only when every record it published is accounted for: written to its wide table, absorbed
 * as a duplicate, dead-lettered, or delivered to the on-failure destination.
 */
import { createWriteStream, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  CreateSecretCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { createConnection } from 'mysql2/promise';
import { migrate, seed } from '../../db/migrate.ts';
import { DEFAULT_TOPIC, eventSources } from '../../infra/config/event-sources.ts';
import {
  DOMAIN_NAMES,
  DOMAINS,
  eventTables,
  domain as registryDomain,
} from '../../shared/domains/registry.ts';
import type { KafkaHandler } from '../../shared/pipeline/lambda-event.ts';
import { createHandler } from '../../shared/runtime/create-handler.ts';
import { findServices, provideAwsEnvironment } from '../services/find-services.ts';
import { type DemoRecord, demoStream } from './demo-stream.ts';
import { EsmRunner } from './esm-runner.ts';
import { createProducer, ensureTopics } from './kafka-admin.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const { values: args } = parseArgs({
  options: {
    events: { type: 'string', default: '2000' },
    rate: { type: 'string', default: '0' },
    follow: { type: 'boolean', default: false },
    'self-managed': { type: 'boolean', default: false },
    seed: { type: 'string', default: '42' },
    timeout: { type: 'string', default: '180' },
  },
});
const EVENTS = positiveInt('events', args.events);
const RATE = Number(args.rate);
const SECRET_ID = 'lambda-realtime/local/db';
const FAILURE_TOPIC = 'business-events-failures';
const EVENT_TABLES = DOMAINS.flatMap((domain) => eventTables(domain).map((table) => table.name));

function positiveInt(name: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer, got ${value}`);
  return n;
}

const log = (message: string) => process.stderr.write(`${message}\n`);

const started = Date.now();
log('lambda-realtime local pipeline');
const services = await findServices();
const { endpoints } = services;
log(
  `services via ${endpoints.source}: mysql ${endpoints.db.host}:${endpoints.db.port}, kafka ${endpoints.kafkaBrokers.join(',')}, aws ${endpoints.aws.endpoint}`,
);

// Schema and seed data.
const admin = await createConnection({ ...endpoints.db, timezone: 'Z' });
const migrated = await migrate(admin);
await seed(admin);
log(
  `migrations: ${migrated.applied.length} applied, ${migrated.skipped.length} already there; dimension seed loaded`,
);

// The secret, as RDS would store it; the functions read it back through Secrets Manager.
const secrets = new SecretsManagerClient({
  endpoint: endpoints.aws.endpoint,
  region: endpoints.aws.region,
  credentials: { accessKeyId: endpoints.aws.accessKeyId, secretAccessKey: endpoints.aws.secretAccessKey },
});
const secretString = JSON.stringify({
  engine: 'mysql',
  username: endpoints.db.user,
  password: endpoints.db.password,
  host: endpoints.db.host,
  port: endpoints.db.port,
  dbname: endpoints.db.database,
});
await secrets
  .send(new CreateSecretCommand({ Name: SECRET_ID, SecretString: secretString }))
  .catch(() => secrets.send(new PutSecretValueCommand({ SecretId: SECRET_ID, SecretString: secretString })));
log(`database secret stored in the emulator as ${SECRET_ID}`);

await ensureTopics(endpoints.kafkaBrokers, [
  { name: DEFAULT_TOPIC, partitions: 3 },
  { name: FAILURE_TOPIC, partitions: 1 },
]);

// One handler and one event source mapping per domain, configured as CDK deploys them.
const logDir = process.env.LRT_LOG_DIR ?? join(root, '.local', 'logs');
mkdirSync(logDir, { recursive: true });
provideAwsEnvironment(endpoints);
// As Lambda sets it for on-demand functions: Powertools' Logger marks a container's first
// invocation `cold_start: true` only then.
process.env.AWS_LAMBDA_INITIALIZATION_TYPE ??= 'on-demand';
const functionEnv = {
  DB_SECRET_ID: SECRET_ID,
  AWS_ENDPOINT_URL: endpoints.aws.endpoint,
  POWERTOOLS_SERVICE_NAME: 'lambda-realtime',
  POWERTOOLS_METRICS_NAMESPACE: 'lambda-realtime/local',
  POWERTOOLS_LOG_LEVEL: 'INFO',
};
const settings = eventSources('local');
const runners = DOMAINS.map(({ name: domain }) => {
  const logFile = createWriteStream(join(logDir, `${domain}.log`), { flags: 'a' });
  const handler = createHandler(registryDomain(domain), {
    env: { ...functionEnv, DOMAIN: domain },
    writeLog: (line) => logFile.write(`${line}\n`),
  });
  return new EsmRunner({
    handler: handler as KafkaHandler,
    brokers: endpoints.kafkaBrokers,
    settings: settings[domain],
    functionName: `lambda-realtime-local-${domain}`,
    ...(args['self-managed'] ? { eventSource: { type: 'SelfManagedKafka' as const } } : {}),
    backoff: { initialMs: 200, maxMs: 5_000 },
    onEvent: (event) => {
      if (event.type === 'error') log(`[${domain}] runner error: ${event.message}`);
    },
  });
});
await Promise.all(runners.map((r) => r.start()));
log(
  `event source mappings started: ${DOMAIN_NAMES.map((d) => `${d} (group ${settings[d].consumerGroupId})`).join(', ')}; logs in .local/logs/`,
);

// Publish the demo stream.
const runId = `run${started.toString(36)}`;
const producer = createProducer(endpoints.kafkaBrokers);
const published: DemoRecord[] = [];
const publishing = (async () => {
  const chunk: DemoRecord[] = [];
  const flush = async () => {
    if (chunk.length === 0) return;
    await producer.send({
      messages: chunk.map((r) => ({
        topic: DEFAULT_TOPIC,
        key: r.key,
        value: r.value as string,
        headers: { 'lrt-run': runId },
      })),
    });
    published.push(...chunk.splice(0));
  };
  const perChunk = RATE > 0 ? Math.max(1, Math.round(RATE / 10)) : 500;
  for (const record of demoStream({ events: EVENTS, runId, seed: Number(args.seed) })) {
    chunk.push(record);
    if (chunk.length >= perChunk) {
      await flush();
      if (RATE > 0) await new Promise((resolve) => setTimeout(resolve, (perChunk / RATE) * 1_000));
    }
  }
  await flush();
})();

// Progress until every published record is accounted for (or --follow: until Ctrl-C).
const expected = () => ({
  events: new Set(published.filter((r) => r.expect === 'event').map((r) => r.eventId!)),
  deadLetters: published.filter((r) => r.expect === 'dead-letter').length,
});
async function progress() {
  // Rows of this run, per event table of every domain.
  const counts: Record<string, number> = {};
  for (const table of EVENT_TABLES) {
    const [[row]] = (await admin.query(`SELECT COUNT(*) AS n FROM ${table} WHERE event_id LIKE ?`, [
      `${runId}-%`,
    ])) as unknown as [[{ n: number }]];
    counts[table] = Number(row.n);
  }
  const [[dl]] = (await admin.query(
    `SELECT COUNT(*) AS n FROM event_dead_letter WHERE JSON_CONTAINS(headers, JSON_OBJECT('name', 'lrt-run', 'text', ?))`,
    [runId],
  )) as unknown as [[{ n: number }]];
  const written = Object.values(counts).reduce((a, b) => a + b, 0);
  const lags = await Promise.all(runners.map((r) => r.lag().catch(() => ({}))));
  const lag = Math.max(0, ...lags.map((l) => Object.values(l).reduce((a, b) => a + b, 0)));
  const stats = runners.map((r) => r.stats);
  return {
    counts,
    written,
    deadLettered: Number(dl.n),
    consumed: Math.max(...stats.map((s) => s.recordsConsumed)),
    retried: stats.reduce((sum, s) => sum + s.recordsRetried, 0),
    toOnFailure: stats.reduce((sum, s) => sum + s.recordsSentToOnFailure, 0),
    lag,
  };
}

const deadline = Date.now() + Number(args.timeout) * 1_000;
let stopRequested = false;
process.on('SIGINT', () => {
  if (stopRequested) process.exit(130);
  stopRequested = true;
  log('\nstopping (Ctrl-C again to force)…');
});
let last = await progress();
let lastAt = Date.now();
let lastWritten = 0;
let lastPrinted = 0;
for (;;) {
  await new Promise((resolve) => setTimeout(resolve, 500));
  last = await progress();
  const want = expected();
  const rate = ((last.written - lastWritten) * 1_000) / Math.max(1, Date.now() - lastAt);
  lastWritten = last.written;
  lastAt = Date.now();
  const line =
    `published ${published.length}/${EVENTS}  consumed ${last.consumed}  written ${last.written}/${want.events.size}  ` +
    `dead-lettered ${last.deadLettered}/${want.deadLetters}  retried ${last.retried}  lag ${last.lag}  ${rate.toFixed(0)} ev/s`;
  if (process.stderr.isTTY) process.stderr.write(`\r${line.padEnd(130)}`);
  else if (Date.now() - lastPrinted >= 5_000) {
    lastPrinted = Date.now();
    log(line);
  }
  const complete =
    published.length === EVENTS &&
    last.written >= want.events.size &&
    last.deadLettered + last.toOnFailure >= want.deadLetters;
  if (stopRequested || (!args.follow && complete) || (!args.follow && Date.now() > deadline)) break;
}
if (process.stderr.isTTY) log('');
await publishing;

// Summary.
const want = expected();
const [latencies] = (await admin.query(
  `SELECT TIMESTAMPDIFF(MICROSECOND, event_time, processed_at) / 1000 AS ms FROM (${EVENT_TABLES.map(
    (table) => `SELECT event_time, processed_at FROM ${table} WHERE event_id LIKE ?`,
  ).join(' UNION ALL ')}) t ORDER BY ms`,
  EVENT_TABLES.map(() => `${runId}-%`),
)) as unknown as [Array<{ ms: string }>];
const ms = latencies.map((r) => Number(r.ms)).filter((v) => v >= 0);
const pct = (p: number) =>
  ms.length ? ms[Math.min(ms.length - 1, Math.floor((p / 100) * ms.length))]!.toFixed(0) : '-';
const duplicates = published.filter((r) => r.expect === 'duplicate').length;
const rows: Array<[string, string | number]> = [
  ['records published', published.length],
  ['  distinct valid events', want.events.size],
  ['  duplicates (absorbed)', duplicates],
  ['  malformed', want.deadLetters],
  ...EVENT_TABLES.map((table): [string, number] => [`${table} rows`, last.counts[table] ?? 0]),
  ['event_dead_letter rows', last.deadLettered],
  ['retried deliveries', last.retried],
  ['sent to on-failure destination', last.toOnFailure],
  // Event time to row written; the stream back-dates some order events by a minute (out of order).
  ['end-to-end latency p50 (ms)', pct(50)],
  ['end-to-end latency p99 (ms)', pct(99)],
  ['wall time (s)', ((Date.now() - started) / 1_000).toFixed(1)],
];
const width = Math.max(...rows.map(([k]) => k.length));
console.log(`\nsummary of ${runId}`);
for (const [k, v] of rows) console.log(`  ${k.padEnd(width)}  ${String(v).padStart(8)}`);
const accounted =
  last.written === want.events.size && last.deadLettered + last.toOnFailure >= want.deadLetters;
console.log(
  accounted ? '\nevery published record is accounted for' : '\nNOT every published record is accounted for',
);

await Promise.all(runners.map((r) => r.stop()));
await producer.close();
await admin.end();
secrets.destroy();
await services.stop();
process.exit(accounted || stopRequested ? 0 : 1);
