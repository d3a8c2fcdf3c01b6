/**
 * The alarms' definitions: the one list of their kinds (the names end the alarm names and are the
 * runbook's headings in infra/README.md) and each kind's spec — metric, threshold, description.
 * alarm-factory.ts makes them CloudWatch alarms.
 */
import type { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as msk from 'aws-cdk-lib/aws-msk';
import { METRIC } from '../../../shared/observability/metrics.ts';
import type { EnvironmentConfig } from '../../config/environment-schema.ts';
import type { Database } from '../database.ts';
import type { DomainFunction } from '../domain-function.ts';
import type { Kafka } from '../kafka.ts';
import { DatabaseMetricFactory, type FunctionMetricFactory, KafkaMetricFactory } from './metrics.ts';

/** The alarms each function gets (`<prefix>-<domain>-<kind>`), in the order they are created. */
export const ALARM_KINDS = [
  'error-rate',
  'offset-lag',
  'event-age',
  'throttles',
  'duration',
  'dead-letters',
  'on-failure-deliveries',
  'dropped-records',
  'polling-errors',
  'commit-errors',
  'on-failure-delivery-errors',
  'stalled-consumer',
  'database-config-errors',
] as const;
export type AlarmKind = (typeof ALARM_KINDS)[number];

/**
 * The platform's alarms (`<prefix>-<kind>`, per broker `<prefix>-<kind>-broker-<id>`). Only for
 * what the stack creates: none for an imported cluster.
 */
const PLATFORM_ALARM_KINDS = [
  'database-cpu',
  'database-free-storage',
  'database-connections',
  'proxy-borrow-latency',
  'kafka-disk-used',
  'kafka-active-controller',
  'kafka-offline-partitions',
] as const;
export type PlatformAlarmKind = (typeof PLATFORM_ALARM_KINDS)[number];

type AlarmSettings = EnvironmentConfig['alarms'];

export interface AlarmSpec {
  readonly metric: cloudwatch.IMetric;
  readonly threshold: number;
  readonly description: string;
  /** Default: greater than the threshold. */
  readonly comparisonOperator?: cloudwatch.ComparisonOperator;
  /** Default: the environment's evaluationPeriods and datapointsToAlarm. */
  readonly evaluationPeriods?: number;
  readonly datapointsToAlarm?: number;
  /** Default: not breaching (an idle topic publishes nothing). */
  readonly treatMissingData?: cloudwatch.TreatMissingData;
}

export interface PlatformAlarmSpec extends AlarmSpec {
  readonly kind: PlatformAlarmKind;
  /** Ends the alarm name when a kind has one alarm per member (`broker-1`). */
  readonly member?: string;
}

export type FunctionAlarmSpecs = Record<AlarmKind, AlarmSpec>;

const GIB = 1024 ** 3;

/** Every alarm of one function. */
export function functionAlarmSpecs(
  fn: DomainFunction,
  metrics: FunctionMetricFactory,
  s: AlarmSettings,
): FunctionAlarmSpecs {
  return { ...invocationAlarmSpecs(fn, metrics, s), ...mappingAlarmSpecs(fn, metrics, s) };
}

/** What the function and its handler report on the batches they are invoked with. */
function invocationAlarmSpecs(fn: DomainFunction, metrics: FunctionMetricFactory, s: AlarmSettings) {
  const timeoutMs = fn.timeout.toMilliseconds();
  return {
    'error-rate': {
      metric: new cloudwatch.MathExpression({
        expression: 'IF(invocations > 0, 100 * errors / invocations, 0)',
        usingMetrics: {
          errors: metrics.lambda('Errors', cloudwatch.Stats.SUM),
          invocations: metrics.lambda('Invocations', cloudwatch.Stats.SUM),
        },
        label: 'Error rate (%)',
        period: metrics.period,
      }),
      threshold: s.errorRatePercent,
      description: `Over ${s.errorRatePercent}% of ${fn.domain} invocations failed as a whole.`,
    },
    'offset-lag': {
      metric: metrics.lambda('OffsetLag', cloudwatch.Stats.MAXIMUM),
      threshold: s.maxOffsetLag,
      description: `The ${fn.domain} consumer group is over ${s.maxOffsetLag} records behind.`,
    },
    // The handler's own metric: Lambda emits no IteratorAge for Kafka.
    'event-age': {
      metric: metrics.handler(METRIC.eventAge, cloudwatch.Stats.MAXIMUM),
      threshold: s.maxEventAgeSeconds * 1000,
      description: `${fn.domain} is processing records older than ${s.maxEventAgeSeconds} s.`,
    },
    throttles: {
      metric: metrics.lambda('Throttles', cloudwatch.Stats.SUM),
      threshold: s.throttles,
      description: `${fn.domain} invocations are being throttled.`,
    },
    duration: {
      metric: metrics.lambda('Duration', cloudwatch.Stats.MAXIMUM),
      threshold: Math.round((timeoutMs * s.durationPercentOfTimeout) / 100),
      description: `A ${fn.domain} batch took over ${s.durationPercentOfTimeout}% of the ${timeoutMs / 1000} s timeout.`,
    },
    'dead-letters': {
      metric: metrics.handler(METRIC.eventsDeadLettered, cloudwatch.Stats.SUM),
      threshold: s.deadLetters,
      description: `${fn.domain} wrote malformed records to event_dead_letter.`,
    },
    // The handler refused batches because the path to the database is set up wrongly
    // (shared/observability/metrics.ts): no retry can succeed until someone acts. Any value pages.
    'database-config-errors': {
      metric: metrics.handler(METRIC.databaseConfigErrors, cloudwatch.Stats.SUM),
      threshold: 0,
      evaluationPeriods: 1,
      datapointsToAlarm: 1,
      description: `${fn.domain} refused batches because the path to the database is set up wrongly (affected-row semantics, insecure transport, server settings): no retry succeeds until it is fixed.`,
    },
  } satisfies Partial<FunctionAlarmSpecs>;
}

/** What the event source mapping reports: records given up or dropped, its errors, its polling. */
function mappingAlarmSpecs(fn: DomainFunction, metrics: FunctionMetricFactory, s: AlarmSettings) {
  const stalledPeriods = (s.stalledConsumerMinutes * 60) / s.periodSeconds;
  return {
    'on-failure-deliveries': {
      metric: metrics.mapping('OnFailureDestinationDeliveredEventCount'),
      threshold: 0,
      description: `${fn.domain} gave records up to the on-failure topic after retries ran out.`,
    },
    'dropped-records': {
      metric: metrics.mapping('DroppedEventCount'),
      threshold: 0,
      description: `${fn.domain} records were dropped: expired or not delivered to the on-failure topic.`,
    },
    // The ESM's ErrorCount group (metricsConfig ErrorCount), which Lambda emits only when an
    // error happened: https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics-types.html#event-source-mapping-metrics
    'polling-errors': {
      metric: metrics.mapping('PollingErrorCount'),
      threshold: 0,
      description: `The ${fn.domain} mapping fails to poll its topic (brokers, IAM, security group, network).`,
    },
    'commit-errors': {
      metric: metrics.mapping('CommitErrorCount'),
      threshold: 0,
      description: `The ${fn.domain} mapping fails to commit its consumer group's offsets: processed records will be delivered again.`,
    },
    'on-failure-delivery-errors': {
      metric: metrics.mapping('OnFailureDestinationDeliveryErrorCount'),
      threshold: 0,
      description: `The ${fn.domain} mapping fails to write records it gave up on to the on-failure topic.`,
    },
    // A mapping that cannot poll (IAM, security group, broker, disabled) invokes nothing, so no
    // other alarm sees it: no errors, no event age, perhaps no OffsetLag. PolledEventCount is
    // emitted on every poll, an empty one as 0 ("Use this metric to detect whether your event
    // source mapping is correctly polling"), so its absence means no poll, and missing data
    // breaches. Chosen over MSK's per-group MaxOffsetLag, which needs records waiting to show
    // anything (a stall on a quiet topic stays silent) and does not exist for an imported
    // cluster's other account or before the group first commits.
    'stalled-consumer': {
      metric: metrics.mapping('PolledEventCount', cloudwatch.Stats.SAMPLE_COUNT),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      evaluationPeriods: stalledPeriods,
      datapointsToAlarm: stalledPeriods,
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
      description: `The ${fn.domain} mapping has not polled its topic for ${s.stalledConsumerMinutes} minutes (stalled, failing or disabled).`,
    },
  } satisfies Partial<FunctionAlarmSpecs>;
}

/** Alarms on the database, and on the MSK cluster when this stack creates it. */
export function platformAlarmSpecs(
  database: Database,
  kafka: Kafka,
  s: AlarmSettings,
  period: Duration,
): PlatformAlarmSpec[] {
  const specs = databaseAlarmSpecs(database, s, new DatabaseMetricFactory(database.instance, period));
  if (kafka.cluster) {
    specs.push(...kafkaAlarmSpecs(kafka.cluster, s, new KafkaMetricFactory(kafka.cluster, period)));
  }
  return specs;
}

function databaseAlarmSpecs(
  database: Database,
  s: AlarmSettings,
  metrics: DatabaseMetricFactory,
): PlatformAlarmSpec[] {
  const specs: PlatformAlarmSpec[] = [
    {
      kind: 'database-cpu',
      metric: metrics.instanceMetric('CPUUtilization', cloudwatch.Stats.AVERAGE),
      threshold: s.databaseCpuPercent,
      description: `MySQL CPU is above ${s.databaseCpuPercent}%.`,
    },
    {
      kind: 'database-free-storage',
      metric: metrics.instanceMetric('FreeStorageSpace', cloudwatch.Stats.MINIMUM),
      threshold: s.databaseFreeStorageGiB * GIB,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      description: `MySQL has less than ${s.databaseFreeStorageGiB} GiB of free storage.`,
    },
    {
      kind: 'database-connections',
      metric: metrics.instanceMetric('DatabaseConnections', cloudwatch.Stats.MAXIMUM),
      threshold: s.databaseConnections,
      description: `MySQL has over ${s.databaseConnections} client connections.`,
    },
  ];
  if (database.proxy) {
    specs.push({
      kind: 'proxy-borrow-latency',
      metric: metrics.proxyBorrowLatency(database.proxy),
      threshold: s.proxyBorrowLatencyMs * 1000,
      description: `RDS Proxy takes over ${s.proxyBorrowLatencyMs} ms on average to hand out a MySQL connection.`,
    });
  }
  return specs;
}

function kafkaAlarmSpecs(
  cluster: msk.CfnCluster,
  s: AlarmSettings,
  metrics: KafkaMetricFactory,
): PlatformAlarmSpec[] {
  const specs: PlatformAlarmSpec[] = [];
  // MSK numbers the brokers from 1.
  for (let broker = 1; broker <= cluster.numberOfBrokerNodes; broker++) {
    specs.push({
      kind: 'kafka-disk-used',
      member: `broker-${broker}`,
      metric: metrics.clusterMetric('KafkaDataLogsDiskUsed', { 'Broker ID': String(broker) }),
      threshold: s.kafkaDiskUsedPercent,
      description: `MSK broker ${broker} has used over ${s.kafkaDiskUsedPercent}% of its data disk.`,
    });
  }
  specs.push(
    {
      kind: 'kafka-active-controller',
      metric: metrics.clusterMetric('ActiveControllerCount'),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      description: 'The MSK cluster has no active controller.',
    },
    {
      kind: 'kafka-offline-partitions',
      metric: metrics.clusterMetric('OfflinePartitionsCount'),
      threshold: 0,
      description: 'MSK partitions are offline: no leader, neither readable nor writable.',
    },
  );
  return specs;
}
