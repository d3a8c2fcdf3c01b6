/**
 * Builds a domain's Lambda handler: configuration validated at cold start, the database, cache
 * and sink created once per container (the pool connects lazily), and per invocation one pass of
 * processBatch with its logs and metrics. functions/<domain>/handler.ts only names its domain.
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { createDimensionCaches, type Dimension, type DimensionCaches } from '../dimensions/dimension.ts';
import { CATALOG, DIMENSIONS } from '../domains/registry.ts';
import { EventCatalog } from '../events/catalog.ts';
import { Logger } from '../observability/logger.ts';
import { FUNCTION_DIMENSION, METRIC, Metrics } from '../observability/metrics.ts';
import { type BatchDependencies, type BatchStats, processBatch } from '../pipeline/batch.ts';
import type { Domain } from '../pipeline/domain.ts';
import type { KafkaBatchResponse, KafkaEvent } from '../pipeline/lambda-event.ts';
import type { BatchSink } from '../pipeline/ports.ts';
import { Database } from '../sink/database.ts';
import { MySqlSink } from '../sink/sink.ts';
import { type Config, credentialsFromConfig, loadConfig } from './config.ts';
import { flushMetrics, kafkaBatchGuard } from './middleware.ts';

export interface HandlerOptions {
  env?: NodeJS.ProcessEnv;
  /** The dimension tables (default: the declared ones, shared/domains/dimensions.ts). */
  dimensions?: readonly Dimension[];
  /** Replaces parts of the runtime (tests). */
  runtime?: Partial<Runtime>;
  /** Where log lines and EMF documents go (default: stdout). */
  writeLog?: (line: string) => void;
}

export interface Runtime {
  database: Database;
  dimensions: DimensionCaches;
  sink: BatchSink;
}

export function createHandler(domain: Domain, options: HandlerOptions = {}) {
  const dimensionTables: readonly Dimension[] = options.dimensions ?? DIMENSIONS;
  const config = loadConfig(options.env ?? process.env, domain.name, dimensionTables);
  const write = options.writeLog ?? ((line: string) => process.stdout.write(`${line}\n`));
  const log = new Logger({
    logLevel: config.logLevel,
    serviceName: config.serviceName,
    persistentKeys: { [FUNCTION_DIMENSION]: domain.name },
    write,
  });
  const metrics = new Metrics({
    namespace: config.metricsNamespace,
    serviceName: config.serviceName,
    dimensions: { [FUNCTION_DIMENSION]: domain.name },
    write,
    logger: log,
  });
  // Every domain's types, so another domain's event is told apart from an unknown one.
  const catalog = new EventCatalog([...CATALOG.filter((e) => e.domain !== domain.name), ...domain.events]);
  const runtime = { ...createRuntime(config, log, dimensionTables), ...options.runtime } as Runtime;
  const topicDomains = config.topicDomains ? new Set(config.topicDomains) : undefined;

  const processKafkaBatch = async (event: KafkaEvent): Promise<KafkaBatchResponse> => {
    const started = Date.now();
    const deps: BatchDependencies = {
      domain,
      catalog,
      dimensions: runtime.dimensions,
      sink: runtime.sink,
      log,
      maxEventBytes: config.maxEventBytes,
      ...(topicDomains ? { topicDomains } : {}),
    };
    const { response, stats } = await processBatch(event, deps);
    recordMetrics(metrics, stats, runtime.dimensions, Date.now() - started);
    log.info('batch done', {
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
  return (
    middy<KafkaEvent, KafkaBatchResponse, Error, Context>(processKafkaBatch, { timeoutEarlyInMillis: 0 })
      // Request id, cold start and the function's identity on every line of the invocation; never
      // the event itself (its records hold the payloads), whatever POWERTOOLS_LOGGER_LOG_EVENT says.
      .use(injectLambdaContext(log, { logEvent: false }))
      .use(kafkaBatchGuard(log))
      .use(flushMetrics(metrics))
  );
}

function createRuntime(config: Config, log: Logger, dimensionTables: readonly Dimension[]): Runtime {
  const database = new Database({
    credentials: credentialsFromConfig(config),
    tls: config.tls,
    poolSize: config.poolSize,
    connectTimeoutMs: config.connectTimeoutMs,
    lockRetries: config.lockRetries,
    log: (level, message, fields) => log[level](message, fields ?? {}),
  });
  const dimensions = createDimensionCaches(database, dimensionTables, config.dimensionCache);
  for (const cache of dimensions.values()) {
    cache.onBackgroundError = (error) =>
      log.warn('dimension refresh failed; serving cached rows', { table: cache.name, error });
  }
  return { database, dimensions, sink: new MySqlSink(database) };
}

function recordMetrics(
  metrics: Metrics,
  stats: BatchStats,
  dimensions: DimensionCaches,
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
  metrics.add(METRIC.databaseConfigErrors, 'Count', stats.databaseConfigErrors);
  metrics.add(METRIC.eventsFilteredOut, 'Count', stats.filteredOut);
  const skipped = Object.entries(stats.rowsSkipped);
  if (skipped.length === 0) metrics.add(METRIC.rowsSkipped, 'Count', 0);
  for (const [table, count] of skipped) metrics.add(METRIC.rowsSkipped, 'Count', count, { table });
  const late = Object.entries(stats.lateEventsDropped);
  if (late.length === 0) metrics.add(METRIC.lateEventsDropped, 'Count', 0);
  for (const [table, count] of late) metrics.add(METRIC.lateEventsDropped, 'Count', count, { table });
  metrics.add(METRIC.recordsSkippedOtherDomain, 'Count', stats.skippedOtherDomain);
  for (const cache of dimensions.values()) {
    const s = cache.takeStats();
    const table = { dimension: cache.name };
    metrics.add(METRIC.dimensionMisses, 'Count', stats.dimensionMisses[cache.name] ?? 0, table);
    metrics.add(METRIC.dimensionCacheHits, 'Count', s.hits, table);
    metrics.add(METRIC.dimensionCacheStaleHits, 'Count', s.staleHits, table);
    metrics.add(METRIC.dimensionCacheMisses, 'Count', s.misses, table);
    metrics.add(METRIC.dimensionCacheAbsentKeys, 'Count', s.absent, table);
    metrics.add(METRIC.dimensionCacheEvictions, 'Count', s.evictions, table);
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
