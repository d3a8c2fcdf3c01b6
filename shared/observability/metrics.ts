/**
 * CloudWatch metrics in the Embedded Metric Format, written by Powertools for AWS Lambda's Metrics:
 * metrics collected during an invocation are written as EMF JSON lines at its end, and CloudWatch
 * Logs turns them into metrics with no API call on the hot path. Every metric carries the
 * `function` dimension; some also `eventType`, `reason` or `dimension`, and those are published
 * under `function` alone as well: two dimension sets in one document, the roll-up being a set
 * added with Powertools' `addDimensions`.
 *
 * One EMF document holds one value per dimension, so each combination of dimension values (a
 * series) is its own document: `Metrics` below collects the invocation's values by series and, at
 * `flush`, hands Powertools one series at a time. Powertools builds, checks and splits the
 * documents (at most 100 metrics, and 100 values of a metric, per document).
 *
 * No `service` dimension: Powertools adds one by default, but within a namespace (one per
 * environment) it would be the same on every metric, and the alarms and the dashboard
 * (infra/lib/monitoring/) read the metrics by `function` alone.
 */
import { Metrics as PowertoolsMetrics } from '@aws-lambda-powertools/metrics';
import type {
  Dimensions,
  MetricsOptions as PowertoolsMetricsOptions,
} from '@aws-lambda-powertools/metrics/types';

export type MetricUnit = 'Count' | 'Milliseconds';

/**
 * The handler's metrics: the one list of their names, read by the handler and by the alarms and
 * dashboard (infra/lib/monitoring/alarms.ts, dashboard.ts).
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
  /** Keys a dimension's cache answered as absent (from the table or from its negative cache). */
  dimensionCacheAbsentKeys: 'DimensionCacheAbsentKeys',
  /** Entries evicted by `DIM_<NAME>_MAX_ENTRIES`: a steady count says the bound is too small. */
  dimensionCacheEvictions: 'DimensionCacheEvictions',
  dimensionQueries: 'DimensionQueries',
  batchDuration: 'BatchDurationMs',
  eventAge: 'EventAgeMs',
  endToEndLatency: 'EndToEndLatencyMs',
  /** Events a declared statement's WHERE left out of every table: done, never retried. */
  eventsFilteredOut: 'EventsFilteredOut',
  /**
   * Rows of an event written elsewhere that one table did not get (a WHERE on that table's
   * statement, or an inner lookup join without its dimension row), by `table`.
   */
  rowsSkipped: 'RowsSkipped',
  /**
   * Events too late for a windowed table's lateness bound (Table.lateness): their late window rows
   * were left out, the rest of the event written, by `table`.
   */
  lateEventsDropped: 'LateEventsDropped',
  /**
   * Batches refused because the path to the database is set up wrongly, so no retry can succeed
   * until an operator acts: the connection reports affected rows as MySQL does not (a proxy that
   * drops CLIENT_FOUND_ROWS off), an insecure transport refused, the server's settings not the
   * pinned ones. Alarmed (infra/lib/monitoring/alarms.ts): any value pages.
   */
  databaseConfigErrors: 'DatabaseConfigErrors',
} as const;
export type MetricName = (typeof METRIC)[keyof typeof METRIC];

/** The dimension every handler metric carries: the function's domain. */
export const FUNCTION_DIMENSION = 'function';

interface Series {
  /** The dimensions beyond the default ones (`eventType`, `reason`, `dimension`). */
  extra: Dimensions;
  values: Map<string, { unit: MetricUnit; values: number[] }>;
}

type MetricsLogger = NonNullable<PowertoolsMetricsOptions['logger']>;

export interface MetricsOptions {
  namespace: string;
  /** The dimensions of every metric (`{ function: <domain> }`), Powertools' default dimensions. */
  dimensions: Dimensions;
  /** Powertools' service name (its warnings name it; no dimension is made of it). */
  serviceName?: string;
  /** Where each EMF document goes, one JSON line (default: stdout). */
  write?: (line: string) => void;
  /** Where Powertools' warnings, and a series that could not be published, are reported. */
  logger?: MetricsLogger;
}

