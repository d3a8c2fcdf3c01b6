/**
 * The pipeline: a pre-filled topic of demo events consumed by the three functions through the
 * local event source mapping at prod settings (`npm run local -- --prefill --settings prod`),
 * then a steady stream at half that rate for the publish-to-row latency. CPU counts every process
 * of the pipeline while it consumes (the pipeline measures it: its own process, and MySQL and Kafka
 * when they run from this checkout's services, by their pid files) — as the Flink job's figures
 * were taken, with the topic filled before.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

export type Topology = 'per-domain' | 'shared';

export interface PipelineFigures {
  topology: Topology;
  events: number;
  eventsPerSecond: number;
  /** CPU ms of each process while the pre-filled topic was consumed (undefined where not measurable). */
  cpuMs: { functions: number; mysql: number | undefined; kafka: number | undefined };
  eventsPerCpuSecond: number;
  steadyRate: number;
  latencyMs: { p50: number; p99: number };
}

export function benchPipeline(
  root: string,
  events: number,
  steadySeconds: number,
  topology: Topology = 'per-domain',
): PipelineFigures {
  const run = (extra: string[]) => {
    const output = execFileSync(
      process.execPath,
      [
        join(root, 'scripts', 'local', 'pipeline.ts'),
        '--settings',
        'prod',
        '--topology',
        topology,
        '--timeout',
        '1800',
        ...extra,
      ],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 64 * 2 ** 20 },
    );
    if (!output.includes('every published record is accounted for')) {
      throw new Error(`bench: the pipeline did not account for every record:\n${output}`);
    }
    return (label: string) => Number(new RegExp(`${label}\\s+([\\d.]+)`).exec(output)?.[1]);
  };

  const saturated = run(['--events', String(events), '--prefill', '--seed', '11']);
  // The pipeline measures its consumption alone: its own CPU and the services' (by their pid files).
  const optional = (value: number) => (Number.isFinite(value) ? value : undefined);
  const cpuMs = {
    functions: saturated('consuming CPU, functions \\(ms\\)'),
    mysql: optional(saturated('consuming CPU, mysql \\(ms\\)')),
    kafka: optional(saturated('consuming CPU, kafka \\(ms\\)')),
  };
  const eventsPerSecond = saturated('consumed events/s');
  const cpuSeconds = (cpuMs.functions + (cpuMs.mysql ?? 0) + (cpuMs.kafka ?? 0)) / 1_000;

  const steadyRate = Math.max(100, Math.round(eventsPerSecond / 2));
  const steady = run([
    '--events',
    String(steadyRate * steadySeconds),
    '--rate',
    String(steadyRate),
    '--seed',
    '12',
  ]);
  return {
    topology,
    events,
    eventsPerSecond,
    cpuMs,
    eventsPerCpuSecond: events / cpuSeconds,
    steadyRate,
    latencyMs: {
      p50: steady('publish-to-row latency p50 \\(ms\\)'),
      p99: steady('publish-to-row latency p99 \\(ms\\)'),
    },
  };
}
