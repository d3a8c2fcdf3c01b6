/**
 * Alarms, the SNS topic they notify and the environment's dashboard. Per function: error rate,
 * Kafka offset lag, event age (the handler's own metric: Lambda emits no IteratorAge for Kafka),
 * throttles, duration near the timeout, dead letters, records given up to the on-failure topic,
 * and records dropped outright. infra/README.md maps each alarm to its runbook action.
 */
import { Duration, type RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import type { EnvironmentConfig } from '../config/environment-schema.ts';
import type { DomainFunction } from './domain-function.ts';

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
] as const;
export type AlarmKind = (typeof ALARM_KINDS)[number];

export interface MonitoringProps {
  readonly prefix: string;
  readonly settings: EnvironmentConfig['alarms'];
  readonly functions: readonly DomainFunction[];
  readonly removalPolicy: RemovalPolicy;
}

interface AlarmSpec {
  readonly metric: cloudwatch.IMetric;
  readonly threshold: number;
  readonly description: string;
}

export class Monitoring extends Construct {
  readonly alarmTopic: sns.Topic;
  readonly dashboard: cloudwatch.Dashboard;
  readonly alarms: cloudwatch.Alarm[] = [];

  private readonly settings: EnvironmentConfig['alarms'];
  private readonly period: Duration;

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    this.settings = props.settings;
    this.period = Duration.seconds(props.settings.periodSeconds);

    // A customer-managed key, because CloudWatch may not use the AWS-managed SNS key.
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
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
    );
    this.alarmTopic = new sns.Topic(this, 'AlarmTopic', {
      topicName: `${props.prefix}-alarms`,
      displayName: `${props.prefix} alarms`,
      masterKey: topicKey,
      enforceSSL: true,
    });
    for (const email of props.settings.notificationEmails) {
      this.alarmTopic.addSubscription(new subscriptions.EmailSubscription(email));
    }

    const action = new cloudwatchActions.SnsAction(this.alarmTopic);
    for (const fn of props.functions) {
      for (const [kind, spec] of Object.entries(this.alarmSpecs(fn)) as [AlarmKind, AlarmSpec][]) {
        const alarm = new cloudwatch.Alarm(this, `${fn.domain}-${kind}`, {
          alarmName: `${props.prefix}-${fn.domain}-${kind}`,
          alarmDescription: `${spec.description} Runbook: infra/README.md#${kind}`,
          metric: spec.metric,
          threshold: spec.threshold,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
          evaluationPeriods: this.settings.evaluationPeriods,
          datapointsToAlarm: this.settings.datapointsToAlarm,
          // Idle topics publish nothing; silence is not an incident.
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        });
        alarm.addAlarmAction(action);
        alarm.addOkAction(action);
        this.alarms.push(alarm);
      }
    }

    this.dashboard = this.buildDashboard(props.prefix, props.functions);
  }

  private alarmSpecs(fn: DomainFunction): Record<AlarmKind, AlarmSpec> {
    const s = this.settings;
    const lambdaMetric = (metricName: string, statistic: string) =>
      fn.function.metric(metricName, { statistic, period: this.period });
    const mappingMetric = (metricName: string) =>
      new cloudwatch.Metric({
        namespace: 'AWS/Lambda',
        metricName,
        dimensionsMap: { EventSourceMappingUUID: fn.eventSourceMapping.attrId },
        statistic: cloudwatch.Stats.SUM,
        period: this.period,
      });
    const handlerMetric = (metricName: string, statistic: string) =>
      this.handlerMetric(fn, metricName, statistic);
    const timeoutMs = fn.timeout.toMilliseconds();

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
        metric: handlerMetric('EventAgeMs', cloudwatch.Stats.MAXIMUM),
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
        metric: handlerMetric('EventsDeadLettered', cloudwatch.Stats.SUM),
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
    };
  }

  /** A metric the handler emits (EMF), for one function. */
  private handlerMetric(fn: DomainFunction, metricName: string, statistic: string): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: fn.metricsNamespace,
      metricName,
      dimensionsMap: { function: fn.domain },
      statistic,
      period: this.period,
    });
  }

  private buildDashboard(prefix: string, functions: readonly DomainFunction[]): cloudwatch.Dashboard {
    const dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: prefix,
      defaultInterval: Duration.hours(3),
    });
    dashboard.addWidgets(
      new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: this.alarms, width: 24, height: 4 }),
    );
    for (const fn of functions) {
      const specs = this.alarmSpecs(fn);
      const handler = (metricName: string, statistic: string) =>
        this.handlerMetric(fn, metricName, statistic);
      dashboard.addWidgets(
        new cloudwatch.TextWidget({ markdown: `## ${fn.domain}`, width: 24, height: 1 }),
        new cloudwatch.GraphWidget({
          title: `${fn.domain}: records`,
          left: [
            handler('RecordsReceived', cloudwatch.Stats.SUM),
            handler('EventsProcessed', cloudwatch.Stats.SUM),
            handler('RecordsReportedForRetry', cloudwatch.Stats.SUM),
            handler('EventsDeadLettered', cloudwatch.Stats.SUM),
          ],
          width: 8,
        }),
        new cloudwatch.GraphWidget({
          title: `${fn.domain}: lag and age`,
          left: [specs['offset-lag'].metric],
          right: [specs['event-age'].metric, handler('EndToEndLatencyMs', cloudwatch.Stats.p(99))],
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
    return dashboard;
  }
}
