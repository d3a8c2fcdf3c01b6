/**
 * What AWS bills: in Lambda a function pays for its wait on MySQL, which on the loopback interface
 * is nearly free. This mode puts a TCP proxy that holds every chunk `delayMs` in each direction
 * (test/support/tcp-proxy.ts, the reliability suite's) between the handler and MySQL, and measures
 * per function and batch size, warm, beside the same handler connected directly in the same rounds:
 *   - the handler's duration, and the billed duration per 1,000 events (each invocation rounded up
 *     to the next millisecond, as Lambda bills: https://aws.amazon.com/lambda/pricing/);
 *   - the statements a batch sends (every statement through the pool, START TRANSACTION and COMMIT
 *     included), and its round trips to MySQL, which the delay multiplies (a transaction's
 *     statements travel in one: shared/sink/database.ts, commitAll);
 *   - the cost per million events: GB-s at the functions' memory, requests, and the provisioned
 *     pollers' EPU-hours at full use of a poller (its 5 concurrent invocations or 5 MB/s, whichever
 *     binds first: https://docs.aws.amazon.com/lambda/latest/dg/kafka-scaling-modes.html).
 * The round trip the proxy adds is measured too (Node's timers round a 0.5 ms hold up to 1 ms).
 */
import type { Connection } from 'mysql2/promise';
import { createConnection } from 'mysql2/promise';
import { createDimensionCaches } from '../shared/dimensions/dimension.ts';
import { DIMENSIONS, DOMAINS } from '../shared/domains/registry.ts';
import type { Domain } from '../shared/pipeline/domain.ts';
import type { KafkaEvent } from '../shared/pipeline/lambda-event.ts';
import type { Runtime } from '../shared/runtime/create-handler.ts';
import { StaticCredentials } from '../shared/sink/credentials.ts';
import { Database, type DbTls } from '../shared/sink/database.ts';
import { eventDeadLetter } from '../shared/sink/dead-letter.ts';
import { MySqlSink } from '../shared/sink/sink.ts';
import type { Table } from '../shared/tables/table.ts';
import { TcpProxy } from '../test/support/tcp-proxy.ts';
import { domainEvents, invoke, type Spread, spread } from './handler.ts';

/**
 * Prices assumed, US East (N. Virginia), Arm (the functions' architecture, infra/lib/domain-function.ts),
 * first duration tier: https://aws.amazon.com/lambda/pricing/. The EPU-hour price (provisioned mode
 * for Kafka event source mappings, the same page) is stated here, not read from the page in the run:
 * `--epu-hour-usd` replaces it.
 */
export const BILLING_PRICES = { perGbSecond: 0.0000133334, perMillionRequests: 0.2, perEpuHour: 0.185 };

/** A provisioned poller: up to 5 concurrent invocations or 5 MB/s (kafka-scaling-modes.html). */
const POLLER = { concurrentInvocations: 5, bytesPerSecond: 5 * 1024 * 1024 };

export interface BillingFigures {
  function: string;
  batch: number;
  network: 'direct' | 'delayed';
  /** Handler duration per batch (ms). */
  batchMs: Spread;
  /** Sum of the invocations' durations, each rounded up to 1 ms, per 1,000 events. */
  billedMsPer1k: Spread;
  /**
   * Process CPU per 1,000 events (ms): the part of the bill that is not waiting. The proxy relays in
   * this process, so only the direct path's figure is the handler's alone.
   */
  cpuMsPer1k: Spread;
  statementsPerBatch: number;
  roundTripsPerBatch: number;
  /** Events per second one provisioned poller carries at this duration (5 invocations or 5 MB/s). */
  pollerEventsPerSecond: number;
  usdPerMillion: { duration: number; requests: number; pollers: number; total: number };
}

export interface BillingOptions {
  conn: Connection;
  env: Record<string, string>;
  db: { host: string; port: number; user: string; password: string; database: string };
  tls: DbTls | undefined;
  delayMs: number;
  memoryMiB: number;
  batches: readonly number[];
  rounds: number;
  epuHourUsd: number;
  log: (line: string) => void;
}

export interface BillingResult {
  delayMs: number;
  /** Median round trip (ms) of a ping, direct and through the proxy. */
  roundTripMs: { direct: number; delayed: number };
  memoryMiB: number;
  prices: typeof BILLING_PRICES;
  figures: BillingFigures[];
}

