/**
 * The pipeline beside the Flink job it replaces, measured the same way in the same run.
 *
 * The bench's own producer publishes the demo stream once (seed 42; valid events, duplicates and
 * malformed records) to a topic per domain, 6 partitions each (and, for the shared topology, to one
 * topic). Then, interleaved, each system runs as a process started from scratch against a fresh
 * schema (migrations and dimension seed applied before it starts), reading the topics from the
 * beginning with new consumer groups, until the database holds every expected row:
 *   - the project: bench/consumer.ts — the three functions behind the local event source mapping at
 *     prod settings (batch 500, 1 s window), each function a process of its own (AWS runs each
 *     function in execution environments of its own; one process holding all three shares one
 *     event loop among them), their CPU summed;
 *   - Flink: scripts/flink/baseline — a Flink 1.20 DataStream job on a local MiniCluster at
 *     parallelism 1, Kafka source → per-type mapping → JDBC sink (1,000-row batches, 200 ms,
 *     rewriteBatchedStatements=true, upsert by event_id); event tables only.
 *
 * CPU is read from /proc every 50 ms for the system's processes and for MySQL and Kafka (their pid
 * files), and interpolated at the moments the rows' own `processed_at` gives: the first row and the
 * last. Two accountings, the numerator stated:
 *   - whole process: the distinct rows written ÷ the CPU of all three processes from the system's
 *     process start to the last row (start-up included, like a job run from scratch); wall: rows ÷
 *     (last row − process start);
 *   - steady state: the rows written after the first row's millisecond ÷ the CPU of all three from
 *     the first row to the last (start-up, and the first batch, excluded); wall likewise.
 * Every run's rows are checked: exactly the expected distinct rows in the event tables.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { type Connection, createConnection } from 'mysql2/promise';
import { migrate, seed } from '../db/migrate.ts';
import { functionBuildOptions } from '../infra/lib/function-code.ts';
import { demoStream } from '../scripts/local/demo-stream.ts';
import { createProducer, ensureTopics } from '../scripts/local/kafka-admin.ts';
import { type DbTlsVariables, findServices } from '../scripts/services/find-services.ts';
import { DOMAIN_NAMES } from '../shared/domains/registry.ts';
import { EVENT_DOMAIN_HEADER } from '../shared/events/business-event.ts';
import { type CpuMs, cpuSum, type Measured, measure } from './measure.ts';

/**
 * The systems compared. `project, event tables only` is the project doing the Flink job's work: its
 * processors' state rows dropped (bench/consumer.ts, BENCH_EVENT_ROWS_ONLY), the event tables and
 * dead letters still written exactly once (existence check, one transaction a batch).
 */
export type System = 'project' | 'project, event tables only' | 'project, one shared topic' | 'flink';

export interface CompareRun extends Measured {
  system: System;
  round: number;
  /** Records published (valid events, duplicates, malformed). */
  records: number;
}

export interface CompareOptions {
  root: string;
  events: number;
  rounds: number;
  systems: System[];
  log: (line: string) => void;
  seed?: number;
}

const sum = cpuSum;

/** The JVM and Maven the Flink baseline needs, or why it cannot run here. */
export function flinkUnavailable(): string | undefined {
  for (const tool of ['java', 'javac', 'mvn']) {
    try {
      execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    } catch {
      return `${tool} is not installed (the Flink baseline needs Java 17+ and Maven)`;
    }
  }
  return undefined;
}

