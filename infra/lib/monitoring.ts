/**
 * Alarms, the SNS topic they notify and the environment's dashboard. Per function: error rate,
 * Kafka offset lag, event age (the handler's own metric: Lambda emits no IteratorAge for Kafka),
 * throttles, duration near the timeout, dead letters, records given up to the on-failure topic,
 * records dropped outright, the mapping's polling, commit and failure-destination errors, a
 * mapping that stopped polling at all, and database configuration errors the handler reports.
 * For the platform, only for resources this stack creates: RDS CPU,
 * free storage and connections, RDS Proxy borrow latency, MSK data disk per broker, active
 * controller and offline partitions. infra/README.md maps each alarm to its runbook action.
 */
import { ArnFormat, Duration, type RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as events from 'aws-cdk-lib/aws-events';
import * as eventsTargets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { FUNCTION_DIMENSION, METRIC, type MetricName } from '../../shared/observability/metrics.ts';
import type { EnvironmentConfig } from '../config/environment-schema.ts';
import type { Database } from './database.ts';
import type { DomainFunction } from './domain-function.ts';
import type { Kafka } from './kafka.ts';
import { acknowledgeAwsSolutions } from './nag.ts';

/** The alarms each function gets; the names end alarm names and the runbook's headings. */
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
 * The platform's alarms (`<prefix>-<kind>`, per broker `<prefix>-<kind>-broker-<id>`); the names
 * are the runbook's headings too. Only for what the stack creates: none for an imported cluster.
 */
export const PLATFORM_ALARM_KINDS = [
  'database-cpu',
  'database-free-storage',
  'database-connections',
  'proxy-borrow-latency',
  'kafka-disk-used',
  'kafka-active-controller',
  'kafka-offline-partitions',
] as const;
export type PlatformAlarmKind = (typeof PLATFORM_ALARM_KINDS)[number];

const GIB = 1024 ** 3;

export interface MonitoringProps {
  readonly prefix: string;
  readonly settings: EnvironmentConfig['alarms'];
  readonly functions: readonly DomainFunction[];
  /** The database, when this stack creates it; its alarms are skipped otherwise. */
  readonly database?: Database;
  readonly kafka: Kafka;
  readonly removalPolicy: RemovalPolicy;
}

interface AlarmSpec {
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

interface PlatformAlarmSpec extends AlarmSpec {
  readonly kind: PlatformAlarmKind;
  /** Ends the alarm name when a kind has one alarm per member (`broker-1`). */
  readonly member?: string;
}

/** The EventBridge rule (`<prefix>-secret-rotation-failed`) and its runbook heading. */
export const ROTATION_FAILED_RULE = 'secret-rotation-failed';

export class Monitoring extends Construct {
  readonly alarmTopic: sns.Topic;
  readonly dashboard: cloudwatch.Dashboard;
  readonly alarms: cloudwatch.Alarm[] = [];
  /** Notifies the alarm topic of failed rotations of the database secrets (created database only). */
  readonly rotationFailedRule?: events.Rule;

  private readonly settings: EnvironmentConfig['alarms'];
  private readonly period: Duration;

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    this.settings = props.settings;
    this.period = Duration.seconds(props.settings.periodSeconds);

    // A customer-managed key, because CloudWatch may not use the AWS-managed SNS key; CloudWatch
    // needs kms:GenerateDataKey* and kms:Decrypt on it to publish to the encrypted topic:
    // https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services
    const stack = Stack.of(this);
    const topicKey = new kms.Key(this, 'AlarmTopicKey', {
      description: `${props.prefix} alarm topic encryption`,
      enableKeyRotation: true,
      removalPolicy: props.removalPolicy,
    });
    topicKey.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchAlarmsPublish',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
    );
    this.alarmTopic = new sns.Topic(this, 'AlarmTopic', {
      topicName: `${props.prefix}-alarms`,
      displayName: `${props.prefix} alarms`,
      masterKey: topicKey,
      enforceSSL: true,
    });
    // enforceSSL gives the topic a policy of its own, which replaces SNS's default one: without
    // this statement nothing may publish, and every alarm action fails. Only this stack's alarms
    // (all named `<prefix>-…`) in this account and region may.
    this.alarmTopic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchAlarmsPublish',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.alarmTopic.topicArn],
        conditions: {
          StringEquals: { 'aws:SourceAccount': stack.account },
          ArnLike: {
            'aws:SourceArn': stack.formatArn({
              service: 'cloudwatch',
              resource: 'alarm',
              resourceName: `${props.prefix}-*`,
              arnFormat: ArnFormat.COLON_RESOURCE_NAME,
            }),
          },
        },
      }),
    );
    for (const email of props.settings.notificationEmails) {
      this.alarmTopic.addSubscription(new subscriptions.EmailSubscription(email));
    }

    const action = new cloudwatchActions.SnsAction(this.alarmTopic);
    const addAlarm = (id: string, kind: AlarmKind | PlatformAlarmKind, spec: AlarmSpec) => {
      const alarm = new cloudwatch.Alarm(this, id, {
        alarmName: `${props.prefix}-${id}`,
        alarmDescription: `${spec.description} Runbook: infra/README.md#${kind}`,
        metric: spec.metric,
        threshold: spec.threshold,
        comparisonOperator: spec.comparisonOperator ?? cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: spec.evaluationPeriods ?? this.settings.evaluationPeriods,
        datapointsToAlarm: spec.datapointsToAlarm ?? this.settings.datapointsToAlarm,
        // Idle topics publish nothing, nor does a cluster before it is ACTIVE; silence is not an
        // incident — except where a spec says it is (stalled-consumer).
        treatMissingData: spec.treatMissingData ?? cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      alarm.addAlarmAction(action);
      alarm.addOkAction(action);
      this.alarms.push(alarm);
    };
    for (const fn of props.functions) {
      for (const [kind, spec] of Object.entries(this.alarmSpecs(fn)) as [AlarmKind, AlarmSpec][]) {
        addAlarm(`${fn.domain}-${kind}`, kind, spec);
      }
    }
    const platformSpecs = this.platformAlarmSpecs(props.database, props.kafka);
    for (const spec of platformSpecs) {
      addAlarm(spec.member ? `${spec.kind}-${spec.member}` : spec.kind, spec.kind, spec);
    }

    if (props.database) this.rotationFailedRule = this.notifyRotationFailures(props.prefix, props.database);

    this.dashboard = this.buildDashboard(props.prefix, props.functions, platformSpecs);
  }

  /**
   * Secrets Manager records a failed rotation as the CloudTrail service event `RotationFailed`
   * (https://docs.aws.amazon.com/secretsmanager/latest/userguide/retrieve-ct-entries.html), which
   * EventBridge's default bus receives as detail type `AWS Service Event via CloudTrail`, no trail
   * needed (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-service-event-cloudtrail.html).
   * There is no metric for it, so a rule sends the database secrets' failures to the alarm topic. The
   * rule publishes with a role of its own (sns:Publish, and the key through IAM), so neither the
   * topic policy nor the key policy has to trust events.amazonaws.com as a whole.
   */
  private notifyRotationFailures(prefix: string, database: Database): events.Rule {
    const rule = new events.Rule(this, ROTATION_FAILED_RULE, {
      ruleName: `${prefix}-${ROTATION_FAILED_RULE}`,
      description: `Secrets Manager failed to rotate a ${prefix} database secret. Runbook: infra/README.md#${ROTATION_FAILED_RULE}`,
      eventPattern: {
        source: ['aws.secretsmanager'],
        detailType: ['AWS Service Event via CloudTrail'],
        detail: {
          eventSource: ['secretsmanager.amazonaws.com'],
          eventName: ['RotationFailed'],
          // Rotation service events carry the secret's ARN here (their requestParameters are empty).
          additionalEventData: { SecretId: database.secrets.map((secret) => secret.secretArn) },
        },
      },
    });
    const secretId = events.EventField.fromPath('$.detail.additionalEventData.SecretId');
    rule.addTarget(
      new eventsTargets.SnsTopic(this.alarmTopic, {
        authorizeUsingRole: true,
        message: events.RuleTargetInput.fromText(
          `ALARM ${prefix}-${ROTATION_FAILED_RULE}: Secrets Manager failed to rotate ${secretId} at ` +
            `${events.EventField.time}. Runbook: infra/README.md#${ROTATION_FAILED_RULE}`,
        ),
      }),
    );
    acknowledgeAwsSolutions(
      rule,
      'IAM5[Action::kms:GenerateDataKey*]',
      "kms:GenerateDataKey* on the alarm topic's own key only: what SNS needs to encrypt the message the rule publishes.",
    );
    return rule;
  }

  private alarmSpecs(fn: DomainFunction): Record<AlarmKind, AlarmSpec> {
    const s = this.settings;
    const lambdaMetric = (metricName: string, statistic: string) =>
      fn.function.metric(metricName, { statistic, period: this.period });
    const mappingMetric = (metricName: string, statistic: string = cloudwatch.Stats.SUM) =>
      new cloudwatch.Metric({
        namespace: 'AWS/Lambda',
        metricName,
        dimensionsMap: { EventSourceMappingUUID: fn.eventSourceMapping.attrId },
        statistic,
        period: this.period,
      });
    const handlerMetric = (metricName: MetricName, statistic: string) =>
      this.handlerMetric(fn, metricName, statistic);
    const timeoutMs = fn.timeout.toMilliseconds();
    const stalledPeriods = (s.stalledConsumerMinutes * 60) / s.periodSeconds;

    return {
      'error-rate': {
        metric: new cloudwatch.MathExpression({
          expression: 'IF(invocations > 0, 100 * errors / invocations, 0)',
          usingMetrics: {
            errors: lambdaMetric('Errors', cloudwatch.Stats.SUM),
            invocations: lambdaMetric('Invocations', cloudwatch.Stats.SUM),
          },
          label: 'Error rate (%)',
          period: this.period,
        }),
        threshold: s.errorRatePercent,
        description: `Over ${s.errorRatePercent}% of ${fn.domain} invocations failed as a whole.`,
      },
      'offset-lag': {
        metric: lambdaMetric('OffsetLag', cloudwatch.Stats.MAXIMUM),
        threshold: s.maxOffsetLag,
        description: `The ${fn.domain} consumer group is over ${s.maxOffsetLag} records behind.`,
      },
      'event-age': {
        metric: handlerMetric(METRIC.eventAge, cloudwatch.Stats.MAXIMUM),
        threshold: s.maxEventAgeSeconds * 1000,
        description: `${fn.domain} is processing records older than ${s.maxEventAgeSeconds} s.`,
      },
      throttles: {
        metric: lambdaMetric('Throttles', cloudwatch.Stats.SUM),
        threshold: s.throttles,
        description: `${fn.domain} invocations are being throttled.`,
      },
      duration: {
        metric: lambdaMetric('Duration', cloudwatch.Stats.MAXIMUM),
        threshold: Math.round((timeoutMs * s.durationPercentOfTimeout) / 100),
        description: `A ${fn.domain} batch took over ${s.durationPercentOfTimeout}% of the ${timeoutMs / 1000} s timeout.`,
      },
      'dead-letters': {
        metric: handlerMetric(METRIC.eventsDeadLettered, cloudwatch.Stats.SUM),
        threshold: s.deadLetters,
        description: `${fn.domain} wrote malformed records to event_dead_letter.`,
      },
      'on-failure-deliveries': {
        metric: mappingMetric('OnFailureDestinationDeliveredEventCount'),
        threshold: 0,
        description: `${fn.domain} gave records up to the on-failure topic after retries ran out.`,
      },
      'dropped-records': {
        metric: mappingMetric('DroppedEventCount'),
        threshold: 0,
        description: `${fn.domain} records were dropped: expired or not delivered to the on-failure topic.`,
      },
      // The ESM's ErrorCount group (metricsConfig ErrorCount), which Lambda emits only when an
      // error happened: https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics-types.html#event-source-mapping-metrics
      'polling-errors': {
        metric: mappingMetric('PollingErrorCount'),
        threshold: 0,
        description: `The ${fn.domain} mapping fails to poll its topic (brokers, IAM, security group, network).`,
      },
      'commit-errors': {
        metric: mappingMetric('CommitErrorCount'),
        threshold: 0,
        description: `The ${fn.domain} mapping fails to commit its consumer group's offsets: processed records will be delivered again.`,
      },
      'on-failure-delivery-errors': {
        metric: mappingMetric('OnFailureDestinationDeliveryErrorCount'),
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
        metric: mappingMetric('PolledEventCount', cloudwatch.Stats.SAMPLE_COUNT),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
        evaluationPeriods: stalledPeriods,
        datapointsToAlarm: stalledPeriods,
        treatMissingData: cloudwatch.TreatMissingData.BREACHING,
        description: `The ${fn.domain} mapping has not polled its topic for ${s.stalledConsumerMinutes} minutes (stalled, failing or disabled).`,
      },
      // The handler refused batches because the path to the database is set up wrongly
      // (shared/observability/metrics.ts): no retry can succeed until someone acts. Any value pages.
      'database-config-errors': {
        metric: handlerMetric(METRIC.databaseConfigErrors, cloudwatch.Stats.SUM),
        threshold: 0,
        evaluationPeriods: 1,
        datapointsToAlarm: 1,
        description: `${fn.domain} refused batches because the path to the database is set up wrongly (affected-row semantics, insecure transport, server settings): no retry succeeds until it is fixed.`,
      },
    };
  }

  /** Alarms on the database and the MSK cluster, each only when this stack creates it. */
  private platformAlarmSpecs(database: Database | undefined, kafka: Kafka): PlatformAlarmSpec[] {
    const s = this.settings;
    const specs: PlatformAlarmSpec[] = [];
    if (database) {
      const rdsMetric = (metricName: string, statistic: string) =>
        database.instance.metric(metricName, { statistic, period: this.period });
      specs.push(
        {
          kind: 'database-cpu',
          metric: rdsMetric('CPUUtilization', cloudwatch.Stats.AVERAGE),
          threshold: s.databaseCpuPercent,
          description: `MySQL CPU is above ${s.databaseCpuPercent}%.`,
        },
        {
          kind: 'database-free-storage',
          metric: rdsMetric('FreeStorageSpace', cloudwatch.Stats.MINIMUM),
          threshold: s.databaseFreeStorageGiB * GIB,
          comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
          description: `MySQL has less than ${s.databaseFreeStorageGiB} GiB of free storage.`,
        },
        {
          kind: 'database-connections',
          metric: rdsMetric('DatabaseConnections', cloudwatch.Stats.MAXIMUM),
          threshold: s.databaseConnections,
          description: `MySQL has over ${s.databaseConnections} client connections.`,
        },
      );
      if (database.proxy) {
        specs.push({
          kind: 'proxy-borrow-latency',
          // Microseconds; Average is the statistic AWS documents for it.
          metric: new cloudwatch.Metric({
            namespace: 'AWS/RDS',
            metricName: 'DatabaseConnectionsBorrowLatency',
            dimensionsMap: { ProxyName: database.proxy.dbProxyName },
            statistic: cloudwatch.Stats.AVERAGE,
            period: this.period,
          }),
          threshold: s.proxyBorrowLatencyMs * 1000,
          description: `RDS Proxy takes over ${s.proxyBorrowLatencyMs} ms on average to hand out a MySQL connection.`,
        });
      }
    }
    const cluster = kafka.cluster;
    if (cluster) {
      const kafkaMetric = (metricName: string, dimensions: Record<string, string>) =>
        new cloudwatch.Metric({
          namespace: 'AWS/Kafka',
          metricName,
          dimensionsMap: { 'Cluster Name': cluster.clusterName, ...dimensions },
          statistic: cloudwatch.Stats.MAXIMUM,
          period: this.period,
        });
      // MSK numbers the brokers from 1.
      for (let broker = 1; broker <= cluster.numberOfBrokerNodes; broker++) {
        specs.push({
          kind: 'kafka-disk-used',
          member: `broker-${broker}`,
          metric: kafkaMetric('KafkaDataLogsDiskUsed', { 'Broker ID': String(broker) }),
          threshold: s.kafkaDiskUsedPercent,
          description: `MSK broker ${broker} has used over ${s.kafkaDiskUsedPercent}% of its data disk.`,
        });
      }
      specs.push(
        {
          kind: 'kafka-active-controller',
          metric: kafkaMetric('ActiveControllerCount', {}),
          threshold: 1,
          comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
          description: 'The MSK cluster has no active controller.',
        },
        {
          kind: 'kafka-offline-partitions',
          metric: kafkaMetric('OfflinePartitionsCount', {}),
          threshold: 0,
          description: 'MSK partitions are offline: no leader, neither readable nor writable.',
        },
      );
    }
    return specs;
  }

  /** A metric the handler emits (EMF), for one function. */
  private handlerMetric(fn: DomainFunction, metricName: MetricName, statistic: string): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: fn.metricsNamespace,
      metricName,
      dimensionsMap: { [FUNCTION_DIMENSION]: fn.domain },
      statistic,
      period: this.period,
    });
  }

  private buildDashboard(
    prefix: string,
    functions: readonly DomainFunction[],
    platformSpecs: readonly PlatformAlarmSpec[],
  ): cloudwatch.Dashboard {
    const dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: prefix,
      defaultInterval: Duration.hours(3),
    });
    dashboard.addWidgets(
      new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: this.alarms, width: 24, height: 4 }),
    );
    for (const fn of functions) {
      const specs = this.alarmSpecs(fn);
      const handler = (metricName: MetricName, statistic: string) =>
        this.handlerMetric(fn, metricName, statistic);
      dashboard.addWidgets(
        new cloudwatch.TextWidget({ markdown: `## ${fn.domain}`, width: 24, height: 1 }),
        new cloudwatch.GraphWidget({
          title: `${fn.domain}: records`,
          left: [
            handler(METRIC.recordsReceived, cloudwatch.Stats.SUM),
            handler(METRIC.eventsProcessed, cloudwatch.Stats.SUM),
            handler(METRIC.recordsReportedForRetry, cloudwatch.Stats.SUM),
            handler(METRIC.eventsDeadLettered, cloudwatch.Stats.SUM),
          ],
          width: 8,
        }),
        new cloudwatch.GraphWidget({
          title: `${fn.domain}: lag and age`,
          left: [specs['offset-lag'].metric],
          right: [specs['event-age'].metric, handler(METRIC.endToEndLatency, cloudwatch.Stats.p(99))],
          width: 8,
        }),
        new cloudwatch.GraphWidget({
          title: `${fn.domain}: invocations`,
          left: [specs['error-rate'].metric],
          right: [specs.duration.metric, specs.throttles.metric],
          width: 8,
        }),
      );
    }
    // The platform's alarmed metrics: one graph per resource the stack creates.
    const metrics = (kinds: readonly PlatformAlarmKind[]) =>
      platformSpecs.filter((spec) => kinds.includes(spec.kind)).map((spec) => spec.metric);
    const graphs: [string, PlatformAlarmKind[], PlatformAlarmKind[]][] = [
      ['MySQL: CPU (%) and connections', ['database-cpu'], ['database-connections']],
      ['MySQL: free storage (bytes)', ['database-free-storage'], []],
      ['RDS Proxy: connection borrow latency (µs)', ['proxy-borrow-latency'], []],
      [
        'MSK: data disk used (%); active controller, offline partitions',
        ['kafka-disk-used'],
        ['kafka-active-controller', 'kafka-offline-partitions'],
      ],
    ];
    const platformWidgets = graphs
      .filter(([, left]) => metrics(left).length > 0)
      .map(
        ([title, left, right]) =>
          new cloudwatch.GraphWidget({ title, left: metrics(left), right: metrics(right), width: 6 }),
      );
    if (platformWidgets.length > 0) {
      dashboard.addWidgets(
        new cloudwatch.TextWidget({ markdown: '## platform', width: 24, height: 1 }),
        ...platformWidgets,
      );
    }
    return dashboard;
  }
}