export async function benchBilling(options: BillingOptions): Promise<BillingResult> {
  const proxy = new TcpProxy({ host: options.db.host, port: options.db.port });
  await proxy.up();
  proxy.latencyMs = options.delayMs;
  try {
    const roundTripMs = {
      direct: await pingMs(options, options.db.port),
      delayed: await pingMs(options, proxy.port),
    };
    options.log(
      `  ping round trip: direct ${roundTripMs.direct.toFixed(2)} ms, through the proxy ${roundTripMs.delayed.toFixed(2)} ms (${options.delayMs} ms asked each way)`,
    );
    const figures: BillingFigures[] = [];
    for (const domain of DOMAINS) {
      for (const batch of options.batches) {
        figures.push(...(await measureBatch(options, domain, batch, proxy.port)));
      }
    }
    return {
      delayMs: options.delayMs,
      roundTripMs,
      memoryMiB: options.memoryMiB,
      prices: { ...BILLING_PRICES, perEpuHour: options.epuHourUsd },
      figures,
    };
  } finally {
    await proxy.down();
  }
}

async function pingMs(options: BillingOptions, port: number): Promise<number> {
  const { tls } = options;
  const conn = await createConnection({
    ...options.db,
    host: port === options.db.port ? options.db.host : '127.0.0.1',
    port,
    ...(tls && tls !== 'off' && tls !== 'rds' ? { ssl: { ca: tls.ca } } : {}),
  });
  const times: number[] = [];
  for (let i = 0; i < 30; i++) {
    const t0 = performance.now();
    await conn.query('SELECT 1');
    times.push(performance.now() - t0);
  }
  await conn.end();
  return spread(times).median;
}

/** One domain and batch size: direct and delayed alternate round by round, each on a warm runtime. */
async function measureBatch(
  options: BillingOptions,
  domain: Domain,
  batch: number,
  proxyPort: number,
): Promise<BillingFigures[]> {
  const tables = [...domain.tables, eventDeadLetter as unknown as Table];
  const empty = async () => {
    for (const table of tables) await options.conn.query(`DELETE FROM ${table.name}`);
  };
  const networks = [
    { network: 'direct' as const, host: options.db.host, port: options.db.port },
    { network: 'delayed' as const, host: '127.0.0.1', port: proxyPort },
  ];
  const runs = networks.map((n) => ({
    ...n,
    ms: [] as number[],
    cpu: [] as number[],
    statements: 0,
    roundTrips: 0,
  }));
  const runtimes = runs.map((run) =>
    billingRuntime(options, run.host, run.port, {
      onStatement: () => void run.statements++,
      onRoundTrip: () => void run.roundTrips++,
    }),
  );
  let eventBytes = 0;
  try {
    for (const [i, runtime] of runtimes.entries()) {
      await invoke(domain, runtime, domainEvents(domain, batch, `bill-warm-${batch}-${i}`), options.env);
    }
    for (let round = 0; round < options.rounds; round++) {
      for (const [i, run] of runs.entries()) {
        const event = domainEvents(domain, batch, `bill-${batch}-${round}-${run.network}`);
        eventBytes = kafkaBytes(event);
        await empty();
        run.statements = 0;
        run.roundTrips = 0;
        const cpu0 = process.cpuUsage();
        const t0 = performance.now();
        await invoke(domain, runtimes[i]!, event, options.env);
        run.ms.push(performance.now() - t0);
        const used = process.cpuUsage(cpu0);
        run.cpu.push(((used.user + used.system) / 1_000 / batch) * 1_000);
      }
    }
  } finally {
    for (const runtime of runtimes) await runtime.database.close();
    await empty();
  }
  return runs.map((run) => {
    const figure = billingFigure(options, domain.name, batch, run, eventBytes);
    options.log(
      `  ${domain.name.padEnd(8)} batch ${String(batch).padStart(6)} ${run.network.padEnd(7)}  ${figure.batchMs.median.toFixed(1).padStart(7)} ms/batch  billed ${figure.billedMsPer1k.median.toFixed(1).padStart(6)} ms/1k events  ${figure.statementsPerBatch} statements in ${figure.roundTripsPerBatch} round trips  $${figure.usdPerMillion.total.toFixed(4)}/M events`,
    );
    return figure;
  });
}

function billingRuntime(
  options: BillingOptions,
  host: string,
  port: number,
  counters: { onStatement: () => void; onRoundTrip: () => void },
): Runtime {
  const database = new Database({
    credentials: new StaticCredentials({ ...options.db, host, port }),
    ...(options.tls ? { tls: options.tls } : {}),
    ...counters,
  });
  return {
    database,
    dimensions: createDimensionCaches(database, DIMENSIONS, {}),
    sink: new MySqlSink(database),
  };
}

