/**
 * `npm run local` — the whole pipeline on a developer's machine, as it runs in AWS:
 *   services (endpoints given → Docker/testcontainers → native scripts/services.sh) → the app and
 *   migrator users, migrations (as the migrator) and grants, as the deployment's schema step does,
 *   and dimension seed data → the app user's secret stored in the AWS emulator (the functions read
 *   their credentials back through Secrets Manager and run as that restricted user, as in AWS) → topics → one local event source mapping
 *   per function (the configuration CDK deploys) → a demo stream → a live progress line → a summary.
 *
 *   npm run local -- [--events N] [--rate R] [--follow] [--self-managed] [--seed S] [--timeout SECONDS]
 *                    [--topology per-domain|shared] [--settings local|prod] [--prefill] [--runtime node|lambda]
 *                    [--profile FILE.cpuprofile]
 *
 * Exits 0 only when every record it published is in its expected place (./placement.ts), each
 * found again by its Kafka coordinates: an event's row in its domain's table (or absorbed as a
 * duplicate), a malformed record's dead letter with the reason the generator gave it, written by the
 * function that owns it, a record no mapping can deserialise in the on-failure topic once per
 * mapping reading it; and nothing of a record's from the functions that do not own it. The first
 * mismatches are named.
 */
import { createWriteStream, mkdirSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  CreateSecretCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { build } from 'esbuild';
import { environmentConfig } from '../../infra/config/environments.ts';
import { eventSources, sharedTopic, sourceTopics, topicDomains } from '../../infra/config/event-sources.ts';
import { functionBuildOptions } from '../../infra/lib/function-code.ts';
import { EsmRunner, executionEnvironments, sumMetrics } from '../../local-esm/index.ts';
import {
  ensureRuntimeTools,
  type LambdaRuntime,
  startLambdaRuntime,
} from '../../local-esm/lambda-runtime.ts';
import {
  CATALOG,
  DOMAIN_NAMES,
  DOMAINS,
  eventTables,
  domain as registryDomain,
} from '../../shared/domains/registry.ts';
import type { KafkaHandler } from '../../shared/pipeline/lambda-event.ts';
import { createHandler } from '../../shared/runtime/create-handler.ts';
import { findServices, provideAwsEnvironment } from '../services/find-services.ts';
import { cpuDifference, servicesCpuMs } from '../services/process-cpu.ts';
import { deployLocalDatabase } from './database.ts';
import { type DemoRecord, demoStream } from './demo-stream.ts';
import { createProducer, ensureSourceTopics, routed } from './kafka-admin.ts';
import { placeRun } from './place-run.ts';
import { endOffsets } from './placement.ts';
import { RegistrySerializer, SchemaRegistryClient, type WireFormat } from './registry-serde.ts';
import { type RegistryDemoRecord, toRegistryRecord } from './registry-stream.ts';
import { printMappings, printSummary } from './summary.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const { values: args } = parseArgs({
  options: {
    events: { type: 'string', default: '2000' },
    rate: { type: 'string', default: '0' },
    follow: { type: 'boolean', default: false },
    'self-managed': { type: 'boolean', default: false },
    seed: { type: 'string', default: '42' },
    timeout: { type: 'string', default: '180' },
    /** node: the handlers in this process (default); lambda: their built bundles in AWS's runtime. */
    runtime: { type: 'string', default: 'node' },
    /** local: the mappings' local settings; prod: prod's batch size, window and pollers. */
    settings: { type: 'string', default: 'local' },
    /** Publish the whole stream before the mappings start: consumption alone is timed. */
    prefill: { type: 'boolean', default: false },
    /** per-domain: a topic per domain (the default); shared: one topic for all. */
    topology: { type: 'string', default: 'per-domain' },
    /** Write a CPU profile of this process while it consumes (open it in Chrome DevTools). */
    profile: { type: 'string' },
    /** json (default); avro / protobuf / json-schema: through the local schema registry (docs/schema-registries.md). */
    format: { type: 'string', default: 'json' },
    /** With --format avro|protobuf|json-schema: the mappings' EventRecordFormat, JSON (default) or SOURCE. */
    'record-format': { type: 'string', default: 'JSON' },
  },
});
if (!['per-domain', 'shared'].includes(args.topology)) {
  throw new Error('--topology must be per-domain or shared');
}
if (!['json', 'avro', 'protobuf', 'json-schema'].includes(args.format))
  throw new Error('--format must be json, avro, protobuf or json-schema');
