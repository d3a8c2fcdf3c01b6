/**
 * How a pipeline run is measured from outside (bench/compare.ts, bench/scaling.ts): the system's
 * processes run until the event tables hold every expected row; CPU is read from /proc every 50 ms
 * for those processes and for MySQL and Kafka (their pid files), and interpolated at the moments the
 * rows' own `processed_at` gives: the first row and the last. Two accountings, the numerator stated:
 *   - whole process: the distinct rows written ÷ the CPU of all processes from the start to the
 *     last row (start-up included, like a job run from scratch); wall: rows ÷ (last row − start);
 *   - steady state: the rows written after the first row's millisecond ÷ the CPU of all from the
 *     first row to the last (start-up, and the first batch, excluded); wall likewise.
 * The database's open connections (SHOW STATUS Threads_connected) are sampled beside the rows.
 */
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Connection } from 'mysql2/promise';

export const EVENT_TABLES = ['user_event_wide', 'order_event_wide', 'product_event_wide'] as const;

export interface CpuMs {
  /** The system's processes together. */
  process: number;
  mysql: number | undefined;
  kafka: number | undefined;
}

export const cpuSum = (c: CpuMs) => c.process + (c.mysql ?? 0) + (c.kafka ?? 0);

export interface Measured {
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
  /** The most connections the server had open at one sample (Threads_connected), the bench's own included. */
  peakConnections: number;
}

export interface MeasureOptions {
  admin: Connection;
  servicesDir: string;
  expectedRows: number;
  timeoutMs: number;
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

/**
 * Runs `children` (started together) until the event tables hold `expectedRows`, sampling CPU and
 * open connections; then stops them.
 */
export async function measure(children: ChildProcess[], options: MeasureOptions): Promise<Measured> {
  const { admin, expectedRows } = options;
  const started = Date.now();
  const mysqlPid = pidOf(join(options.servicesDir, 'mysql', 'pid'));
  const kafkaPid = pidOf(join(options.servicesDir, 'kafka', 'pid'));
  let stderr = '';
  let exited = false;
  const exits = children.map((child) => {
    child.stderr?.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-4_000);
    });
    return new Promise<void>((resolve) =>
      child.on('exit', () => {
        exited = true;
        resolve();
      }),
    );
  });
  const processCpu = () => {
    let total = 0;
    for (const child of children) total += cpuOfPid(child.pid) ?? Number.NaN;
    return total;
  };
  const sample = (): Sample => ({
    at: Date.now(),
    process: processCpu(),
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
  let peakConnections = 0;
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
      if (busy > 0.25 && Date.now() - countedAt < 5_000) {
        peakConnections = Math.max(peakConnections, await threadsConnected(admin));
        continue;
      }
      countedAt = Date.now();
      peakConnections = Math.max(peakConnections, await threadsConnected(admin));
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
  for (const child of children) child.kill('SIGTERM');
  const killer = setTimeout(() => {
    for (const child of children) child.kill('SIGKILL');
  }, 10_000);
  await Promise.all(exits);
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
      rowsPerCpuSecond: rows / (cpuSum(wholeCpuMs) / 1_000),
      rowsPerSecond: rows / ((last - started) / 1_000),
    },
    steady: {
      rowsPerCpuSecond: steadyRows / (cpuSum(steadyCpuMs) / 1_000),
      rowsPerSecond: steadyRows / Math.max(0.001, (last - first) / 1_000),
    },
    peakConnections,
  };
}

/** Connections the server has open now (SHOW STATUS Threads_connected; the bench's own included). */
async function threadsConnected(admin: Connection): Promise<number> {
  const [rows] = (await admin.query("SHOW GLOBAL STATUS LIKE 'Threads_connected'")) as unknown as [
    Array<{ Value: string }>,
  ];
  return Number(rows[0]?.Value ?? 0);
}
