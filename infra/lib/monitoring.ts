/**
 * The environment's monitoring: alarms, the topic they notify and the dashboard, put together from
 * infra/lib/monitoring/ — metrics.ts (metric factories), alarms.ts (the alarm kinds and their
 * specs), alarm-factory.ts, dashboard.ts, notifications.ts (topic, key, rotation-failure rule).
 *
 * Per function: error rate, Kafka offset lag, event age (the handler's own metric: Lambda emits no
 * IteratorAge for Kafka), throttles, duration near the timeout, dead letters, records given up to
 * the on-failure topic, records dropped outright, the mapping's polling, commit and
 * failure-destination errors, a mapping that stopped polling at all, and database configuration
 * errors the handler reports. For the platform, only for resources this stack creates: RDS CPU,
 * free storage and connections, RDS Proxy borrow latency, MSK data disk per broker, active
 * controller and offline partitions. infra/README.md maps each alarm to its runbook action.
 */
import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as events from 'aws-cdk-lib/aws-events';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import type { EnvironmentConfig } from '../config/environment-schema.ts';
import type { Database } from './database.ts';
import type { DomainFunction } from './domain-function.ts';
import type { Kafka } from './kafka.ts';
import { AlarmFactory } from './monitoring/alarm-factory.ts';
import { functionAlarmSpecs, platformAlarmSpecs } from './monitoring/alarms.ts';
import { buildDashboard, type FunctionSegment } from './monitoring/dashboard.ts';
import { FunctionMetricFactory } from './monitoring/metrics.ts';
import { alarmTopic, notifyRotationFailures } from './monitoring/notifications.ts';

export interface MonitoringProps {
  readonly prefix: string;
  readonly settings: EnvironmentConfig['alarms'];
  readonly functions: readonly DomainFunction[];
  readonly database: Database;
  readonly kafka: Kafka;
  readonly removalPolicy: RemovalPolicy;
}

export class Monitoring extends Construct {
  readonly alarmTopic: sns.Topic;
  readonly dashboard: cloudwatch.Dashboard;
  readonly alarms: cloudwatch.Alarm[];
  /** Notifies the alarm topic of failed rotations of the database secrets. */
  readonly rotationFailedRule: events.Rule;

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    const { prefix, settings } = props;
    const period = Duration.seconds(settings.periodSeconds);

    this.alarmTopic = alarmTopic(this, {
      prefix,
      notificationEmails: settings.notificationEmails,
      removalPolicy: props.removalPolicy,
    });
    const alarms = new AlarmFactory(this, prefix, settings, new cloudwatchActions.SnsAction(this.alarmTopic));
    const functions: FunctionSegment[] = props.functions.map((fn) => {
      const metrics = new FunctionMetricFactory(fn, period);
      return { fn, metrics, alarms: functionAlarmSpecs(fn, metrics, settings) };
    });
    for (const { fn, alarms: specs } of functions) alarms.addFunctionAlarms(fn, specs);
    const platformAlarms = platformAlarmSpecs(props.database, props.kafka, settings, period);
    alarms.addPlatformAlarms(platformAlarms);
    this.alarms = alarms.alarms;

    this.rotationFailedRule = notifyRotationFailures(this, prefix, this.alarmTopic, props.database);
    this.dashboard = buildDashboard(this, { prefix, alarms: this.alarms, functions, platformAlarms });
  }
}
