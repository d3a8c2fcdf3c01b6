/**
 * The pipeline's latency: a steady stream of demo events at a given rate (half the saturated rate
 * bench/compare.ts measured) through the three functions and the local event source mapping at
 * prod settings (`npm run local -- --settings prod --rate R`), publish-to-row percentiles. The
 * saturated figures, in both accountings and beside Flink, are bench/compare.ts's.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

export type Topology = 'per-domain' | 'shared';

/** Publish-to-row latency of a steady stream at `rate` events/s (`npm run local -- --rate R`). */
export interface LatencyFigures {
  topology: Topology;
  rate: number;
  latencyMs: { p50: number; p99: number };
}

export function benchLatency(
  root: string,
  rate: number,
  seconds: number,
  topology: Topology = 'per-domain',
): LatencyFigures {
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
      '--events',
      String(rate * seconds),
      '--rate',
      String(rate),
      '--seed',
      '12',
    ],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 64 * 2 ** 20 },
  );
  if (!output.includes('every published record is accounted for')) {
    throw new Error(`bench: the pipeline did not account for every record:\n${output}`);
  }
  const figure = (label: string) => Number(new RegExp(`${label}\\s+([\\d.]+)`).exec(output)?.[1]);
  return {
    topology,
    rate,
    latencyMs: {
      p50: figure('publish-to-row latency p50 \\(ms\\)'),
      p99: figure('publish-to-row latency p99 \\(ms\\)'),
    },
  };
}
