/**
 * The pipeline: a pre-filled topic of demo events consumed by the three functions through the
 * local event source mapping at prod settings (`npm run local -- --prefill --settings prod`),
 * then a steady stream at half that rate for the publish-to-row latency. CPU counts every process
 * of the pipeline: the functions' (this process's finished child), MySQL and Kafka (when they run
 * from this checkout's services, by their pid files).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface PipelineFigures {
  events: number;
  eventsPerSecond: number;
  /** CPU ms of each process over the pre-filled run (undefined where it is not measurable here). */
  cpuMs: { functions: number; mysql: number | undefined; kafka: number | undefined };
  eventsPerCpuSecond: number;
  steadyRate: number;
  latencyMs: { p50: number; p99: number };
}

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

/** utime + stime (and, with `children`, cutime + cstime) of a /proc stat line, in ms. */
function statCpuMs(path: string, children = false): number | undefined {
  try {
    const fields = readFileSync(path, 'utf8').split(') ')[1]!.split(' ');
    const [user, system] = children ? [fields[13], fields[14]] : [fields[11], fields[12]];
    return ((Number(user) + Number(system)) / TICKS_PER_SECOND) * 1_000;
  } catch {
    return undefined;
  }
}

function pidCpuMs(pidFile: string): number | undefined {
  try {
    return statCpuMs(`/proc/${readFileSync(pidFile, 'utf8').trim()}/stat`);
  } catch {
    return undefined;
  }
}

const difference = (after: number | undefined, before: number | undefined) =>
  after !== undefined && before !== undefined ? after - before : undefined;

export function benchPipeline(root: string, events: number, steadySeconds: number): PipelineFigures {
  const services = join(root, '.services');
  const run = (extra: string[]) => {
    const output = execFileSync(
      process.execPath,
      [join(root, 'scripts', 'local', 'pipeline.ts'), '--settings', 'prod', '--timeout', '1800', ...extra],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 64 * 2 ** 20 },
    );
    if (!output.includes('every published record is accounted for')) {
      throw new Error(`bench: the pipeline did not account for every record:\n${output}`);
    }
    return (label: string) => Number(new RegExp(`${label}\\s+([\\d.]+)`).exec(output)?.[1]);
  };

  const before = {
    functions: statCpuMs('/proc/self/stat', true) ?? 0,
    mysql: pidCpuMs(join(services, 'mysql', 'pid')),
    kafka: pidCpuMs(join(services, 'kafka', 'pid')),
  };
  const saturated = run(['--events', String(events), '--prefill', '--seed', '11']);
  const cpuMs = {
    functions: (statCpuMs('/proc/self/stat', true) ?? 0) - before.functions,
    mysql: difference(pidCpuMs(join(services, 'mysql', 'pid')), before.mysql),
    kafka: difference(pidCpuMs(join(services, 'kafka', 'pid')), before.kafka),
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
