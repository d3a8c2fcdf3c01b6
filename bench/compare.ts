/**
 * The pipeline beside the Flink job it replaces, measured the same way in the same run.
 *
 * The bench's own producer publishes the demo stream once (seed 42; valid events, duplicates and
 * malformed records) to a topic per domain, 6 partitions each (and, for the shared topology, to one
 * topic). Then, interleaved, each system runs as a process started from scratch against a fresh
 * schema (migrations and dimension seed applied before it starts), reading the topics from the
 * beginning with new consumer groups, until the database holds every expected row:
 *   - the project: bench/consumer.ts — the three functions behind the local event source mapping at
 *     prod settings (batch 500, 1 s window);
 *   - Flink: scripts/flink/baseline — a Flink 1.20 DataStream job on a local MiniCluster at
 *     parallelism 1, Kafka source → per-type mapping → JDBC sink (1,000-row batches, 200 ms,
 *     rewriteBatchedStatements=true, upsert by event_id); event tables only.
 *
 * CPU is read from /proc every 50 ms for the system's process and for MySQL and Kafka (their pid
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
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createConnection } from 'mysql2/promise';
import { migrate, seed } from '../db/migrate.ts';
import { demoStream } from '../scripts/local/demo-stream.ts';
import { createProducer, ensureTopics } from '../scripts/local/kafka-admin.ts';
import { findServices } from '../scripts/services/find-services.ts';
import { DOMAIN_NAMES } from '../shared/domains/registry.ts';
import { EVENT_DOMAIN_HEADER } from '../shared/events/business-event.ts';

export type System = 'project' | 'project, one shared topic' | 'flink';
const EVENT_TABLES = ['user_event_wide', 'order_event_wide', 'product_event_wide'] as const;

export interface CpuMs {
  process: number;
  mysql: number | undefined;
  kafka: number | undefined;
}

export interface CompareRun {
  system: System;
  round: number;
  /** Records published (valid events, duplicates, malformed). */
  records: number;
  /** Distinct rows found in the event tables: must equal `expectedRows`. */
  rows: number;
  expectedRows: number;
  /** Rows written after the first row's millisecond: the steady-state numerator. */
  steadyRows: number;
  /** ms from the process start to the first row, and to the last row. */
  firstRowMs: number;
  lastRowMs: number;
  /** CPU ms from the process start to the first row (start-up and the first batch). */
  startupCpuMs: CpuMs;
  /** CPU ms from the process start to the last row. */
  wholeCpuMs: CpuMs;
  /** CPU ms from the first row to the last. */
  steadyCpuMs: CpuMs;
  whole: { rowsPerCpuSecond: number; rowsPerSecond: number };
  steady: { rowsPerCpuSecond: number; rowsPerSecond: number };
}

export interface CompareOptions {
  root: string;
  events: number;
  rounds: number;
  systems: System[];
  log: (line: string) => void;
  seed?: number;
}