export async function benchCompare(options: CompareOptions): Promise<CompareRun[]> {
  const { root, events, rounds, systems, log } = options;
  const servicesDir = process.env.LRT_SERVICES_DIR ?? join(root, '.services');
  const services = await findServices();
  const { db, kafkaBrokers, dbTls } = services.endpoints;
  const id = Date.now().toString(36);
  const admin = await createConnection({ ...db, supportBigNumbers: true, bigNumberStrings: true });
  const runs: CompareRun[] = [];
  try {
    if (systems.includes('flink')) {
      log('  building the Flink baseline (scripts/flink/baseline/run.sh build)');
      execFileSync(join(root, 'scripts', 'flink', 'baseline', 'run.sh'), ['build'], { stdio: 'inherit' });
    }
    if (systems.some((system) => system !== 'flink')) await consumerBundle(root);
    // The stream, published once before anything is measured.
    const withShared = systems.includes('project, one shared topic');
    const stream = await publishDemoStream(kafkaBrokers, {
      id,
      events,
      seed: options.seed ?? 42,
      withShared,
    });
    const { topicOf, shared, failures, records, expected } = stream;
    log(
      `  published ${records} records (${expected} distinct valid events) to ${DOMAIN_NAMES.map(topicOf).join(', ')}${withShared ? ` and ${shared}` : ''}, 6 partitions each`,
    );

    for (let round = 1; round <= rounds; round++) {
      // Alternate which system goes first, so neither always follows the other.
      const order = round % 2 === 1 ? systems : [...systems].reverse();
      for (const system of order) {
        const schema = `lrt_cmp_${id}_${round}_${SCHEMA_SUFFIX[system]}`;
        await inFreshSchema(admin, schema, async () => {
          const groupOf = (domain: string) => `bench-${id}-${round}-${schema}-${domain}`;
          const dbEnv = functionDbEnv(db, dbTls, schema);
          const child =
            system === 'flink'
              ? spawn(join(root, 'scripts', 'flink', 'baseline', 'run.sh'), [], {
                  env: {
                    ...process.env,
                    ...dbEnv,
                    BENCH_BROKERS: kafkaBrokers.join(','),
                    BENCH_TOPICS: DOMAIN_NAMES.map(topicOf).join(','),
                    BENCH_GROUP: groupOf('flink'),
                  },
                  stdio: ['ignore', 'ignore', 'pipe'],
                })
              : undefined;
          // The project: one process per function, as AWS runs each function in execution
          // environments of its own (never three functions on one event loop).
          const children = child
            ? [child]
            : await Promise.all(
                DOMAIN_NAMES.map((domain) =>
                  spawnConsumer(root, {
                    ...dbEnv,
                    KAFKA_BROKERS: kafkaBrokers.join(','),
                    BENCH_DOMAINS: domain,
                    ...(system === 'project, event tables only' && { BENCH_EVENT_ROWS_ONLY: '1' }),
                    BENCH_SETTINGS: consumerSettings((d) => ({
                      topic: system === 'project, one shared topic' ? shared : topicOf(d),
                      group: groupOf(d),
                      onFailureTopic: failures,
                    })),
                  }),
                ),
              );
          const run = await measure(children, {
            admin,
            servicesDir,
            expectedRows: expected,
            timeoutMs: Math.max(120_000, events * 5),
          });
          const result: CompareRun = { system, round, records, ...run };
          runs.push(result);
          log(`  ${describe(result)}`);
        });
      }
    }
  } finally {
    await admin.end();
    await services.stop();
  }
  return runs;
}

const SCHEMA_SUFFIX: Record<System, string> = {
  project: 'p',
  'project, event tables only': 'e',
  'project, one shared topic': 's',
  flink: 'f',
};

/** `work` against a fresh schema (migrations and the dimension seed applied), dropped afterwards. */
export async function inFreshSchema<T>(
  admin: Connection,
  schema: string,
  work: () => Promise<T>,
): Promise<T> {
  await admin.query(`CREATE DATABASE ${schema} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  try {
    await admin.changeUser({ database: schema });
    await migrate(admin);
    await seed(admin);
    return await work();
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS ${schema}`);
  }
}

/** The functions' database variables for `schema` (docs/architecture.md, contract 5). */
export function functionDbEnv(
  db: { host: string; port: number; user: string; password: string },
  dbTls: DbTlsVariables,
  schema: string,
): Record<string, string> {
  return {
    DB_HOST: db.host,
    DB_PORT: String(db.port),
    DB_USER: db.user,
    DB_PASSWORD: db.password,
    DB_NAME: schema,
    ...dbTls,
  };
}

export interface PublishedStream {
  topicOf(domain: string): string;
  shared: string;
  failures: string;
  records: number;
  /** Distinct valid events: the rows the event tables must hold. */
  expected: number;
}

