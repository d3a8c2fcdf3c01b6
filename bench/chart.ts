/** The chart of `npm run bench` (bench/results/throughput.svg). */
import type { BillingResult } from './billing.ts';
import type { CompareSummary, Figure } from './compare.ts';
import type { HandlerFigures } from './handler.ts';
import { type ScalingRun, scalingFigures } from './scaling.ts';

const n0 = (f: Figure) => f.median.toFixed(0);

/**
 * Four panels, each figure beside its baseline from the same run: events per second per function
 * and batch (the handler, the per-record baseline and the limit); the pipeline per topology and the
 * Flink job, rows per CPU-second of all processes, whole process and steady state (bench/compare.ts);
 * billed ms per 1,000 events with the network delay and direct (bench/billing.ts); steady-state
 * rows/s at 1, 2 and 4 execution environments (bench/scaling.ts).
 */
export function chart(
  figures: HandlerFigures[],
  pipelineFigures: CompareSummary[],
  billing: BillingResult,
  scaling: ScalingRun[],
): string {
  const rowHeight = 54;
  const width = 760;
  const left = 190;
  const bar = (x0: number, y: number, w: number, color: string, label: string) =>
    `<rect x="${x0}" y="${y}" width="${Math.max(0, w).toFixed(1)}" height="14" fill="${color}"/><text x="${x0 + w + 4}" y="${y + 11}" font-size="11">${label}</text>`;
  const max = Math.max(
    ...figures.flatMap((f) => [f.handler.eventsPerSecond.max, f.limit.eventsPerSecond.max]),
    1,
  );
  const scale = (v: number) => ((width - left - 90) * v) / max;
  const handlerRows = figures.map((f, i) => {
    const y = 40 + i * rowHeight;
    return [
      `<text x="8" y="${y + 25}" font-size="12">${f.function}, batch ${f.batch}</text>`,
      bar(
        left,
        y,
        scale(f.limit.eventsPerSecond.median),
        '#bbbbbb',
        f.limit.eventsPerSecond.median.toFixed(0),
      ),
      bar(
        left,
        y + 16,
        scale(f.handler.eventsPerSecond.median),
        '#1f77b4',
        f.handler.eventsPerSecond.median.toFixed(0),
      ),
      bar(
        left,
        y + 32,
        scale(f.perRecord.eventsPerSecond.median),
        '#ff7f0e',
        f.perRecord.eventsPerSecond.median.toFixed(0),
      ),
    ].join('');
  });
  const top = 60 + figures.length * rowHeight;
  const cpuMax = Math.max(
    ...pipelineFigures.flatMap((p) => [p.whole.rowsPerCpuSecond.median, p.steady.rowsPerCpuSecond.median]),
    1,
  );
  const cpuScale = (v: number) => ((width - left - 200) * v) / cpuMax;
  const pipelineRows = pipelineFigures.map((p, i) => {
    const y = top + 30 + i * 40;
    return [
      `<text x="8" y="${y + 18}" font-size="12">${p.system}</text>`,
      bar(
        left,
        y,
        cpuScale(p.whole.rowsPerCpuSecond.median),
        '#bbbbbb',
        `${n0(p.whole.rowsPerCpuSecond)} rows/CPU-s whole process`,
      ),
      bar(
        left,
        y + 16,
        cpuScale(p.steady.rowsPerCpuSecond.median),
        p.system === 'flink' ? '#ff7f0e' : '#1f77b4',
        `${n0(p.steady.rowsPerCpuSecond)} rows/CPU-s steady state`,
      ),
    ].join('');
  });
  const billingTop = top + 50 + pipelineFigures.length * 40;
  const delayed = billing.figures.filter((f) => f.network === 'delayed');
  const billedMax = Math.max(...billing.figures.map((f) => f.billedMsPer1k.median), 1);
  const billedScale = (v: number) => ((width - left - 120) * v) / billedMax;
  const billingRows = delayed.map((f, i) => {
    const y = billingTop + 30 + i * 36;
    const direct = billing.figures.find(
      (d) => d.network === 'direct' && d.function === f.function && d.batch === f.batch,
    );
    return [
      `<text x="8" y="${y + 18}" font-size="12">${f.function}, batch ${f.batch}</text>`,
      bar(
        left,
        y,
        billedScale(f.billedMsPer1k.median),
        '#1f77b4',
        `${f.billedMsPer1k.median.toFixed(0)} ms delayed`,
      ),
      bar(
        left,
        y + 16,
        billedScale(direct?.billedMsPer1k.median ?? 0),
        '#bbbbbb',
        `${direct?.billedMsPer1k.median.toFixed(0) ?? 'n/a'} ms direct`,
      ),
    ].join('');
  });
  const scalingTop = billingTop + 50 + delayed.length * 36;
  const rateMax = Math.max(...scaling.map((r) => scalingFigures(r).rowsPerSecond), 1);
  const rateScale = (v: number) => ((width - left - 200) * v) / rateMax;
  const scalingRows = scaling.map((r, i) => {
    const y = scalingTop + 30 + i * 22;
    const f = scalingFigures(r);
    return [
      `<text x="8" y="${y + 11}" font-size="12">${r.environments} environment(s)</text>`,
      bar(
        left,
        y,
        rateScale(f.rowsPerSecond),
        '#2ca02c',
        `${f.rowsPerSecond.toFixed(0)} rows/s, ${f.cpuMsPer1k.toFixed(0)} CPU ms per 1k rows, ${r.peakConnections} connections`,
      ),
    ].join('');
  });
  const height = scalingTop + 40 + scaling.length * 22;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif">
<title>Events per second per configuration: lambda-realtime, the per-record baseline and the limit; the pipeline and the Flink job, rows per CPU-second in two accountings; billed duration with a network delay to MySQL; the pipeline at 1, 2 and 4 execution environments</title>
<text x="8" y="18" font-size="14">Events per second, warm cache (median): limit (grey), lambda-realtime (blue), per-record baseline (orange)</text>
${handlerRows.join('\n')}
<text x="8" y="${top + 10}" font-size="14">Pipeline and Flink job, same stream, same run: rows per CPU-s of all processes, whole process (grey) and steady state</text>
${pipelineRows.join('\n')}
<text x="8" y="${billingTop + 10}" font-size="14">Billed ms per 1,000 events, warm: through a ${billing.delayMs} ms-each-way proxy to MySQL (blue) and direct (grey)</text>
${billingRows.join('\n')}
<text x="8" y="${scalingTop + 10}" font-size="14">Pipeline at 1, 2 and 4 execution environments per function (a process each), steady state</text>
${scalingRows.join('\n')}
</svg>
`;
}
