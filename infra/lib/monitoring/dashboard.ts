/**
 * The environment's dashboard (named `<prefix>`): the alarms' states, then one segment per domain
 * function (records, lag and age, invocations) and one for the platform's alarmed metrics.
 */
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type { Construct } from 'constructs';
import { METRIC, type MetricName } from '../../../shared/observability/metrics.ts';
import type { DomainFunction } from '../domain-function.ts';
import type { FunctionAlarmSpecs, PlatformAlarmKind, PlatformAlarmSpec } from './alarms.ts';
import type { FunctionMetricFactory } from './metrics.ts';

/** What the dashboard shows of one function: its metrics and its alarms' specs. */
export interface FunctionSegment {
  readonly fn: DomainFunction;
  readonly metrics: FunctionMetricFactory;
  readonly alarms: FunctionAlarmSpecs;
}

export interface DashboardProps {
  readonly prefix: string;
  readonly alarms: readonly cloudwatch.IAlarm[];
  readonly functions: readonly FunctionSegment[];
  readonly platformAlarms: readonly PlatformAlarmSpec[];
}

export function buildDashboard(scope: Construct, props: DashboardProps): cloudwatch.Dashboard {
  const dashboard = new cloudwatch.Dashboard(scope, 'Dashboard', {
    dashboardName: props.prefix,
    defaultInterval: Duration.hours(3),
  });
  dashboard.addWidgets(
    new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: [...props.alarms], width: 24, height: 4 }),
  );
  for (const segment of props.functions) dashboard.addWidgets(...functionWidgets(segment));
  const platform = platformWidgets(props.platformAlarms);
  if (platform.length > 0) dashboard.addWidgets(...platform);
  return dashboard;
}

function functionWidgets({ fn, metrics, alarms }: FunctionSegment): cloudwatch.IWidget[] {
  const sum = (metricName: MetricName) => metrics.handler(metricName, cloudwatch.Stats.SUM);
  return [
    new cloudwatch.TextWidget({ markdown: `## ${fn.domain}`, width: 24, height: 1 }),
    new cloudwatch.GraphWidget({
      title: `${fn.domain}: records`,
      left: [
        sum(METRIC.recordsReceived),
        sum(METRIC.eventsProcessed),
        sum(METRIC.recordsReportedForRetry),
        sum(METRIC.eventsDeadLettered),
      ],
      width: 8,
    }),
    new cloudwatch.GraphWidget({
      title: `${fn.domain}: lag and age`,
      left: [alarms['offset-lag'].metric],
      right: [alarms['event-age'].metric, metrics.handler(METRIC.endToEndLatency, cloudwatch.Stats.p(99))],
      width: 8,
    }),
    new cloudwatch.GraphWidget({
      title: `${fn.domain}: invocations`,
      left: [alarms['error-rate'].metric],
      right: [alarms.duration.metric, alarms.throttles.metric],
      width: 8,
    }),
  ];
}

/** The platform's alarmed metrics: one graph per resource the stack creates, none without any. */
function platformWidgets(specs: readonly PlatformAlarmSpec[]): cloudwatch.IWidget[] {
  const metrics = (kinds: readonly PlatformAlarmKind[]) =>
    specs.filter((spec) => kinds.includes(spec.kind)).map((spec) => spec.metric);
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
  const widgets = graphs
    .filter(([, left]) => metrics(left).length > 0)
    .map(
      ([title, left, right]) =>
        new cloudwatch.GraphWidget({ title, left: metrics(left), right: metrics(right), width: 6 }),
    );
  if (widgets.length === 0) return [];
  return [new cloudwatch.TextWidget({ markdown: '## platform', width: 24, height: 1 }), ...widgets];
}