/** The demo stream's topics (created if missing): a topic per domain (and one shared), 6 partitions each. */
export async function createDemoTopics(
  brokers: string[],
  options: { id: string; withShared: boolean },
): Promise<Pick<PublishedStream, 'topicOf' | 'shared' | 'failures'>> {
  const { id, withShared } = options;
  const topicOf = (domain: string) => `bench-${id}-${domain}`;
  const shared = `bench-${id}-shared`;
  const failures = `bench-${id}-failures`;
  await ensureTopics(brokers, [
    ...DOMAIN_NAMES.map((d) => ({ name: topicOf(d), partitions: 6 })),
    ...(withShared ? [{ name: shared, partitions: 6 }] : []),
    { name: failures, partitions: 1 },
  ]);
  return { topicOf, shared, failures };
}

/** The distinct valid events of the stream publishDemoStream sends with these options. */
export function expectedDemoEvents(options: { id: string; events: number; seed: number }): number {
  const expected = new Set<string>();
  for (const r of demoStream({ events: options.events, runId: `b${options.id}`, seed: options.seed })) {
    if (r.expect === 'event') expected.add(r.eventId!);
  }
  return expected.size;
}

/** The demo stream, published once to its topics (createDemoTopics). */
export async function publishDemoStream(
  brokers: string[],
  options: { id: string; events: number; seed: number; withShared: boolean },
): Promise<PublishedStream> {
  const { id, withShared } = options;
  const { topicOf, shared, failures } = await createDemoTopics(brokers, options);
  const producer = createProducer(brokers, 'lrt-bench-producer');
  const expected = new Set<string>();
  let records = 0;
  let chunk: Array<{ key: string; value: string | Buffer; domain: string }> = [];
  const flush = async () => {
    const messages = chunk.flatMap((r) => {
      const headers = { [EVENT_DOMAIN_HEADER]: r.domain };
      const one = { key: r.key, value: r.value, headers };
      return [{ ...one, topic: topicOf(r.domain) }, ...(withShared ? [{ ...one, topic: shared }] : [])];
    });
    if (messages.length) await producer.send({ messages });
    chunk = [];
  };
  for (const r of demoStream({ events: options.events, runId: `b${id}`, seed: options.seed })) {
    records++;
    if (r.expect === 'event') expected.add(r.eventId!);
    chunk.push(r);
    if (chunk.length >= 1_000) await flush();
  }
  await flush();
  await producer.close();
  return { topicOf, shared, failures, records, expected: expected.size };
}

/** BENCH_SETTINGS for bench/consumer.ts: per domain its topic, consumer group and on-failure topic. */
export function consumerSettings(
  of: (domain: string) => { topic: string; group: string; onFailureTopic: string },
): string {
  return JSON.stringify(Object.fromEntries(DOMAIN_NAMES.map((d) => [d, of(d)])));
}

let consumerBuilt: Promise<string> | undefined;

/**
 * bench/consumer.ts bundled as the functions are (the functions' esbuild options,
 * infra/lib/function-code.ts), built once per bench process: a measured process starts from a
 * bundle, as a function in AWS and the Flink job's jar do, not by compiling the sources'
 * TypeScript as it loads them (1.5 CPU-s to start a process here, against 1.0 from the bundle).
 */
export function consumerBundle(root: string): Promise<string> {
  consumerBuilt ??= (async () => {
    const outdir = join(root, '.local', 'bench-consumer');
    const options = functionBuildOptions('user', outdir);
    const { index: _, ...decoders } = options.entryPoints as Record<string, string>;
    await build({
      ...options,
      entryPoints: { ...decoders, consumer: join(root, 'bench', 'consumer.ts') },
      sourcemap: false,
      // The Kafka client reads a .wasm file beside its own modules: loaded from node_modules.
      external: ['@platformatic/*'],
    });
    return join(outdir, 'consumer.mjs');
  })();
  return consumerBuilt;
}

