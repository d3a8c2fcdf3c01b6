/**
 * `npm run local`'s summary: what was published and written, latencies, throughput and CPU, then
 * the event source mappings' own metrics per function (local-esm/metrics.ts: AWS's definitions).
 */
import type { Connection } from 'mysql2/promise';
import type { EsmMetrics, EsmRunner } from '../../local-esm/index.ts';
import type { DemoRecord } from './demo-stream.ts';
import type { RegistryDemoRecord } from './registry-stream.ts';

export interface RunFigures {
  runId: string;
  eventTables: readonly string[];
  published: ReadonlyArray<DemoRecord | RegistryDemoRecord>;
  /** When Kafka first acknowledged each event (ms): the start of its publish-to-row latency. */
  publishedAt: ReadonlyMap<string, number>;
  expected: { events: number; deadLetters: number };
  /** The last progress read: rows per table, dead letters, retries, OffsetLag per function. */
  last: {
    counts: Record<string, number>;
    deadLettered: number;
    retried: number;
    toOnFailure: number;
    offsetLags: number[];
  };
  consumeSeconds: number;
  /** CPU while consuming (ms), '-' where not measured. */
  cpu: { functions: string; mysql: string; kafka: string };
  wallSeconds: number;
}

export async function printSummary(admin: Connection, run: RunFigures): Promise<void> {
  const { pct, pctPublish } = await latencies(admin, run);
  const { published, expected, last } = run;
  const rows: Array<[string, string | number]> = [
    ['records published', published.length],
    ['  distinct valid events', expected.events],
    ['  duplicates (absorbed)', published.filter((r) => r.expect === 'duplicate').length],
    ['  malformed', expected.deadLetters + published.filter((r) => r.expect === 'on-failure').length],
    ...run.eventTables.map((table): [string, number] => [`${table} rows`, last.counts[table] ?? 0]),
    ['event_dead_letter rows', last.deadLettered],
    ['retried deliveries', last.retried],
    ['sent to on-failure destination', last.toOnFailure],
    // Event time to row written; the stream back-dates some order events by a minute (out of order).
    ['end-to-end latency p50 (ms)', pct(50)],
    ['end-to-end latency p99 (ms)', pct(99)],
    ['publish-to-row latency p50 (ms)', pctPublish(50)],
    ['publish-to-row latency p99 (ms)', pctPublish(99)],
    ['consumed events/s', (published.length / run.consumeSeconds).toFixed(0)],
    // CPU while consuming (with --prefill, the stream was published before; without, it includes
    // publishing). --runtime lambda runs the functions in other processes: not counted here.
    ['consuming CPU, functions (ms)', run.cpu.functions],
    ['consuming CPU, mysql (ms)', run.cpu.mysql],
    ['consuming CPU, kafka (ms)', run.cpu.kafka],
    ['wall time (s)', run.wallSeconds.toFixed(1)],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  console.log(`\nsummary of ${run.runId}`);
  for (const [k, v] of rows) console.log(`  ${k.padEnd(width)}  ${String(v).padStart(8)}`);
}

/** Percentiles of event time → row, and of Kafka's acknowledgement of the publish → row. */
async function latencies(admin: Connection, run: RunFigures) {
  const [written] = (await admin.query(
    `SELECT event_id, TIMESTAMPDIFF(MICROSECOND, event_time, processed_at) / 1000 AS ms,
            UNIX_TIMESTAMP(processed_at) * 1000 AS written FROM (${run.eventTables
              .map((table) => `SELECT event_id, event_time, processed_at FROM ${table} WHERE event_id LIKE ?`)
              .join(' UNION ALL ')}) t`,
    run.eventTables.map(() => `${run.runId}-%`),
  )) as unknown as [Array<{ event_id: string; ms: string; written: string }>];
  return {
    pct: percentile(written.map((r) => Number(r.ms))),
    // From Kafka's acknowledgement of the publish to the row: the pipeline's own latency.
    pctPublish: percentile(
      written.flatMap((r) => {
        const at = run.publishedAt.get(r.event_id);
        return at === undefined ? [] : [Number(r.written) - at];
      }),
    ),
  };
}

function percentile(values: number[]) {
  const sorted = values.filter((v) => v >= 0).sort((a, b) => a - b);
  return (p: number) =>
    sorted.length
      ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!.toFixed(0)
      : '-';
}

/** The event source mappings' metrics, a column per function. */
export function printMappings(
  domains: readonly string[],
  runners: readonly EsmRunner[],
  offsetLags: readonly number[],
): void {
  const esmRows: Array<[string, (m: EsmMetrics, i: number) => number | string]> = [
    ['PolledEventCount', (m) => m.PolledEventCount],
    ['FilteredOutEventCount', (m) => m.FilteredOutEventCount],
    ['InvokedEventCount', (m) => m.InvokedEventCount],
    ['FailedInvokeEventCount', (m) => m.FailedInvokeEventCount],
    ['DroppedEventCount', (m) => m.DroppedEventCount],
    ['OnFailureDestinationDelivered', (m) => m.OnFailureDestinationDeliveredEventCount],
    ['InvokeErrorCount', (m) => m.InvokeErrorCount],
    ['OffsetLag', (_, i) => offsetLags[i] ?? '-'],
    ['invocations', (_, i) => runners[i]!.stats.invocations],
    [
      'max batches in flight',
      (_, i) => `${runners[i]!.stats.maxConcurrentBatches}/${runners[i]!.maxConcurrency}`,
    ],
  ];
  const esmWidth = Math.max(...esmRows.map(([k]) => k.length));
  console.log(`\nevent source mappings  ${domains.map((d) => d.padStart(9)).join(' ')}`);
  for (const [name, value] of esmRows) {
    const cells = runners.map((r, i) => String(value(r.metrics, i)).padStart(9));
    console.log(`  ${name.padEnd(Math.max(esmWidth, 20))}${cells.join(' ')}`);
  }
}
