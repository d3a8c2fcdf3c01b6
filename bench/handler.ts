/**
 * Handler throughput against the real database, per function and batch size, with the dimension
 * cache warm and cold — and beside it, on the same events in the same run:
 *   - the per-record baseline: the same handler whose sink sends one upsert per row (what a JDBC
 *     sink does without statement rewriting);
 *   - the limit: the final rows, read back after the handler's run, written again with plain
 *     multi-row INSERTs into the emptied tables (the database's ceiling for that data).
 * Every figure is a median over rounds, with its spread (min–max); CPU per 1,000 events counts
 * this process (process.cpuUsage) and the MySQL server (/proc/<pid>/stat, when the server runs on
 * this machine), which is what sets Lambda's and the database's cost.
 */
import type { Connection } from 'mysql2/promise';
import { buildKafkaEvent, createLambdaContext, newLogStreamName } from '../local-esm/index.ts';
import { demoStream } from '../scripts/local/demo-stream.ts';
import { pidFileCpuMs } from '../scripts/services/process-cpu.ts';
import { DOMAINS } from '../shared/domains/registry.ts';
import type { Domain } from '../shared/pipeline/domain.ts';
import type { KafkaEvent, KafkaEventRecord } from '../shared/pipeline/lambda-event.ts';
import type { ApplyResult, BatchSink, BatchWrites } from '../shared/pipeline/ports.ts';
import { createHandler, type Runtime } from '../shared/runtime/create-handler.ts';
import type { Database } from '../shared/sink/database.ts';
import { deadLetterRow, eventDeadLetter } from '../shared/sink/dead-letter.ts';
import { MARIADB_10_11 } from '../shared/tables/dialect.ts';
import type { Row, Table } from '../shared/tables/table.ts';

export interface Spread {
  median: number;
  min: number;
  max: number;
}

export interface HandlerFigures {
  function: string;
  batch: number;
  cache: 'warm' | 'cold';
  /** Events per second (wall), and CPU ms per 1,000 events (this process; the database). */
  handler: { eventsPerSecond: Spread; cpuMsPer1k: Spread; dbCpuMsPer1k: Spread | null };
  perRecord: { eventsPerSecond: Spread };
  limit: { eventsPerSecond: Spread };
  /** Handler duration per batch (ms): what Lambda bills. */
  batchMs: Spread;
}

export function spread(values: number[]): Spread {
  const sorted = [...values].sort((a, b) => a - b);
  return { median: sorted[Math.floor(sorted.length / 2)] ?? 0, min: sorted[0] ?? 0, max: sorted.at(-1) ?? 0 };
}

/** CPU time (ms) of the MySQL server process, when it runs on this machine (its pid file). */
export async function databaseCpu(conn: Connection): Promise<(() => number) | null> {
  try {
    const [[{ file }]] = (await conn.query('SELECT @@pid_file AS file')) as unknown as [[{ file: string }]];
    if (pidFileCpuMs(file) === undefined) return null;
    return () => pidFileCpuMs(file) ?? 0;
  } catch {
    return null;
  }
}

/** Events of one domain from the demo stream (its mix of types), without the malformed ones. */
export function domainEvents(domain: Domain, count: number, runId: string): KafkaEvent {
  const records = [];
  for (const record of demoStream({ events: count * 4, runId, seed: 7 })) {
    if (record.expect !== 'event' || record.domain !== domain.name) continue;
    records.push(record);
    if (records.length === count) break;
  }
  const eventRecords = records.map(
    (r, i): KafkaEventRecord => ({
      topic: 'bench',
      partition: i % 6,
      offset: i,
      timestamp: Date.now(),
      timestampType: 'CREATE_TIME',
      key: Buffer.from(r.key).toString('base64'),
      value: Buffer.from(r.value).toString('base64'),
      headers: [],
    }),
  );
  return buildKafkaEvent({ type: 'SelfManagedKafka' }, '127.0.0.1:9092', eventRecords);
}

/** One upsert per row, in one transaction: the baseline. */
export class PerRecordSink implements BatchSink {
  readonly #db: Database;
  constructor(db: Database) {
    this.#db = db;
  }
  async apply(writes: BatchWrites): Promise<ApplyResult> {
    return this.#db.transaction(async (conn) => {
      const rows = [
        ...writes.events.flatMap((w) => [w.event, ...w.state]),
        ...writes.deadLetters.map(deadLetterRow),
      ];
      for (const { table, row } of rows) {
        await conn.query(
          // The local MariaDB's dialect: the baseline runs on the local services only.
          MARIADB_10_11.upsert(table, `(${table.written.map(() => '?').join(', ')})`),
          table.written.map((c) => row[c] ?? null),
        );
      }
      return { applied: writes.events.length, duplicates: 0, deadLettered: writes.deadLetters.length };
    });
  }
}

/** A value read back, as a parameter again (a JSON column comes back parsed). */
function asParam(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (typeof value === 'object' && !(value instanceof Date) && !Buffer.isBuffer(value))
    return JSON.stringify(value);
  return value;
}

/** The limit: rows read back from the tables, written again with plain multi-row INSERTs. */
async function limitInsert(
  conn: Connection,
  tables: readonly Table[],
  rows: Map<Table, Row[]>,
): Promise<void> {
  await conn.query('START TRANSACTION');
  for (const table of tables) {
    const list = rows.get(table) ?? [];
    for (let i = 0; i < list.length; i += 1_000) {
      const chunk = list.slice(i, i + 1_000);
      const columns = table.written;
      await conn.query(
        `INSERT INTO ${table.name} (${columns.join(', ')}) VALUES ${chunk.map(() => `(${columns.map(() => '?').join(', ')})`).join(', ')}`,
        chunk.flatMap((row) => columns.map((c) => asParam(row[c]))),
      );
    }
  }
  await conn.query('COMMIT');
}