/** bench/consumer.ts as a process of its own, its functions' log lines in .local/logs. */
export async function spawnConsumer(root: string, env: Record<string, string>): Promise<ChildProcess> {
  const logDir = join(root, '.local', 'logs');
  mkdirSync(logDir, { recursive: true });
  return spawn(process.execPath, [await consumerBundle(root)], {
    env: { ...process.env, BENCH_LOG: join(logDir, 'bench-consumer.log'), ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
}

export function describe(r: CompareRun): string {
  const s = (ms: number | undefined) => (ms === undefined ? 'n/a' : (ms / 1_000).toFixed(1));
  const cpu = (c: CpuMs) => `${s(c.process)} / ${s(c.mysql)} / ${s(c.kafka)}`;
  return (
    `${r.system.padEnd(25)} round ${r.round}: ${r.rows}/${r.expectedRows} rows; whole process ` +
    `${r.whole.rowsPerCpuSecond.toFixed(0)} rows per CPU-s, ${r.whole.rowsPerSecond.toFixed(0)} rows/s ` +
    `(CPU-s process/MySQL/Kafka ${cpu(r.wholeCpuMs)}, last row at ${s(r.lastRowMs)} s); steady state ` +
    `${r.steady.rowsPerCpuSecond.toFixed(0)} rows per CPU-s, ${r.steady.rowsPerSecond.toFixed(0)} rows/s ` +
    `(first row at ${s(r.firstRowMs)} s, start-up CPU-s ${s(sum(r.startupCpuMs))})`
  );
}

/** Median (the mean of the middle two for an even count), min and max of one figure. */
export interface Figure {
  median: number;
  min: number;
  max: number;
}
export function figure(values: number[]): Figure {
  const v = [...values].sort((a, b) => a - b);
  const mid = Math.floor(v.length / 2);
  const median = v.length === 0 ? Number.NaN : v.length % 2 ? v[mid]! : (v[mid - 1]! + v[mid]!) / 2;
  return { median, min: v[0] ?? Number.NaN, max: v.at(-1) ?? Number.NaN };
}

/** Each figure of a system's runs, its own median (not the figures of one chosen run). */
export interface CompareSummary {
  system: System;
  runs: number;
  rows: number;
  whole: {
    rowsPerCpuSecond: Figure;
    rowsPerSecond: Figure;
    cpuSeconds: { process: Figure; mysql: Figure; kafka: Figure };
  };
  steady: {
    rowsPerCpuSecond: Figure;
    rowsPerSecond: Figure;
    cpuSeconds: { process: Figure; mysql: Figure; kafka: Figure };
  };
  startupCpuSeconds: Figure;
  firstRowSeconds: Figure;
  lastRowSeconds: Figure;
}

export function summarize(runs: CompareRun[]): CompareSummary[] {
  const systems = [...new Set(runs.map((r) => r.system))];
  return systems.map((system) => {
    const mine = runs.filter((r) => r.system === system);
    const cpu = (pick: (r: CompareRun) => CpuMs) => ({
      process: figure(mine.map((r) => pick(r).process / 1_000)),
      mysql: figure(mine.flatMap((r) => (pick(r).mysql === undefined ? [] : [pick(r).mysql! / 1_000]))),
      kafka: figure(mine.flatMap((r) => (pick(r).kafka === undefined ? [] : [pick(r).kafka! / 1_000]))),
    });
    return {
      system,
      runs: mine.length,
      rows: mine[0]?.rows ?? 0,
      whole: {
        rowsPerCpuSecond: figure(mine.map((r) => r.whole.rowsPerCpuSecond)),
        rowsPerSecond: figure(mine.map((r) => r.whole.rowsPerSecond)),
        cpuSeconds: cpu((r) => r.wholeCpuMs),
      },
      steady: {
        rowsPerCpuSecond: figure(mine.map((r) => r.steady.rowsPerCpuSecond)),
        rowsPerSecond: figure(mine.map((r) => r.steady.rowsPerSecond)),
        cpuSeconds: cpu((r) => r.steadyCpuMs),
      },
      startupCpuSeconds: figure(mine.map((r) => sum(r.startupCpuMs) / 1_000)),
      firstRowSeconds: figure(mine.map((r) => r.firstRowMs / 1_000)),
      lastRowSeconds: figure(mine.map((r) => r.lastRowMs / 1_000)),
    };
  });
}