export class Metrics {
  readonly #emf: EmfWriter;
  readonly #base: Dimensions;
  readonly #logger: MetricsLogger;
  readonly #series = new Map<string, Series>();

  constructor(options: MetricsOptions) {
    this.#base = options.dimensions;
    this.#logger = options.logger ?? console;
    this.#emf = new EmfWriter(
      {
        namespace: options.namespace,
        ...(options.serviceName ? { serviceName: options.serviceName } : {}),
        logger: this.#logger,
      },
      options.dimensions,
      options.write ?? ((line) => process.stdout.write(`${line}\n`)),
    );
  }

  add(name: string, unit: MetricUnit, value: number, dimensions: Dimensions = {}): void {
    // JSON writes NaN and Infinity as null, which makes CloudWatch reject the whole document
    // (and Powertools throws on NaN).
    if (!Number.isFinite(value)) return;
    const extra = Object.fromEntries(Object.entries(dimensions).filter(([key]) => !(key in this.#base)));
    const id = JSON.stringify(Object.entries(extra).sort());
    let series = this.#series.get(id);
    if (!series) {
      series = { extra, values: new Map() };
      this.#series.set(id, series);
    }
    // Powertools refuses a second unit for a metric: the first one is kept.
    const metric = series.values.get(name) ?? { unit, values: [] };
    metric.values.push(value);
    series.values.set(name, metric);
  }

  /**
   * Writes the EMF documents of every series and forgets what was written. A series Powertools
   * refuses is reported to the logger, not thrown: this runs after the batch was written.
   */
  flush(timestamp?: number): void {
    for (const { extra, values } of this.#series.values()) {
      try {
        this.#emf.publishSeries(extra, timestamp, (emf) => {
          for (const [name, metric] of values) {
            for (const value of metric.values) emf.addMetric(name, metric.unit, value);
          }
        });
      } catch (error) {
        this.#logger.warn('metrics not published', { dimensions: extra, error });
      }
    }
    this.#series.clear();
  }
}

/**
 * Powertools' Metrics writing to a given function, with the given dimensions as its default set and
 * no `service` dimension. A series with extra dimensions is published under two dimension sets:
 * the defaults with the extras (`addDimension`) and the defaults alone (`addDimensions({})`, a new
 * set of the defaults and nothing more) — the roll-up. Powertools publishes by itself when a document
 * reaches EMF's limits; the series then goes on in the next document, under the same dimension sets
 * and time.
 */
class EmfWriter extends PowertoolsMetrics {
  readonly #write: (line: string) => void;
  #extra: Dimensions = {};
  #timestamp: number | undefined;

  constructor(options: PowertoolsMetricsOptions, dimensions: Dimensions, write: (line: string) => void) {
    super(options);
    this.clearDefaultDimensions();
    this.setDefaultDimensions(dimensions);
    this.#write = write;
  }

  publishSeries(extra: Dimensions, timestamp: number | undefined, add: (emf: this) => void): void {
    this.#extra = extra;
    this.#timestamp = timestamp;
    try {
      this.#startDocument();
      add(this);
      this.publishStoredMetrics();
    } finally {
      this.#extra = {};
      this.#timestamp = undefined;
      this.clearMetrics();
      this.clearDimensions();
    }
  }

  override publishStoredMetrics(): this {
    try {
      if (this.hasStoredMetrics() && !this.isDisabled()) this.#write(JSON.stringify(this.serializeMetrics()));
    } finally {
      this.clearMetrics();
      this.clearDimensions();
      this.clearMetadata();
      this.#startDocument();
    }
    return this;
  }

  #startDocument(): void {
    const extra = Object.entries(this.#extra);
    for (const [name, value] of extra) this.addDimension(name, value);
    if (extra.length > 0) this.addDimensions({});
    if (this.#timestamp !== undefined) this.setTimestamp(this.#timestamp);
  }
}