export interface HandlerBenchOptions {
  conn: Connection;
  env: Record<string, string>;
  /** A fresh runtime (pool, cache, sink) of the schema; `perRecord` swaps its sink for the baseline. */
  runtime(perRecord: boolean): Runtime;
  batches: readonly number[];
  rounds: number;
  log: (line: string) => void;
  /** The functions measured (default: all). */
  domains?: readonly string[];
}

export async function benchHandlers(options: HandlerBenchOptions): Promise<HandlerFigures[]> {
  const { conn } = options;
  const dbCpu = await databaseCpu(conn);
  const figures: HandlerFigures[] = [];
  const tablesOf = (domain: Domain) => [...domain.tables, eventDeadLetter as unknown as Table];
  const empty = async (domain: Domain) => {
    for (const table of tablesOf(domain)) await conn.query(`DELETE FROM ${table.name}`);
  };
  for (const domain of DOMAINS.filter((d) => options.domains?.includes(d.name) ?? true)) {
    for (const batch of options.batches) {
      for (const cache of ['cold', 'warm'] as const) {
        const eps: number[] = [];
        const cpu: number[] = [];
        const dbCpuPer1k: number[] = [];
        const durations: number[] = [];
        const perRecordEps: number[] = [];
        const limitEps: number[] = [];
        // A warm cache: one runtime for every round, its caches filled by a first, untimed batch.
        let warm: Runtime | undefined;
        if (cache === 'warm') {
          warm = options.runtime(false);
          await invoke(domain, warm, domainEvents(domain, batch, `warmup-${batch}`), options.env);
        }
        for (let round = 0; round < options.rounds; round++) {
          const event = domainEvents(domain, batch, `b${batch}${cache}${round}`);
          await empty(domain);
          const runtime = warm ?? options.runtime(false);
          const cpu0 = process.cpuUsage();
          const db0 = dbCpu?.();
          const t0 = performance.now();
          await invoke(domain, runtime, event, options.env);
          const ms = performance.now() - t0;
          const used = process.cpuUsage(cpu0);
          durations.push(ms);
          eps.push((batch / ms) * 1_000);
          cpu.push(((used.user + used.system) / 1_000 / batch) * 1_000);
          if (dbCpu && db0 !== undefined) dbCpuPer1k.push(((dbCpu() - db0) / batch) * 1_000);
          if (!warm) await runtime.database.close();

          // The limit: the final rows, written again with plain INSERTs into emptied tables.
          const finalRows = new Map<Table, Row[]>();
          for (const table of tablesOf(domain)) {
            const [rows] = (await conn.query(
              `SELECT ${table.written.join(', ')} FROM ${table.name}`,
            )) as unknown as [Row[]];
            finalRows.set(table, rows);
          }
          await empty(domain);
          const t1 = performance.now();
          await limitInsert(conn, tablesOf(domain), finalRows);
          limitEps.push((batch / (performance.now() - t1)) * 1_000);

          // The baseline: the same events, one upsert per row.
          await empty(domain);
          const baseline = options.runtime(true);
          const t2 = performance.now();
          await invoke(domain, baseline, event, options.env);
          perRecordEps.push((batch / (performance.now() - t2)) * 1_000);
          await baseline.database.close();
        }
        if (warm) await warm.database.close();
        const figure: HandlerFigures = {
          function: domain.name,
          batch,
          cache,
          handler: {
            eventsPerSecond: spread(eps),
            cpuMsPer1k: spread(cpu),
            dbCpuMsPer1k: dbCpuPer1k.length ? spread(dbCpuPer1k) : null,
          },
          perRecord: { eventsPerSecond: spread(perRecordEps) },
          limit: { eventsPerSecond: spread(limitEps) },
          batchMs: spread(durations),
        };
        options.log(
          `  ${domain.name.padEnd(8)} batch ${String(batch).padStart(6)} ${cache}  ${figure.handler.eventsPerSecond.median.toFixed(0).padStart(7)} ev/s  baseline ${figure.perRecord.eventsPerSecond.median.toFixed(0).padStart(6)}  limit ${figure.limit.eventsPerSecond.median.toFixed(0).padStart(7)}`,
        );
        figures.push(figure);
      }
    }
    await empty(domain);
  }
  return figures;
}

const handlersOf = new WeakMap<Runtime, Map<Domain, ReturnType<typeof createHandler>>>();

/** One invocation of the domain's handler on `event`, as Lambda would (the bench's own context). */
export async function invoke(
  domain: Domain,
  runtime: Runtime,
  event: KafkaEvent,
  env: Record<string, string>,
) {
  // One handler per runtime and domain, as Lambda builds it once at INIT and reuses it warm.
  const handlers = handlersOf.get(runtime) ?? new Map<Domain, ReturnType<typeof createHandler>>();
  handlersOf.set(runtime, handlers);
  const handler = handlers.get(domain) ?? createHandler(domain, { env, runtime, writeLog: () => {} });
  handlers.set(domain, handler);
  const context = createLambdaContext(
    {
      functionName: `bench-${domain.name}`,
      region: 'eu-west-1',
      accountId: '000000000000',
      memoryLimitInMB: 1024,
      timeoutSeconds: 60,
    },
    newLogStreamName(),
  );
  const response = await handler(event, context);
  if (response.batchItemFailures.length > 0) throw new Error(`bench: ${domain.name} reported failures`);
}