if (!['JSON', 'SOURCE'].includes(args['record-format']))
  throw new Error('--record-format must be JSON or SOURCE');
const REGISTRY_FORMAT = args.format === 'json' ? undefined : (args.format as WireFormat);
if (!['local', 'prod'].includes(args.settings)) throw new Error('--settings must be local or prod');
if (!['node', 'lambda'].includes(args.runtime)) throw new Error('--runtime must be node or lambda');
const EVENTS = positiveInt('events', args.events);
const RATE = Number(args.rate);
const SECRET_ID = 'lambda-realtime/local/db';
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

// Users, schema and grants as AWS deploys them (the functions run as the restricted app user), and
// seed data.
const { admin, app, migrations: migrated } = await deployLocalDatabase(endpoints.db, { withSeed: true });
log(
  `migrations: ${migrated.applied.length} applied, ${migrated.skipped.length} already there; dimension seed loaded; functions run as ${app.user}`,
);

// The app user's secret, as RDS would store it; the functions read it back through Secrets Manager.
const secrets = new SecretsManagerClient({
  endpoint: endpoints.aws.endpoint,
  region: endpoints.aws.region,
  credentials: { accessKeyId: endpoints.aws.accessKeyId, secretAccessKey: endpoints.aws.secretAccessKey },
});
const secretString = JSON.stringify({
  engine: 'mysql',
  username: app.user,
  password: app.password,
  host: endpoints.db.host,
  port: endpoints.db.port,
  dbname: endpoints.db.database,
});
await secrets
  .send(new CreateSecretCommand({ Name: SECRET_ID, SecretString: secretString }))
  .catch(() => secrets.send(new PutSecretValueCommand({ SecretId: SECRET_ID, SecretString: secretString })));
log(`the app user's database secret stored in the emulator as ${SECRET_ID}`);

// One handler and one event source mapping per domain, configured as CDK deploys them.
const logDir = process.env.LRT_LOG_DIR ?? join(root, '.local', 'logs');
mkdirSync(logDir, { recursive: true });
provideAwsEnvironment(endpoints);
// As Lambda sets it for on-demand functions: Powertools' Logger marks a container's first
// invocation `cold_start: true` only then.
process.env.AWS_LAMBDA_INITIALIZATION_TYPE ??= 'on-demand';
const functionEnv = {
  DB_SECRET_ID: SECRET_ID,
  // The local MySQL takes TLS connections only, verified as RDS's are (DB_TLS=verify, its CA).
  ...endpoints.dbTls,
  AWS_ENDPOINT_URL: endpoints.aws.endpoint,
  POWERTOOLS_SERVICE_NAME: 'lambda-realtime',
  POWERTOOLS_METRICS_NAMESPACE: 'lambda-realtime/local',
  POWERTOOLS_LOG_LEVEL: 'INFO',
};
const settingsInput = args.settings === 'prod' ? environmentConfig('prod').eventSources : {};
const baseSettings = eventSources(
  'local',
  args.topology === 'shared' ? sharedTopic(settingsInput) : settingsInput,
);
// --format avro|protobuf|json-schema: every mapping validates against the local registry, as a
// deployment selecting a Confluent registry would (infra/config/event-sources.ts, schemaRegistry).
const settings = REGISTRY_FORMAT
  ? (Object.fromEntries(
      Object.entries(baseSettings).map(([domain, s]) => [
        domain,
        {
          ...s,
          schemaRegistry: {
            kind: 'confluent' as const,
            uri: endpoints.schemaRegistryUrl,
            eventRecordFormat: args['record-format'] as 'JSON' | 'SOURCE',
            validate: ['VALUE' as const],
            access: [],
          },
        },
      ]),
    ) as unknown as typeof baseSettings)
  : baseSettings;