/** The bytes a poller fetches for the batch: keys and values (base64 in the event). */
function kafkaBytes(event: KafkaEvent): number {
  let bytes = 0;
  for (const records of Object.values(event.records)) {
    for (const r of records) bytes += ((r.key?.length ?? 0) + (r.value?.length ?? 0)) * 0.75;
  }
  return bytes;
}

function billingFigure(
  options: BillingOptions,
  name: string,
  batch: number,
  run: {
    network: 'direct' | 'delayed';
    ms: number[];
    cpu: number[];
    statements: number;
    roundTrips: number;
  },
  eventBytes: number,
): BillingFigures {
  const batchMs = spread(run.ms);
  const billedMsPer1k = spread(run.ms.map((ms) => (Math.ceil(ms) * 1_000) / batch));
  const invocations = 1_000_000 / batch;
  const gbSeconds = (billedMsPer1k.median / 1_000) * 1_000 * (options.memoryMiB / 1024);
  // A fully used poller: 5 invocations at a time, or 5 MB/s of records, whichever binds first.
  const byInvocations = (POLLER.concurrentInvocations * batch * 1_000) / batchMs.median;
  const byBytes = (POLLER.bytesPerSecond / Math.max(1, eventBytes)) * batch;
  const pollerEventsPerSecond = Math.min(byInvocations, byBytes);
  const duration = gbSeconds * BILLING_PRICES.perGbSecond;
  const requests = (invocations / 1_000_000) * BILLING_PRICES.perMillionRequests;
  const pollers = (1_000_000 / (pollerEventsPerSecond * 3_600)) * options.epuHourUsd;
  return {
    function: name,
    batch,
    network: run.network,
    batchMs,
    billedMsPer1k,
    cpuMsPer1k: spread(run.cpu),
    statementsPerBatch: run.statements,
    roundTripsPerBatch: run.roundTrips,
    pollerEventsPerSecond,
    usdPerMillion: { duration, requests, pollers, total: duration + requests + pollers },
  };
}

/** The markdown table of the mode, direct and delayed side by side per function and batch. */
export function billingTable(result: BillingResult): string[] {
  const { prices } = result;
  const rows = result.figures.filter((f) => f.network === 'delayed');
  const direct = (f: BillingFigures) =>
    result.figures.find((d) => d.network === 'direct' && d.function === f.function && d.batch === f.batch)!;
  return [
    `Billed duration with a network delay between the function and MySQL (a TCP proxy holding every chunk ${result.delayMs} ms each way: ping ${result.roundTripMs.delayed.toFixed(2)} ms against ${result.roundTripMs.direct.toFixed(2)} ms direct), warm cache, beside the same handler connected directly in the same rounds. Cost per million events at ${result.memoryMiB} MiB, Arm, $${prices.perGbSecond}/GB-s, $${prices.perMillionRequests}/M requests (https://aws.amazon.com/lambda/pricing/), and provisioned pollers at $${prices.perEpuHour}/EPU-hour (stated, not read from the page) used fully (5 concurrent invocations or 5 MB/s each: https://docs.aws.amazon.com/lambda/latest/dg/kafka-scaling-modes.html).`,
    '',
    '| function | batch | statements (round trips) / batch | ms / batch, delayed (direct) | billed ms / 1k events, delayed (direct) | CPU ms / 1k events (direct) | events/s one poller carries | USD / M events: GB-s + requests + EPU = total (direct) |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
    ...rows.map((f) => {
      const d = direct(f);
      const u = f.usdPerMillion;
      return `| ${f.function} | ${f.batch} | ${f.statementsPerBatch} (${f.roundTripsPerBatch}) | ${f.batchMs.median.toFixed(1)} (${d.batchMs.median.toFixed(1)}) | ${f.billedMsPer1k.median.toFixed(1)} (${d.billedMsPer1k.median.toFixed(1)}) | ${d.cpuMsPer1k.median.toFixed(1)} | ${f.pollerEventsPerSecond.toFixed(0)} | ${u.duration.toFixed(4)} + ${u.requests.toFixed(4)} + ${u.pollers.toFixed(4)} = ${u.total.toFixed(4)} (${d.usdPerMillion.total.toFixed(4)}) |`;
    }),
  ];
}
