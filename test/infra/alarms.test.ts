/**
 * One test per alarm kind: its metric (namespace, name, dimensions, statistic), period,
 * threshold, comparison and SNS actions, for every domain, with prod's thresholds. Plus the
 * alarm topic and the dashboard.
 */
import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { environmentConfig } from '../../infra/config/environments.ts';
import { DOMAINS } from '../../infra/config/event-sources.ts';
import { ALARM_KINDS } from '../../infra/lib/monitoring.ts';
import { SYNTH_TIMEOUT_MS, type SynthesizedEnvironment, synthesize } from './synthesize.ts';

const config = environmentConfig('prod');
const alarms = config.alarms;
let prod: SynthesizedEnvironment;

beforeAll(async () => {
  prod = await synthesize('prod');
}, SYNTH_TIMEOUT_MS);

interface AlarmProperties {
  AlarmName: string;
  MetricName?: string;
  Namespace?: string;
  Dimensions?: { Name: string; Value: unknown }[];
  Statistic?: string;
  ExtendedStatistic?: string;
  Period?: number;
  Metrics?: {
    Id: string;
    Expression?: string;
    MetricStat?: { Metric: { MetricName: string; Namespace: string }; Period: number; Stat: string };
  }[];
  Threshold: number;
  ComparisonOperator: string;
  EvaluationPeriods: number;
  DatapointsToAlarm: number;
  TreatMissingData: string;
  AlarmActions: unknown[];
  OKActions: unknown[];
}

function alarm(domain: string, kind: string): AlarmProperties {
  const name = `lambda-realtime-prod-${domain}-${kind}`;
  const found = Object.values(
    prod.template.findResources('AWS::CloudWatch::Alarm', { Properties: { AlarmName: name } }),
  );
  expect(found, name).toHaveLength(1);
  return (found[0] as { Properties: AlarmProperties }).Properties;
}

/** The logical id a `{Ref}`/`{Fn::GetAtt}` points at. */
function target(value: unknown): string {
  const v = value as { Ref?: string; 'Fn::GetAtt'?: [string, string] };
  return v.Ref ?? v['Fn::GetAtt']?.[0] ?? '';
}

function expectCommon(a: AlarmProperties): void {
  expect(a.ComparisonOperator).toBe('GreaterThanThreshold');
  expect(a.EvaluationPeriods).toBe(alarms.evaluationPeriods);
  expect(a.DatapointsToAlarm).toBe(alarms.datapointsToAlarm);
  expect(a.TreatMissingData).toBe('notBreaching');
  expect(a.AlarmActions.map(target)).toEqual([expect.stringMatching(/^MonitoringAlarmTopic/)]);
  expect(a.OKActions.map(target)).toEqual([expect.stringMatching(/^MonitoringAlarmTopic/)]);
}

function expectFunctionDimension(a: AlarmProperties, domain: string): void {
  expect(a.Dimensions).toEqual([
    { Name: 'FunctionName', Value: { Ref: expect.stringMatching(`^${domain}Function`) } },
  ]);
}

function expectMappingDimension(a: AlarmProperties, domain: string): void {
  expect(a.Dimensions).toEqual([
    {
      Name: 'EventSourceMappingUUID',
      Value: { 'Fn::GetAtt': [expect.stringMatching(`^${domain}KafkaEventSource`), 'Id'] },
    },
  ]);
}