const sum = (c: CpuMs) => c.process + (c.mysql ?? 0) + (c.kafka ?? 0);

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
  const logDir = join(root, '.local', 'logs');
  mkdirSync(logDir, { recursive: true });
  const admin = await createConnection({ ...db, supportBigNumbers: true, bigNumberStrings: true });
  const runs: CompareRun[] = [];
  try {
    if (systems.includes('flink')) {
      log('  building the Flink baseline (scripts/flink/baseline/run.sh build)');
      execFileSync(join(root, 'scripts', 'flink', 'baseline', 'run.sh'), ['build'], { stdio: 'inherit' });
    }
    // The stream, published once before anything is measured.
    const topicOf = (domain: string) => `bench-${id}-${domain}`;
    const shared = `bench-${id}-shared`;
    const failures = `bench-${id}-failures`;
    const withShared = systems.includes('project, one shared topic');
    await ensureTopics(kafkaBrokers, [
      ...DOMAIN_NAMES.map((d) => ({ name: topicOf(d), partitions: 6 })),
      ...(withShared ? [{ name: shared, partitions: 6 }] : []),
      { name: failures, partitions: 1 },
    ]);
    const producer = createProducer(kafkaBrokers, 'lrt-bench-producer');
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
    for (const r of demoStream({ events, runId: `b${id}`, seed: options.seed ?? 42 })) {
      records++;
      if (r.expect === 'event') expected.add(r.eventId!);
      chunk.push(r);
      if (chunk.length >= 1_000) await flush();
    }
    await flush();
    await producer.close();
    log(
      `  published ${records} records (${expected.size} distinct valid events) to ${DOMAIN_NAMES.map(topicOf).join(', ')}${withShared ? ` and ${shared}` : ''}, 6 partitions each`,
    );

    for (let round = 1; round <= rounds; round++) {
      // Alternate which system goes first, so neither always follows the other.
      const order = round % 2 === 1 ? systems : [...systems].reverse();
      for (const system of order) {
        const schema = `lrt_cmp_${id}_${round}_${system === 'flink' ? 'f' : system === 'project' ? 'p' : 's'}`;
        await admin.query(`CREATE DATABASE ${schema} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
        try {
          await admin.changeUser({ database: schema });
          await migrate(admin);
          await seed(admin);
          const groupOf = (domain: string) => `bench-${id}-${round}-${schema}-${domain}`;
          const dbEnv = {
            DB_HOST: db.host,
            DB_PORT: String(db.port),
            DB_USER: db.user,
            DB_PASSWORD: db.password,
            DB_NAME: schema,
            ...dbTls,
          };
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
              : spawn(process.execPath, [join(root, 'bench', 'consumer.ts')], {
                  env: {
                    ...process.env,
                    ...dbEnv,
                    KAFKA_BROKERS: kafkaBrokers.join(','),
                    BENCH_LOG: join(logDir, 'bench-consumer.log'),
                    BENCH_SETTINGS: JSON.stringify(
                      Object.fromEntries(
                        DOMAIN_NAMES.map((d) => [
                          d,
                          {
                            topic: system === 'project' ? topicOf(d) : shared,
                            group: groupOf(d),
                            onFailureTopic: failures,
                          },
                        ]),
                      ),
                    ),
                  },
                  stdio: ['ignore', 'ignore', 'pipe'],
                });
          const run = await measure(child, {
            admin,
            servicesDir,
            expectedRows: expected.size,
            timeoutMs: Math.max(120_000, events * 5),
          });
          const result: CompareRun = { system, round, records, ...run };
          runs.push(result);
          log(`  ${describe(result)}`);
        } finally {
          await admin.query(`DROP DATABASE IF EXISTS ${schema}`);
        }
      }
    }
  } finally {
    await admin.end();
    await services.stop();
  }
  return runs;
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

interface Sample {
  at: number;
  process: number;
  mysql: number | undefined;
  kafka: number | undefined;
}

const TICKS_PER_SECOND = 100;
function cpuOfPid(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return ((Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND) * 1_000;
  } catch {
    return undefined;
  }
}
function pidOf(file: string): number | undefined {
  try {
    return Number(readFileSync(file, 'utf8').trim());
  } catch {
    return undefined;
  }
}

/** Runs `child` until the event tables hold `expectedRows`, sampling CPU; then stops it. */
async function measure(
  child: ChildProcess,
  options: {
    admin: Awaited<ReturnType<typeof createConnection>>;
    servicesDir: string;
    expectedRows: number;
    timeoutMs: number;
  },
): Promise<Omit<CompareRun, 'system' | 'round' | 'records'>> {
  const { admin, expectedRows } = options;
  const started = Date.now();
  const mysqlPid = pidOf(join(options.servicesDir, 'mysql', 'pid'));
  const kafkaPid = pidOf(join(options.servicesDir, 'kafka', 'pid'));
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4_000);
  });
  let exited = false;
  const exit = new Promise<void>((resolve) =>
    child.on('exit', () => {
      exited = true;
      resolve();
    }),
  );
  const sample = (): Sample => ({
    at: Date.now(),
    process: cpuOfPid(child.pid) ?? Number.NaN,
    mysql: cpuOfPid(mysqlPid),
    kafka: cpuOfPid(kafkaPid),
  });
  const samples: Sample[] = [];
  const at0 = sample();
  samples.push({ ...at0, at: started, process: 0 });
  const timer = setInterval(() => {
    const s = sample();
    if (Number.isFinite(s.process)) samples.push(s);
  }, 50);
  const count = async () => {
    const [[row]] = (await admin.query(
      `SELECT ${EVENT_TABLES.map((t) => `(SELECT COUNT(*) FROM ${t})`).join(' + ')} AS n`,
    )) as unknown as [[{ n: string }]];
    return Number(row.n);
  };
  try {
    let countedAt = 0;
    for (;;) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      if (exited) throw new Error(`the process exited before writing every row:\n${stderr}`);
      if (Date.now() - started > options.timeoutMs) {
        throw new Error(`not every row after ${options.timeoutMs / 1_000} s:\n${stderr}`);
      }
      // Counting costs the database work that would be timed with the system: count when its
      // process has gone quiet (under a quarter of a core over the last half second), else every 5 s.
      const recent = samples.at(-1)!;
      const before = [...samples].reverse().find((s) => recent.at - s.at >= 500);
      const busy = before ? (recent.process - before.process) / (recent.at - before.at) : 1;
      if (busy > 0.25 && Date.now() - countedAt < 5_000) continue;
      countedAt = Date.now();
      if ((await count()) >= expectedRows) break;
    }
  } finally {
    clearInterval(timer);
  }
  const [times] = (await admin.query(
    `SELECT MIN(t) AS first, MAX(t) AS last FROM (${EVENT_TABLES.map(
      (t) => `SELECT UNIX_TIMESTAMP(MIN(processed_at)) * 1000 AS t FROM ${t}
              UNION ALL SELECT UNIX_TIMESTAMP(MAX(processed_at)) * 1000 FROM ${t}`,
    ).join(' UNION ALL ')}) x`,
  )) as unknown as [[{ first: string; last: string }]];
  const first = Number(times[0].first);
  const last = Number(times[0].last);
  const [[distinct]] = (await admin.query(
    `SELECT ${EVENT_TABLES.map((t) => `(SELECT COUNT(*) FROM ${t})`).join(' + ')} AS n,
            ${EVENT_TABLES.map((t) => `(SELECT COUNT(*) FROM ${t} WHERE processed_at > FROM_UNIXTIME(? / 1000))`).join(' + ')} AS after`,
    EVENT_TABLES.map(() => first),
  )) as unknown as [[{ n: string; after: string }]];
  child.kill('SIGTERM');
  const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exit;
  clearTimeout(killer);

  const rows = Number(distinct.n);
  if (rows !== expectedRows) throw new Error(`${rows} rows in the event tables, expected ${expectedRows}`);
  const steadyRows = Number(distinct.after);
  const cpuAt = (t: number): CpuMs => {
    const i = samples.findIndex((s) => s.at >= t);
    const b = samples[i === -1 ? samples.length - 1 : i]!;
    const a = samples[Math.max(0, (i === -1 ? samples.length : i) - 1)]!;
    const f = b.at === a.at ? 1 : Math.min(1, Math.max(0, (t - a.at) / (b.at - a.at)));
    const lerp = (x: number | undefined, y: number | undefined) =>
      x === undefined || y === undefined ? undefined : x + (y - x) * f;
    return {
      process: lerp(a.process, b.process)!,
      mysql: lerp(a.mysql, b.mysql),
      kafka: lerp(a.kafka, b.kafka),
    };
  };
  const diff = (x: CpuMs, y: CpuMs): CpuMs => ({
    process: x.process - y.process,
    mysql: x.mysql === undefined || y.mysql === undefined ? undefined : x.mysql - y.mysql,
    kafka: x.kafka === undefined || y.kafka === undefined ? undefined : x.kafka - y.kafka,
  });
  const base = samples[0]!;
  const atFirst = cpuAt(first);
  const atLast = cpuAt(last);
  const wholeCpuMs = diff(atLast, base);
  const steadyCpuMs = diff(atLast, atFirst);
  return {
    rows,
    expectedRows,
    steadyRows,
    firstRowMs: first - started,
    lastRowMs: last - started,
    startupCpuMs: diff(atFirst, base),
    wholeCpuMs,
    steadyCpuMs,
    whole: {
      rowsPerCpuSecond: rows / (sum(wholeCpuMs) / 1_000),
      rowsPerSecond: rows / ((last - started) / 1_000),
    },
    steady: {
      rowsPerCpuSecond: steadyRows / (sum(steadyCpuMs) / 1_000),
      rowsPerSecond: steadyRows / Math.max(0.001, (last - first) / 1_000),
    },
  };
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