await ensureSourceTopics(endpoints.kafkaBrokers, settings);
const SOURCE_TOPICS = sourceTopics(settings);
const FAILURE_TOPICS = [...new Set(Object.values(settings).map((s) => s.onFailureTopic))];
/** Where this run's records and failure documents will start: they are read back from there. */
const startOffsets = await endOffsets(endpoints.kafkaBrokers, [...SOURCE_TOPICS, ...FAILURE_TOPICS]);
const serializer = REGISTRY_FORMAT
  ? new RegistrySerializer({
      client: new SchemaRegistryClient(endpoints.schemaRegistryUrl),
      format: REGISTRY_FORMAT,
      entries: CATALOG,
    })
  : undefined;
if (REGISTRY_FORMAT) {
  await new SchemaRegistryClient(endpoints.schemaRegistryUrl).check();
  log(
    `${REGISTRY_FORMAT} through the schema registry at ${endpoints.schemaRegistryUrl}, EventRecordFormat ${args['record-format']}`,
  );
}
/** The domains whose mappings read `topic`: each sends a record it cannot deserialise to the on-failure topic. */
const readersOf = (topic: string) => DOMAIN_NAMES.filter((domain) => settings[domain].topics.includes(topic));
// --runtime lambda: each function's built bundle under AWS's Runtime Interface Emulator and runtime
// interface client, LAMBDA_RUNTIME_ENVIRONMENTS execution environments each (one invocation at a time).
const LAMBDA_RUNTIME_ENVIRONMENTS = 3;
const lambdaRuntimes: LambdaRuntime[] = [];
if (args.runtime === 'lambda') {
  const tools = ensureRuntimeTools(log);
  for (const { name: domain } of DOMAINS) {
    const codeDir = join(root, '.local', 'bundles', domain);
    await build(functionBuildOptions(domain, codeDir));
    const logFile = createWriteStream(join(logDir, `${domain}.log`), { flags: 'a' });
    lambdaRuntimes.push(
      await startLambdaRuntime({
        codeDir,
        functionName: `lambda-realtime-local-${domain}`,
        env: {
          ...functionEnv,
          DOMAIN: domain,
          TOPIC_DOMAINS: topicDomains(settings, domain).join(','),
          AWS_REGION: endpoints.aws.region,
          AWS_ACCESS_KEY_ID: endpoints.aws.accessKeyId,
          AWS_SECRET_ACCESS_KEY: endpoints.aws.secretAccessKey,
        },
        concurrency: LAMBDA_RUNTIME_ENVIRONMENTS,
        output: (line) => logFile.write(`${line}\n`),
        tools,
      }),
    );
  }
  log(`functions run in AWS's runtime: ${LAMBDA_RUNTIME_ENVIRONMENTS} execution environments each`);
}