describe('prod alarms', () => {
  it('has every alarm kind for every domain and nothing else', () => {
    prod.template.resourceCountIs('AWS::CloudWatch::Alarm', DOMAINS.length * ALARM_KINDS.length);
  });

  it.each(DOMAINS)('%s error-rate: Errors / Invocations metric math, in percent', (domain) => {
    const a = alarm(domain, 'error-rate');
    expectCommon(a);
    expect(a.Threshold).toBe(alarms.errorRatePercent);
    const expression = a.Metrics?.find((m) => m.Expression);
    expect(expression?.Expression).toBe('IF(invocations > 0, 100 * errors / invocations, 0)');
    const byId = Object.fromEntries((a.Metrics ?? []).map((m) => [m.Id, m.MetricStat]));
    for (const [id, metricName] of [
      ['errors', 'Errors'],
      ['invocations', 'Invocations'],
    ] as const) {
      expect(byId[id]).toMatchObject({
        Metric: { Namespace: 'AWS/Lambda', MetricName: metricName },
        Period: alarms.periodSeconds,
        Stat: 'Sum',
      });
    }
  });

  it.each(DOMAINS)('%s offset-lag: Lambda OffsetLag, Maximum', (domain) => {
    const a = alarm(domain, 'offset-lag');
    expectCommon(a);
    expect(a).toMatchObject({
      Namespace: 'AWS/Lambda',
      MetricName: 'OffsetLag',
      Statistic: 'Maximum',
      Period: alarms.periodSeconds,
      Threshold: alarms.maxOffsetLag,
    });
    expectFunctionDimension(a, domain);
  });

  it.each(DOMAINS)('%s event-age: the handler EventAgeMs metric, Maximum, in ms', (domain) => {
    const a = alarm(domain, 'event-age');
    expectCommon(a);
    expect(a).toMatchObject({
      Namespace: 'lambda-realtime/prod',
      MetricName: 'EventAgeMs',
      Dimensions: [{ Name: 'function', Value: domain }],
      Statistic: 'Maximum',
      Period: alarms.periodSeconds,
      Threshold: alarms.maxEventAgeSeconds * 1000,
    });
  });

  it.each(DOMAINS)('%s throttles: Lambda Throttles, Sum', (domain) => {
    const a = alarm(domain, 'throttles');
    expectCommon(a);
    expect(a).toMatchObject({
      Namespace: 'AWS/Lambda',
      MetricName: 'Throttles',
      Statistic: 'Sum',
      Period: alarms.periodSeconds,
      Threshold: alarms.throttles,
    });
    expectFunctionDimension(a, domain);
  });

  it.each(DOMAINS)('%s duration: Maximum Duration near the timeout', (domain) => {
    const a = alarm(domain, 'duration');
    expectCommon(a);
    expect(a).toMatchObject({
      Namespace: 'AWS/Lambda',
      MetricName: 'Duration',
      Statistic: 'Maximum',
      Period: alarms.periodSeconds,
      Threshold: (config.functions.timeoutSeconds * 1000 * alarms.durationPercentOfTimeout) / 100,
    });
    expectFunctionDimension(a, domain);
  });

  it.each(DOMAINS)('%s dead-letters: the handler EventsDeadLettered metric, Sum', (domain) => {
    const a = alarm(domain, 'dead-letters');
    expectCommon(a);
    expect(a).toMatchObject({
      Namespace: 'lambda-realtime/prod',
      MetricName: 'EventsDeadLettered',
      Dimensions: [{ Name: 'function', Value: domain }],
      Statistic: 'Sum',
      Period: alarms.periodSeconds,
      Threshold: alarms.deadLetters,
    });
  });

  it.each(DOMAINS)('%s on-failure-deliveries: any record given up to the on-failure topic', (domain) => {
    const a = alarm(domain, 'on-failure-deliveries');
    expectCommon(a);
    expect(a).toMatchObject({
      Namespace: 'AWS/Lambda',
      MetricName: 'OnFailureDestinationDeliveredEventCount',
      Statistic: 'Sum',
      Period: alarms.periodSeconds,
      Threshold: 0,
    });
    expectMappingDimension(a, domain);
  });

  it.each(DOMAINS)('%s dropped-records: any record dropped by the mapping', (domain) => {
    const a = alarm(domain, 'dropped-records');
    expectCommon(a);
    expect(a).toMatchObject({
      Namespace: 'AWS/Lambda',
      MetricName: 'DroppedEventCount',
      Statistic: 'Sum',
      Period: alarms.periodSeconds,
      Threshold: 0,
    });
    expectMappingDimension(a, domain);
  });
});

describe('alarm topic and dashboard', () => {
  it('encrypts the alarm topic with a rotated key CloudWatch may use, and requires TLS', () => {
    prod.template.hasResourceProperties('AWS::SNS::Topic', {
      TopicName: 'lambda-realtime-prod-alarms',
      KmsMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^MonitoringAlarmTopicKey'), 'Arn'] },
    });
    const [key] = Object.values(prod.template.findResources('AWS::KMS::Key')) as {
      Properties: {
        EnableKeyRotation: boolean;
        KeyPolicy: { Statement: { Principal?: { Service?: string } }[] };
      };
    }[];
    expect(key?.Properties.EnableKeyRotation).toBe(true);
    expect(key?.Properties.KeyPolicy.Statement.map((s) => s.Principal?.Service)).toContain(
      'cloudwatch.amazonaws.com',
    );
    const policies = JSON.stringify(prod.template.findResources('AWS::SNS::TopicPolicy'));
    expect(policies).toContain('aws:SecureTransport');
  });

  it('has one dashboard named after the environment', () => {
    prod.template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    prod.template.hasResourceProperties('AWS::CloudWatch::Dashboard', {
      DashboardName: 'lambda-realtime-prod',
    });
  });

  it("uses each environment's own thresholds", async () => {
    const dev = await synthesize('dev');
    const devAlarms = environmentConfig('dev').alarms;
    dev.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'lambda-realtime-dev-order-offset-lag',
      Threshold: devAlarms.maxOffsetLag,
      Period: devAlarms.periodSeconds,
    });
    expect(devAlarms.maxOffsetLag).not.toBe(alarms.maxOffsetLag);
  });
});
