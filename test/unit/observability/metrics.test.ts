/** CloudWatch Embedded Metric Format documents, written by Powertools' Metrics. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { METRIC, Metrics } from '../../../shared/observability/metrics.ts';

interface EmfDocument {
  _aws: {
    Timestamp: number;
    CloudWatchMetrics: Array<{
      Namespace: string;
      Dimensions: string[][];
      Metrics: Array<{ Name: string; Unit: string }>;
    }>;
  };
  [key: string]: unknown;
}

function capture(dimensions: Record<string, string> = { function: 'user' }) {
  const lines: string[] = [];
  const warnings: unknown[][] = [];
  const logger = { debug() {}, info() {}, error() {}, warn: (...args: unknown[]) => warnings.push(args) };
  const metrics = new Metrics({
    namespace: 'lambda-realtime',
    serviceName: 'lambda-realtime',
    dimensions,
    write: (line) => lines.push(line),
    logger,
  });
  const documents = () => lines.map((line) => JSON.parse(line) as EmfDocument);
  return { metrics, lines, documents, warnings };
}

/** A minute ago: EMF takes timestamps from 14 days back to 2 hours ahead. */
const T = Math.floor(Date.now() / 1000) * 1000 - 60_000;

/** Every value of `name` over the documents, flattened. */
function valuesOf(documents: EmfDocument[], name: string): number[] {
  return documents.flatMap((d) => (name in d ? [d[name] as number | number[]].flat() : []));
}

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('Metrics', () => {
  it('writes one EMF document with the namespace, the function dimension and the value — no service dimension', () => {
    const { metrics, documents, warnings } = capture();
    metrics.add(METRIC.recordsReceived, 'Count', 3);
    metrics.add(METRIC.batchDuration, 'Milliseconds', 12);
    metrics.flush(T);
    expect(documents()).toEqual([
      {
        _aws: {
          Timestamp: T,
          CloudWatchMetrics: [
            {
              Namespace: 'lambda-realtime',
              Dimensions: [['function']],
              Metrics: [
                { Name: 'RecordsReceived', Unit: 'Count' },
                { Name: 'BatchDurationMs', Unit: 'Milliseconds' },
              ],
            },
          ],
        },
        function: 'user',
        RecordsReceived: 3,
        BatchDurationMs: 12,
      },
    ]);
    expect(warnings).toEqual([]);
  });

  it('collects repeated values of a metric into a values array', () => {
    const { metrics, documents } = capture();
    for (const v of [5, 7, 9]) metrics.add(METRIC.endToEndLatency, 'Milliseconds', v);
    metrics.flush(T);
    expect(documents()[0]!.EndToEndLatencyMs).toEqual([5, 7, 9]);
  });

  it('publishes metrics with extra dimensions under the function alone as well, one document per value', () => {
    const { metrics, documents, warnings } = capture();
    metrics.add(METRIC.eventsProcessed, 'Count', 2, { eventType: 'user_login' });
    metrics.add(METRIC.eventsProcessed, 'Count', 1, { eventType: 'user_view' });
    metrics.add(METRIC.recordsReceived, 'Count', 3);
    metrics.flush(T);
    const docs = documents();
    expect(docs).toHaveLength(3);
    const byType = (t: string) => docs.find((d) => d.eventType === t)!;
    expect(byType('user_login')).toEqual({
      _aws: {
        Timestamp: T,
        CloudWatchMetrics: [
          {
            Namespace: 'lambda-realtime',
            Dimensions: [['function', 'eventType'], ['function']],
            Metrics: [{ Name: 'EventsProcessed', Unit: 'Count' }],
          },
        ],
      },
      function: 'user',
      eventType: 'user_login',
      EventsProcessed: 2,
    });
    expect(byType('user_view')).toMatchObject({ function: 'user', EventsProcessed: 1 });
    expect(byType('user_view')._aws.CloudWatchMetrics[0]!.Dimensions).toEqual([
      ['function', 'eventType'],
      ['function'],
    ]);
    const plain = docs.find((d) => !('eventType' in d))!;
    expect(plain._aws.CloudWatchMetrics[0]!.Dimensions).toEqual([['function']]);
    expect(plain.RecordsReceived).toBe(3);
    expect(warnings).toEqual([]);
  });

  it('treats the same dimensions given in another order as one series', () => {
    const { metrics, documents } = capture();
    metrics.add('M', 'Count', 1, { a: '1', b: '2' });
    metrics.add('M', 'Count', 2, { b: '2', a: '1' });
    metrics.flush(T);
    expect(documents()).toHaveLength(1);
    expect(documents()[0]!.M).toEqual([1, 2]);
    expect(documents()[0]!._aws.CloudWatchMetrics[0]!.Dimensions).toEqual([
      ['function', 'a', 'b'],
      ['function'],
    ]);
  });

  it('splits more than 100 metrics of one dimension set into documents of at most 100', () => {
    const { metrics, documents } = capture();
    for (let i = 0; i < 250; i++) metrics.add(`Metric${i}`, 'Count', i, { reason: 'schema' });
    metrics.flush(T);
    const docs = documents();
    expect(docs.map((d) => d._aws.CloudWatchMetrics[0]!.Metrics.length)).toEqual([100, 100, 50]);
    for (const d of docs) {
      const names = d._aws.CloudWatchMetrics[0]!.Metrics.map((m) => m.Name);
      for (const name of names) expect(d).toHaveProperty(name);
      // Every document keeps the series' dimensions and time.
      expect(d).toMatchObject({ function: 'user', reason: 'schema' });
      expect(d._aws.CloudWatchMetrics[0]!.Dimensions).toEqual([['function', 'reason'], ['function']]);
      expect(d._aws.Timestamp).toBe(T);
    }
    expect(valuesOf(docs, 'Metric249')).toEqual([249]);
  });

  it('splits more than 100 values of one metric over documents of at most 100 values', () => {
    const { metrics, documents } = capture();
    for (let i = 0; i < 250; i++) metrics.add(METRIC.eventAge, 'Milliseconds', i, { dimension: 'user' });
    metrics.add(METRIC.recordsReceived, 'Count', 250, { dimension: 'user' });
    metrics.flush(T);
    const docs = documents();
    expect(docs.length).toBeGreaterThan(1);
    for (const d of docs) {
      for (const { Name } of d._aws.CloudWatchMetrics[0]!.Metrics) {
        expect([d[Name]].flat().length).toBeLessThanOrEqual(100);
      }
      expect(d).toMatchObject({ function: 'user', dimension: 'user' });
      expect(d._aws.CloudWatchMetrics[0]!.Dimensions).toEqual([['function', 'dimension'], ['function']]);
    }
    expect(valuesOf(docs, 'EventAgeMs')).toEqual(Array.from({ length: 250 }, (_, i) => i));
    expect(valuesOf(docs, 'RecordsReceived')).toEqual([250]);
  });

  it('writes nothing when nothing was added, and forgets what it flushed', () => {
    const { metrics, lines, warnings } = capture();
    metrics.flush(T);
    expect(lines).toEqual([]);
    metrics.add('M', 'Count', 1);
    metrics.flush(T);
    metrics.flush(T);
    expect(lines).toHaveLength(1);
    expect(warnings).toEqual([]);
  });

  it('keeps the unit of the first value of a metric', () => {
    const { metrics, documents } = capture();
    metrics.add('M', 'Milliseconds', 1);
    metrics.add('M', 'Count', 2);
    metrics.flush(T);
    expect(documents()[0]!._aws.CloudWatchMetrics[0]!.Metrics).toEqual([{ Name: 'M', Unit: 'Milliseconds' }]);
    expect(documents()[0]!.M).toEqual([1, 2]);
  });

  it('drops values that are not finite numbers (JSON would write null, which CloudWatch rejects)', () => {
    const { metrics, documents } = capture();
    metrics.add('M', 'Count', Number.NaN);
    metrics.add('M', 'Count', 4);
    metrics.add('N', 'Count', Number.POSITIVE_INFINITY);
    metrics.flush(T);
    expect(documents()).toHaveLength(1);
    expect(documents()[0]!.M).toBe(4);
    expect(documents()[0]).not.toHaveProperty('N');
  });

  it('uses the time of the flush by default', () => {
    const { metrics, documents } = capture();
    const before = Date.now();
    metrics.add('M', 'Count', 1);
    metrics.flush();
    expect(documents()[0]!._aws.Timestamp).toBeGreaterThanOrEqual(before);
  });

  it('reports a series Powertools refuses instead of throwing, and publishes the others', () => {
    const { metrics, documents, warnings } = capture();
    metrics.add('x'.repeat(256), 'Count', 1, { eventType: 'bad' });
    metrics.add('M', 'Count', 1);
    expect(() => metrics.flush(T)).not.toThrow();
    expect(documents().map((d) => d.M)).toEqual([1]);
    expect(warnings).toEqual([
      ['metrics not published', { dimensions: { eventType: 'bad' }, error: expect.any(RangeError) }],
    ]);
  });

  it('writes nothing when POWERTOOLS_METRICS_DISABLED is set', () => {
    vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'true');
    const { metrics, lines } = capture();
    metrics.add('M', 'Count', 1);
    metrics.flush(T);
    expect(lines).toEqual([]);
  });
});