const runners = DOMAINS.map(({ name: domain }, index) => {
  const logFile = createWriteStream(join(logDir, `${domain}.log`), { flags: 'a' });
  const lambda = lambdaRuntimes[index];
  // One handler (module scope: pool, cache) per execution environment, as Lambda runs concurrent invocations.
  const handler: KafkaHandler = lambda
    ? async (event) => (await lambda.invoke(event)) as Awaited<ReturnType<KafkaHandler>>
    : executionEnvironments(
        () =>
          createHandler(registryDomain(domain), {
            env: { ...functionEnv, DOMAIN: domain, TOPIC_DOMAINS: topicDomains(settings, domain).join(',') },
            writeLog: (line) => logFile.write(`${line}\n`),
          }) as KafkaHandler,
      ).handler;
  return new EsmRunner({
    handler,
    ...(lambda ? { maxConcurrentBatches: LAMBDA_RUNTIME_ENVIRONMENTS } : {}),
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
let consumeStarted = Date.now();
/** CPU when consumption started: this process's (the functions', with --runtime node) and the services'. */
let cpuAtStart = { functions: process.cpuUsage(), services: servicesCpuMs(root) };
const profiler = args.profile ? new Session() : undefined;
async function startMappings() {
  if (profiler) {
    profiler.connect();
    await profiler.post('Profiler.enable');
    await profiler.post('Profiler.start');
  }
  await Promise.all(runners.map((r) => r.start()));
  consumeStarted = Date.now();
  cpuAtStart = { functions: process.cpuUsage(), services: servicesCpuMs(root) };
  log(
    `event source mappings started (${args.settings} settings): ${DOMAIN_NAMES.map((d) => `${d} (group ${settings[d].consumerGroupId})`).join(', ')}; logs in .local/logs/`,
  );
}
if (!args.prefill) await startMappings();

// Publish the demo stream.
const runId = `run${started.toString(36)}`;
const producer = createProducer(endpoints.kafkaBrokers);
const published: Array<DemoRecord | RegistryDemoRecord> = [];
/** When each event was first acknowledged by Kafka (ms): the start of its publish-to-row latency. */
const publishedAt = new Map<string, number>();
const publishing = (async () => {
  const chunk: Array<DemoRecord | RegistryDemoRecord> = [];
  const flush = async () => {
    if (chunk.length === 0) return;
    // lrt-seq: the record's index in `published`, by which it is found again in its topic.
    const base = published.length;
    await producer.send({
      messages: chunk.map((r, i) => routed(r, settings, { 'lrt-run': runId, 'lrt-seq': String(base + i) })),
    });
    const at = Date.now();
    for (const r of chunk) if (r.eventId && !publishedAt.has(r.eventId)) publishedAt.set(r.eventId, at);
    published.push(...chunk.splice(0));
  };
  const perChunk = RATE > 0 ? Math.max(1, Math.round(RATE / 10)) : 500;
  for (const record of demoStream({ events: EVENTS, runId, seed: Number(args.seed) })) {
    chunk.push(
      serializer ? await toRegistryRecord(record, serializer, routed(record, settings).topic) : record,
    );
    if (chunk.length >= perChunk) {
      await flush();
      if (RATE > 0) await new Promise((resolve) => setTimeout(resolve, (perChunk / RATE) * 1_000));
    }
  }
  await flush();
})();
if (args.prefill) {
  await publishing;
  log(`published ${published.length} records; starting the mappings`);
  await startMappings();
}

// Progress until every published record is accounted for (or --follow: until Ctrl-C).
// What the published records should become, kept up to date as they are published (recounting
// them every poll cost the measured process more than some of what it measures).
const expectedEvents = new Set<string>();
let expectedDeadLetters = 0;
/** Not in the registry's wire format: each mapping reading its topic sends it to the on-failure topic. */
let expectedOnFailure = 0;
let expectedUpTo = 0;
const expected = () => {
  for (; expectedUpTo < published.length; expectedUpTo++) {
    const r = published[expectedUpTo]!;
    if (r.expect === 'event') expectedEvents.add(r.eventId!);
    else if (r.expect === 'dead-letter') expectedDeadLetters++;
    else if (r.expect === 'on-failure') expectedOnFailure += readersOf(routed(r, settings).topic).length;
  }
  return { events: expectedEvents, deadLetters: expectedDeadLetters, onFailure: expectedOnFailure };
};
/** What the mappings report: cheap enough to ask often (no database query). */
async function mappingProgress() {
  // OffsetLag per function (its consumer group), as the ESM reports it.
  const offsetLags = await Promise.all(runners.map((r) => r.offsetLag().catch(() => undefined)));
  const stats = runners.map((r) => r.stats);
  return {
    retried: stats.reduce((sum, s) => sum + s.recordsRetried, 0),
    toOnFailure: stats.reduce((sum, s) => sum + s.recordsSentToOnFailure, 0),
    metrics: sumMetrics(runners.map((r) => ({ ...r.metrics }))),
    offsetLag: offsetLags.reduce((sum, l) => sum + (l?.total ?? 0), 0),
    offsetLags: offsetLags.map((l) => l?.total ?? 0),
    inFlight: runners.reduce((sum, r) => sum + r.inFlight, 0),
  };
}
/** The rows of this run in the database. */
async function rowProgress() {
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
  return { counts, written, deadLettered: Number(dl.n) };
}

const deadline = Date.now() + Number(args.timeout) * 1_000;
let stopRequested = false;
process.on('SIGINT', () => {
  if (stopRequested) process.exit(130);
  stopRequested = true;
  log('\nstopping (Ctrl-C again to force)…');
});
let counted = await rowProgress();
let rowsAt = Date.now();
let last = { ...counted, ...(await mappingProgress()) };
let lastWritten = 0;
let lastPrinted = 0;
let rate = 0;
for (;;) {
  await new Promise((resolve) => setTimeout(resolve, 200));
  const mappings = await mappingProgress();
  // Counting rows costs the database real work, which would be timed with the pipeline: count when
  // the mappings look done (nothing to read, nothing in flight), else every few seconds.
  const caughtUp = published.length === EVENTS && mappings.offsetLag === 0 && mappings.inFlight === 0;
  if (caughtUp || Date.now() - rowsAt >= 5_000 || stopRequested) {
    const before = rowsAt;
    counted = await rowProgress();
    rowsAt = Date.now();
    rate = ((counted.written - lastWritten) * 1_000) / Math.max(1, rowsAt - before);
    lastWritten = counted.written;
  }
  last = { ...counted, ...mappings };
  const want = expected();
  const m = last.metrics;
  const line =
    `published ${published.length}/${EVENTS}  written ${last.written}/${want.events.size}  ` +
    `dead-lettered ${last.deadLettered}/${want.deadLetters}  ${rate.toFixed(0)} ev/s | ESM polled ${m.PolledEventCount}  ` +
    `invoked ${m.InvokedEventCount}  failed ${m.FailedInvokeEventCount}  dropped ${m.DroppedEventCount + m.OnFailureDestinationDeliveredEventCount}  ` +
    `errors ${m.InvokeErrorCount}  in flight ${last.inFlight}  OffsetLag ${last.offsetLag}`;
  if (process.stderr.isTTY) process.stderr.write(`\r${line.padEnd(170)}`);
  else if (Date.now() - lastPrinted >= 5_000) {
    lastPrinted = Date.now();
    log(line);
  }
  // Done when the counts are reached and every mapping committed everything (nothing in flight).
  const complete =
    caughtUp &&
    last.written >= want.events.size &&
    last.deadLettered + last.toOnFailure >= want.deadLetters + want.onFailure;
  if (stopRequested || (!args.follow && complete) || (!args.follow && Date.now() > deadline)) break;
}
const consumeSeconds = (Date.now() - consumeStarted) / 1_000;
const cpuUsed = process.cpuUsage(cpuAtStart.functions);
if (profiler && args.profile) {
  const { profile } = await profiler.post('Profiler.stop');
  writeFileSync(args.profile, JSON.stringify(profile));
  log(`CPU profile of the consumption: ${args.profile}`);
}
const servicesAtEnd = servicesCpuMs(root);
if (process.stderr.isTTY) log('');
await publishing;

// Summary.
const want = expected();
await printSummary(admin, {
  runId,
  eventTables: EVENT_TABLES,
  published,
  publishedAt,
  expected: { events: want.events.size, deadLetters: want.deadLetters },
  last,
  consumeSeconds,
  cpu: {
    functions: args.runtime === 'node' ? ((cpuUsed.user + cpuUsed.system) / 1_000).toFixed(0) : '-',
    mysql: cpuDifference(servicesAtEnd.mysql, cpuAtStart.services.mysql)?.toFixed(0) ?? '-',
    kafka: cpuDifference(servicesAtEnd.kafka, cpuAtStart.services.kafka)?.toFixed(0) ?? '-',
  },
  wallSeconds: (Date.now() - started) / 1_000,
});
printMappings(DOMAIN_NAMES, runners, last.offsetLags);
await Promise.all(runners.map((r) => r.stop()));
await Promise.all(lambdaRuntimes.map((r) => r.close()));
await producer.close();

// Every record in its expected place, found again by its coordinates.
let accounted = false;
if (stopRequested) console.log('\nstopped before the end: records not checked');
else {
  const placement = await placeRun({
    admin,
    brokers: endpoints.kafkaBrokers,
    runId,
    published,
    sourceTopics: SOURCE_TOPICS,
    startOffsets,
    readersOf,
  });
  accounted = placement.mismatches === 0;
  const p = placement.placed;
  console.log(
    accounted
      ? `\nevery published record is accounted for, each in its expected place: ${p.written} written, ${p.absorbed} absorbed as duplicates, ${p.deadLettered} dead-lettered with their reasons by their own function, ${p.onFailure} in the on-failure topic once per mapping reading them; the functions that do not own a record left it alone`
      : `\nNOT every published record is in its expected place: ${placement.mismatches} mismatches; the first:`,
  );
  for (const problem of placement.problems) console.log(`  ${problem}`);
}

await admin.end();
secrets.destroy();
await services.stop();
process.exit(accounted || stopRequested ? 0 : 1);
