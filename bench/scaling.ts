/**
 * How cost grows with work: the pipeline at 1, 2 and 4 concurrent execution environments per
 * function, each environment a process of its own (bench/consumer.ts with one batch in flight per
 * function), so they share no event loop, as Lambda's environments share nothing. The processes of
 * one run join the same consumer groups, so Kafka splits each topic's 6 partitions among them, as it
 * does among the pollers of an event source mapping; the stream is published to the run's own topics
 * once every process has joined, so no rebalance falls inside the measured window. Measured like the comparison (bench/measure.ts):
 * rows/s and CPU per row in steady state, MySQL's share, and the connections the server held open
 * (SHOW STATUS Threads_connected, sampled; the bench's own one included).
 * MySQL saturates where more environments stop adding rows/s while MySQL's CPU (cores busy) climbs
 * to what the machine gives it.
 */
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createConnection } from 'mysql2/promise';
import { environmentConfig } from '../infra/config/environments.ts';
import { findServices } from '../scripts/services/find-services.ts';
import { DOMAIN_NAMES } from '../shared/domains/registry.ts';
import {
  consumerSettings,
  createDemoTopics,
  expectedDemoEvents,
  functionDbEnv,
  inFreshSchema,
  publishDemoStream,
  spawnConsumer,
} from './compare.ts';
import { cpuSum, type Measured, measure } from './measure.ts';

export interface ScalingRun extends Measured {
  /** Execution environments per function (one process each). */
  environments: number;
  /** Connections the pools may open at most: environments × functions × pool size. */
  connectionLimit: number;
}

export interface ScalingOptions {
  root: string;
  events: number;
  environments: readonly number[];
  log: (line: string) => void;
}

export async function benchScaling(options: ScalingOptions): Promise<ScalingRun[]> {
  const { root, events, log } = options;
  const servicesDir = process.env.LRT_SERVICES_DIR ?? join(root, '.services');
  const services = await findServices();
  const { db, kafkaBrokers, dbTls } = services.endpoints;
  const poolSize = environmentConfig('prod').functions.databasePoolSize;
  const id = `s${Date.now().toString(36)}`;
  const admin = await createConnection({ ...db, supportBigNumbers: true, bigNumberStrings: true });
  const runs: ScalingRun[] = [];
  try {
    for (const environments of options.environments) {
      const schema = `lrt_scale_${id}_${environments}`;
      // Topics of its own per run, empty until every process has joined its groups.
      const streamId = `${id}-${environments}`;
      const topics = await createDemoTopics(kafkaBrokers, { id: streamId, withShared: false });
      const expectedRows = expectedDemoEvents({ id: streamId, events, seed: 42 });
      await inFreshSchema(admin, schema, async () => {
        const env = {
          ...functionDbEnv(db, dbTls, schema),
          KAFKA_BROKERS: kafkaBrokers.join(','),
          BENCH_MAX_CONCURRENT_BATCHES: '1',
          BENCH_SETTINGS: consumerSettings((d) => ({
            topic: topics.topicOf(d),
            group: `bench-${streamId}-${d}`,
            onFailureTopic: topics.failures,
          })),
        };
        const children = await Promise.all(
          Array.from({ length: environments }, () => spawnConsumer(root, env)),
        );
        await Promise.all(children.map((child) => started(child)));
        const measuring = measure(children, {
          admin,
          servicesDir,
          expectedRows,
          timeoutMs: Math.max(120_000, events * 5),
        });
        const stream = await publishDemoStream(kafkaBrokers, {
          id: streamId,
          events,
          seed: 42,
          withShared: false,
        });
        const measured = await measuring;
        const run: ScalingRun = {
          environments,
          connectionLimit: environments * DOMAIN_NAMES.length * poolSize,
          ...measured,
        };
        runs.push(run);
        log(`  ${describeScaling(run)} (${stream.records} records published)`);
      });
    }
  } finally {
    await admin.end();
    await services.stop();
  }
  return runs;
}

/** Resolves once the consumer process has joined its groups (bench/consumer.ts says so on stderr). */
function started(child: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const onData = (d: Buffer) => {
      seen = (seen + d.toString()).slice(-4_000);
      if (seen.includes('event source mappings started')) {
        child.stderr?.off('data', onData);
        resolve();
      }
    };
    child.stderr?.on('data', onData);
    child.once('exit', () => reject(new Error(`a bench consumer exited before it started:\n${seen}`)));
  });
}

/** Steady-state figures of one run: rows/s, CPU ms per 1,000 rows (all; process; MySQL), MySQL cores busy. */
export function scalingFigures(r: ScalingRun) {
  const seconds = Math.max(0.001, (r.lastRowMs - r.firstRowMs) / 1_000);
  const per1k = (ms: number | undefined) => (ms === undefined ? Number.NaN : (ms / r.steadyRows) * 1_000);
  return {
    rowsPerSecond: r.steady.rowsPerSecond,
    cpuMsPer1k: per1k(cpuSum(r.steadyCpuMs)),
    processCpuMsPer1k: per1k(r.steadyCpuMs.process),
    mysqlCpuMsPer1k: per1k(r.steadyCpuMs.mysql),
    mysqlCoresBusy: r.steadyCpuMs.mysql === undefined ? Number.NaN : r.steadyCpuMs.mysql / 1_000 / seconds,
    processCoresBusy: r.steadyCpuMs.process / 1_000 / seconds,
  };
}

function describeScaling(r: ScalingRun): string {
  const f = scalingFigures(r);
  return `${r.environments} environment(s) per function: ${r.rows}/${r.expectedRows} rows; steady state ${f.rowsPerSecond.toFixed(0)} rows/s, CPU ${f.cpuMsPer1k.toFixed(0)} ms per 1,000 rows (process ${f.processCpuMsPer1k.toFixed(0)}, MySQL ${f.mysqlCpuMsPer1k.toFixed(0)}), MySQL ${f.mysqlCoresBusy.toFixed(2)} cores busy, processes ${f.processCoresBusy.toFixed(2)}; peak connections ${r.peakConnections} (limit ${r.connectionLimit} + the bench's 1)`;
}

/** The markdown table of the scaling runs, each line's ratio against the first (one environment). */
export function scalingTable(runs: ScalingRun[]): string[] {
  const base = runs[0] ? scalingFigures(runs[0]) : undefined;
  return [
    '| environments per function (processes) | rows/s, steady state (× one) | CPU ms / 1k rows: all / process / MySQL | MySQL cores busy | processes cores busy | peak connections (pool limit) |',
    '|---:|---:|---:|---:|---:|---:|',
    ...runs.map((r) => {
      const f = scalingFigures(r);
      const times = base ? (f.rowsPerSecond / base.rowsPerSecond).toFixed(2) : '—';
      return `| ${r.environments} | ${f.rowsPerSecond.toFixed(0)} (${times}×) | ${f.cpuMsPer1k.toFixed(0)} / ${f.processCpuMsPer1k.toFixed(0)} / ${f.mysqlCpuMsPer1k.toFixed(0)} | ${f.mysqlCoresBusy.toFixed(2)} | ${f.processCoresBusy.toFixed(2)} | ${r.peakConnections} (${r.connectionLimit}) |`;
    }),
  ];
}
