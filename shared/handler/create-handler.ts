/**
 * Builds a domain's Lambda handler: configuration validated at cold start, the database, cache
 * and sink created once per container (the pool connects lazily), and per invocation one pass of
 * processBatch with its logs and metrics. functions/<domain>/handler.ts only names its processors.
 */
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { createDimensions, type Dimensions } from '../cache/dimensions.ts';
import { type Config, loadConfig } from '../config/config.ts';
import { CATALOG_V1, type CatalogEntry, EventCatalog } from '../events/catalog.ts';
import { type BatchDependencies, type BatchStats, processBatch } from '../kafka/batch.ts';
import type { KafkaBatchResponse, KafkaEvent } from '../kafka/lambda-event.ts';
import { credentialsFromConfig } from '../mysql/credentials.ts';
import { Database } from '../mysql/database.ts';
import { type BatchWrites, MySqlSink } from '../mysql/sink.ts';
import { Logger } from '../observability/logger.ts';
import { METRIC, Metrics } from '../observability/metrics.ts';
import { type EventProcessor, ProcessorRegistry } from '../processors/processor.ts';
import { flushMetrics, kafkaBatchGuard } from './middleware.ts';

export interface HandlerOptions {
  domain: string;
  processors: readonly EventProcessor[];
  /** Extra catalog entries (new event types or versions). */
  catalog?: readonly CatalogEntry[];
  env?: NodeJS.ProcessEnv;
  /** Replaces parts of the runtime (tests). */
  runtime?: Partial<Runtime>;
  writeLog?: (line: string) => void;
}

export interface Runtime {
  database: Database;
  dimensions: Pick<Dimensions, 'user' | 'product'>;
  sink: { apply(writes: BatchWrites): Promise<import('../mysql/sink.ts').ApplyResult> };
}

export function createHandler(options: HandlerOptions) {
  const config = loadConfig(options.env ?? process.env, options.domain);
  const write = options.writeLog ?? ((line: string) => process.stdout.write(`${line}\n`));
  const log = new Logger({ level: config.logLevel, fields: { function: options.domain }, write });
  const metrics = new Metrics(config.metricsNamespace, { function: options.domain }, write);
  const catalog = new EventCatalog([...CATALOG_V1, ...(options.catalog ?? [])]);
  const processors = new ProcessorRegistry(options.processors);
  const runtime = { ...createRuntime(config, log), ...options.runtime } as Runtime;

  const processKafkaBatch = async (event: KafkaEvent, context: Context): Promise<KafkaBatchResponse> => {
    const started = Date.now();
    const deps: BatchDependencies = {
      domain: options.domain,
      catalog,
      processors,
      dimensions: runtime.dimensions,
      sink: runtime.sink,
      log: log.child({ awsRequestId: context.awsRequestId }),
      maxEventBytes: config.maxEventBytes,
    };
    const { response, stats } = await processBatch(event, deps);
    recordMetrics(metrics, stats, runtime.dimensions, Date.now() - started);
    log.info('batch done', {
      awsRequestId: context.awsRequestId,
      received: stats.received,
      processed: stats.processed,
      duplicates: stats.duplicates,
      deadLettered: stats.deadLettered,
      skippedOtherDomain: stats.skippedOtherDomain,
      reportedForRetry: stats.reportedForRetry,
      durationMs: Date.now() - started,
    });
    return response;
  };

  // No early timeout: middy would answer for the batch while its transaction still ran. Let Lambda's
  // own timeout end the invocation, so the connection drops and the transaction rolls back.
  return middy<KafkaEvent, KafkaBatchResponse, Error, Context>(processKafkaBatch, { timeoutEarlyInMillis: 0 })
    .use(kafkaBatchGuard(log))
    .use(flushMetrics(metrics));
}

function createRuntime(config: Config, log: Logger): Runtime {
  const credentials = credentialsFromConfig(config);
  const database = new Database({
    credentials,
    tls: config.tls,
    poolSize: config.poolSize,
    connectTimeoutMs: config.connectTimeoutMs,
    lockRetries: config.lockRetries,
    log: (level, message, fields) => log[level](message, fields),
  });
  const dimensions = createDimensions(database, config.dimensionCache);
  for (const cache of [dimensions.user, dimensions.product]) {
    cache.onBackgroundError = (error) =>
      log.warn('dimension refresh failed; serving cached rows', { table: cache.name, error });
  }
  return { database, dimensions, sink: new MySqlSink(database) };
}

function recordMetrics(
  metrics: Metrics,
  stats: BatchStats,
  dimensions: Pick<Dimensions, 'user' | 'product'>,
  durationMs: number,
): void {
  metrics.add(METRIC.recordsReceived, 'Count', stats.received);
  for (const [eventType, count] of Object.entries(stats.processedByType)) {
    metrics.add(METRIC.eventsProcessed, 'Count', count, { eventType });
  }
  metrics.add(METRIC.duplicatesAbsorbed, 'Count', stats.duplicates);
  for (const [reason, count] of Object.entries(stats.deadLettered)) {
    metrics.add(METRIC.eventsDeadLettered, 'Count', count, { reason });
  }
  metrics.add(METRIC.recordsReportedForRetry, 'Count', stats.reportedForRetry);
  metrics.add(METRIC.recordsSkippedOtherDomain, 'Count', stats.skippedOtherDomain);
  for (const cache of [dimensions.user, dimensions.product]) {
    const s = cache.takeStats();
    const table = { dimension: cache.name };
    metrics.add(
      METRIC.dimensionMisses,
      'Count',
      stats.dimensionMisses[cache.name as 'user' | 'product'] ?? 0,
      table,
    );
    metrics.add(METRIC.dimensionCacheHits, 'Count', s.hits, table);
    metrics.add(METRIC.dimensionCacheStaleHits, 'Count', s.staleHits, table);
    metrics.add(METRIC.dimensionCacheMisses, 'Count', s.misses, table);
    metrics.add(METRIC.dimensionQueries, 'Count', s.loads, table);
  }
  metrics.add(METRIC.batchDuration, 'Milliseconds', durationMs);
  if (stats.received > 0) metrics.add(METRIC.eventAge, 'Milliseconds', stats.maxEventAgeMs);
  for (const latency of sample(stats.endToEndLatenciesMs, 100)) {
    metrics.add(METRIC.endToEndLatency, 'Milliseconds', latency);
  }
}

/** At most `n` values spread evenly over the sorted input (EMF takes 100 values per metric). */
function sample(values: number[], n: number): number[] {
  if (values.length <= n) return values;
  const sorted = [...values].sort((a, b) => a - b);
  return Array.from({ length: n }, (_, i) => sorted[Math.round((i * (sorted.length - 1)) / (n - 1))]!);
}
