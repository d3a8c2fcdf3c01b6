/**
 * CloudWatch metrics in the Embedded Metric Format: metrics collected during an invocation are
 * written as EMF JSON lines at its end, and CloudWatch Logs turns them into metrics with no API
 * call on the hot path. Every metric carries the `function` dimension; some also `eventType`,
 * `reason` or `dimension`, and those are published under `function` alone as well.
 */
export type MetricUnit = 'Count' | 'Milliseconds';

/**
 * The handler's metrics: the one list of their names, read by the handler and by the alarms and
 * dashboard (infra/lib/monitoring.ts).
 */
export const METRIC = {
  recordsReceived: 'RecordsReceived',
  eventsProcessed: 'EventsProcessed',
  duplicatesAbsorbed: 'DuplicatesAbsorbed',
  eventsDeadLettered: 'EventsDeadLettered',
  recordsReportedForRetry: 'RecordsReportedForRetry',
  recordsSkippedOtherDomain: 'RecordsSkippedOtherDomain',
  dimensionMisses: 'DimensionMisses',
  dimensionCacheHits: 'DimensionCacheHits',
  dimensionCacheStaleHits: 'DimensionCacheStaleHits',
  dimensionCacheMisses: 'DimensionCacheMisses',
  dimensionQueries: 'DimensionQueries',
  batchDuration: 'BatchDurationMs',
  eventAge: 'EventAgeMs',
  endToEndLatency: 'EndToEndLatencyMs',
} as const;
export type MetricName = (typeof METRIC)[keyof typeof METRIC];

/** The dimension every handler metric carries: the function's domain. */
export const FUNCTION_DIMENSION = 'function';

type Dimensions = Record<string, string>;

/** EMF limits: metrics per document, and values per metric. */
const MAX_PER_DOCUMENT = 100;

interface Series {
  dimensions: Dimensions;
  values: Map<string, { unit: MetricUnit; values: number[] }>;
}

export class Metrics {
  readonly #namespace: string;
  readonly #base: Dimensions;
  readonly #write: (line: string) => void;
  readonly #series = new Map<string, Series>();

  constructor(
    namespace: string,
    base: Dimensions,
    write: (line: string) => void = (l) => process.stdout.write(`${l}\n`),
  ) {
    this.#namespace = namespace;
    this.#base = base;
    this.#write = write;
  }

  add(name: string, unit: MetricUnit, value: number, dimensions: Dimensions = {}): void {
    // JSON writes NaN and Infinity as null, which makes CloudWatch reject the whole document.
    if (!Number.isFinite(value)) return;
    const all = { ...this.#base, ...dimensions };
    const id = JSON.stringify(Object.entries(all).sort());
    let series = this.#series.get(id);
    if (!series) {
      series = { dimensions: all, values: new Map() };
      this.#series.set(id, series);
    }
    const metric = series.values.get(name) ?? { unit, values: [] };
    metric.values.push(value);
    series.values.set(name, metric);
  }

  /** Writes one EMF document per dimension set and forgets what was written. */
  flush(timestamp = Date.now()): void {
    for (const { dimensions, values } of this.#series.values()) {
      const names = [...values.keys()];
      for (let i = 0; i < names.length; i += MAX_PER_DOCUMENT) {
        const group = names.slice(i, i + MAX_PER_DOCUMENT);
        // EMF takes at most 100 values per metric: more go to further documents.
        for (let from = 0; ; from += MAX_PER_DOCUMENT) {
          const chunk = group.filter((name) => values.get(name)!.values.length > from);
          if (chunk.length === 0) break;
          const document: Record<string, unknown> = {
            _aws: {
              Timestamp: timestamp,
              CloudWatchMetrics: [
                {
                  Namespace: this.#namespace,
                  // Metrics with extra dimensions also roll up to the function alone.
                  Dimensions: rollups(Object.keys(this.#base), Object.keys(dimensions)),
                  Metrics: chunk.map((name) => ({ Name: name, Unit: values.get(name)!.unit })),
                },
              ],
            },
            ...dimensions,
          };
          for (const name of chunk) {
            const v = values.get(name)!.values.slice(from, from + MAX_PER_DOCUMENT);
            document[name] = v.length === 1 ? v[0] : v;
          }
          this.#write(JSON.stringify(document));
        }
      }
    }
    this.#series.clear();
  }
}

function rollups(base: string[], all: string[]): string[][] {
  return all.length > base.length ? [base, all] : [all];
}
