/**
 * One test per alarm kind: its metric (namespace, name, dimensions, statistic), period,
 * threshold, comparison and SNS actions, for every domain, with prod's thresholds; the same for
 * each platform alarm (RDS, RDS Proxy, MSK), and none for what the stack imports. Plus the alarm
 * topic and the dashboard.
 */
import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { environmentConfig } from '../../infra/config/environments.ts';
import { DOMAINS } from '../../infra/config/event-sources.ts';
import { ALARM_KINDS } from '../../infra/lib/monitoring/alarms.ts';
import { ROTATION_FAILED_RULE } from '../../infra/lib/monitoring/notifications.ts';
import { FUNCTION_DIMENSION, METRIC } from '../../shared/observability/metrics.ts';
import { IMPORTED_RESOURCES } from './imported-resources.ts';
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

/** prod's alarm `lambda-realtime-prod-<suffix>`. */
function alarmNamed(suffix: string): AlarmProperties {
  const name = `lambda-realtime-prod-${suffix}`;
  const found = Object.values(
    prod.template.findResources('AWS::CloudWatch::Alarm', { Properties: { AlarmName: name } }),
  );
  expect(found, name).toHaveLength(1);
  return (found[0] as { Properties: AlarmProperties }).Properties;
}

function alarm(domain: string, kind: string): AlarmProperties {
  return alarmNamed(`${domain}-${kind}`);
}

/** The alarm names of a template, without the environment prefix. */
function alarmNames(env: SynthesizedEnvironment, prefix: string): string[] {
  return Object.values(env.template.findResources('AWS::CloudWatch::Alarm')).map((r) =>
    (r as { Properties: AlarmProperties }).Properties.AlarmName.slice(prefix.length + 1),
  );
}

/** The logical id a `{Ref}`/`{Fn::GetAtt}` points at. */
function target(value: unknown): string {
  const v = value as { Ref?: string; 'Fn::GetAtt'?: [string, string] };
  return v.Ref ?? v['Fn::GetAtt']?.[0] ?? '';
}

interface PolicyStatement {
  Effect: string;
  Principal?: unknown;
  Action: string | string[];
  Resource?: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}

function expectActions(a: AlarmProperties): void {
  expect(a.AlarmActions.map(target)).toEqual([expect.stringMatching(/^MonitoringAlarmTopic/)]);
  expect(a.OKActions.map(target)).toEqual([expect.stringMatching(/^MonitoringAlarmTopic/)]);
}

function expectCommon(a: AlarmProperties, comparison = 'GreaterThanThreshold'): void {
  expect(a.ComparisonOperator).toBe(comparison);
  expect(a.EvaluationPeriods).toBe(alarms.evaluationPeriods);
  expect(a.DatapointsToAlarm).toBe(alarms.datapointsToAlarm);
  expect(a.TreatMissingData).toBe('notBreaching');
  expectActions(a);
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

/** prod's platform alarms: MySQL and its proxy, and one disk alarm per broker of the cluster. */
const brokers = config.kafka.mode === 'create' ? config.kafka.brokersPerZone * 3 : 0;
const PLATFORM_ALARMS = [
  'database-cpu',
  'database-free-storage',
  'database-connections',
  'proxy-borrow-latency',
  ...Array.from({ length: brokers }, (_, i) => `kafka-disk-used-broker-${i + 1}`),
  'kafka-active-controller',
  'kafka-offline-partitions',
];

describe('prod alarms', () => {
  it('has every alarm kind for every domain, the platform alarms and nothing else', () => {
    expect(brokers).toBe(3);
    prod.template.resourceCountIs(
      'AWS::CloudWatch::Alarm',
      DOMAINS.length * ALARM_KINDS.length + PLATFORM_ALARMS.length,
    );
    expect(alarmNames(prod, 'lambda-realtime-prod')).toEqual(expect.arrayContaining(PLATFORM_ALARMS));
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

  it.each([
    ['polling-errors', 'PollingErrorCount'],
    ['commit-errors', 'CommitErrorCount'],
    ['on-failure-delivery-errors', 'OnFailureDestinationDeliveryErrorCount'],
  ])("%s: the mapping's %s (ErrorCount metrics), any, per mapping", (kind, metricName) => {
    for (const domain of DOMAINS) {
      const a = alarm(domain, kind);
      expectCommon(a);
      expect(a).toMatchObject({
        Namespace: 'AWS/Lambda',
        MetricName: metricName,
        Statistic: 'Sum',
        Period: alarms.periodSeconds,
        Threshold: 0,
      });
      expectMappingDimension(a, domain);
    }
  });

  it.each(DOMAINS)(
    '%s stalled-consumer: no PolledEventCount (emitted on every poll, empty ones as 0) for stalledConsumerMinutes, missing data breaching',
    (domain) => {
      const a = alarm(domain, 'stalled-consumer');
      const periods = (alarms.stalledConsumerMinutes * 60) / alarms.periodSeconds;
      expect(a).toMatchObject({
        Namespace: 'AWS/Lambda',
        MetricName: 'PolledEventCount',
        // A datapoint exists for every poll, whatever its count: an idle topic does not alarm.
        Statistic: 'SampleCount',
        Period: alarms.periodSeconds,
        Threshold: 1,
        ComparisonOperator: 'LessThanThreshold',
        EvaluationPeriods: periods,
        DatapointsToAlarm: periods,
        TreatMissingData: 'breaching',
      });
      expect(periods * alarms.periodSeconds).toBeGreaterThanOrEqual(2 * config.functions.timeoutSeconds);
      expectMappingDimension(a, domain);
      expectActions(a);
    },
  );

  it.each(DOMAINS)(
    '%s database-config-errors: the handler DatabaseConfigErrors metric; any value pages at once',
    (domain) => {
      const a = alarm(domain, 'database-config-errors');
      expect(a).toMatchObject({
        Namespace: 'lambda-realtime/prod',
        MetricName: METRIC.databaseConfigErrors,
        Dimensions: [{ Name: FUNCTION_DIMENSION, Value: domain }],
        Statistic: 'Sum',
        Period: alarms.periodSeconds,
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
        EvaluationPeriods: 1,
        DatapointsToAlarm: 1,
        TreatMissingData: 'notBreaching',
      });
      expectActions(a);
    },
  );

  it.each(DOMAINS)(
    "%s: every alarm on a handler metric reads what the handler publishes — its function's Powertools namespace, dimension `function` alone",
    (domain) => {
      const fn = Object.values(
        prod.template.findResources('AWS::Lambda::Function', {
          Properties: { FunctionName: `lambda-realtime-prod-${domain}` },
        }),
      )[0] as { Properties: { Environment: { Variables: Record<string, unknown> } } };
      const namespace = fn.Properties.Environment.Variables.POWERTOOLS_METRICS_NAMESPACE;
      expect(namespace).toBe('lambda-realtime/prod');
      const handlerAlarms = ALARM_KINDS.map((kind) => alarm(domain, kind)).filter(
        (a) => a.MetricName && (Object.values(METRIC) as string[]).includes(a.MetricName),
      );
      expect(handlerAlarms.map((a) => a.MetricName).sort()).toEqual([
        'DatabaseConfigErrors',
        'EventAgeMs',
        'EventsDeadLettered',
      ]);
      for (const a of handlerAlarms) {
        expect(a.Namespace).toBe(namespace);
        // The one dimension set every handler metric is published under (test/unit/pipeline/handler.test.ts).
        expect(a.Dimensions).toEqual([{ Name: FUNCTION_DIMENSION, Value: domain }]);
      }
    },
  );
});

function expectInstanceDimension(a: AlarmProperties): void {
  expect(a.Dimensions).toEqual([
    { Name: 'DBInstanceIdentifier', Value: { Ref: expect.stringMatching(/^DatabaseInstance[0-9A-F]{8}$/) } },
  ]);
}

describe('prod platform alarms', () => {
  it('database-cpu: RDS CPUUtilization, Average, in percent', () => {
    const a = alarmNamed('database-cpu');
    expectCommon(a);
    expect(a).toMatchObject({
      Namespace: 'AWS/RDS',
      MetricName: 'CPUUtilization',
      Statistic: 'Average',
      Period: alarms.periodSeconds,
      Threshold: alarms.databaseCpuPercent,
    });
    expectInstanceDimension(a);
  });

  it('database-free-storage: RDS FreeStorageSpace, Minimum, below the threshold in bytes', () => {
    const a = alarmNamed('database-free-storage');
    expectCommon(a, 'LessThanThreshold');
    expect(a).toMatchObject({
      Namespace: 'AWS/RDS',
      MetricName: 'FreeStorageSpace',
      Statistic: 'Minimum',
      Period: alarms.periodSeconds,
      Threshold: alarms.databaseFreeStorageGiB * 1024 ** 3,
    });
    expectInstanceDimension(a);
  });

  it('database-connections: RDS DatabaseConnections, Maximum', () => {
    const a = alarmNamed('database-connections');
    expectCommon(a);
    expect(a).toMatchObject({
      Namespace: 'AWS/RDS',
      MetricName: 'DatabaseConnections',
      Statistic: 'Maximum',
      Period: alarms.periodSeconds,
      Threshold: alarms.databaseConnections,
    });
    expectInstanceDimension(a);
  });

  it('proxy-borrow-latency: RDS Proxy DatabaseConnectionsBorrowLatency, Average, in µs', () => {
    const a = alarmNamed('proxy-borrow-latency');
    expectCommon(a);
    expect(a).toMatchObject({
      Namespace: 'AWS/RDS',
      MetricName: 'DatabaseConnectionsBorrowLatency',
      Statistic: 'Average',
      Period: alarms.periodSeconds,
      Threshold: alarms.proxyBorrowLatencyMs * 1000,
    });
    expect(a.Dimensions).toEqual([
      { Name: 'ProxyName', Value: { Ref: expect.stringMatching(/^DatabaseInstanceProxy[0-9A-F]{8}$/) } },
    ]);
  });

  it.each([1, 2, 3])(
    'kafka-disk-used-broker-%i: MSK KafkaDataLogsDiskUsed of that broker, Maximum',
    (broker) => {
      const a = alarmNamed(`kafka-disk-used-broker-${broker}`);
      expectCommon(a);
      expect(a).toMatchObject({
        Namespace: 'AWS/Kafka',
        MetricName: 'KafkaDataLogsDiskUsed',
        Statistic: 'Maximum',
        Period: alarms.periodSeconds,
        Threshold: alarms.kafkaDiskUsedPercent,
      });
      expect(a.Dimensions).toEqual(
        expect.arrayContaining([
          { Name: 'Cluster Name', Value: 'lambda-realtime-prod' },
          { Name: 'Broker ID', Value: String(broker) },
        ]),
      );
      expect(a.Dimensions).toHaveLength(2);
    },
  );

  it('kafka-active-controller: MSK ActiveControllerCount of the cluster, Maximum, below 1', () => {
    const a = alarmNamed('kafka-active-controller');
    expectCommon(a, 'LessThanThreshold');
    expect(a).toMatchObject({
      Namespace: 'AWS/Kafka',
      MetricName: 'ActiveControllerCount',
      Dimensions: [{ Name: 'Cluster Name', Value: 'lambda-realtime-prod' }],
      Statistic: 'Maximum',
      Period: alarms.periodSeconds,
      Threshold: 1,
    });
  });

  it('kafka-offline-partitions: MSK OfflinePartitionsCount of the cluster, any', () => {
    const a = alarmNamed('kafka-offline-partitions');
    expectCommon(a);
    expect(a).toMatchObject({
      Namespace: 'AWS/Kafka',
      MetricName: 'OfflinePartitionsCount',
      Dimensions: [{ Name: 'Cluster Name', Value: 'lambda-realtime-prod' }],
      Statistic: 'Maximum',
      Period: alarms.periodSeconds,
      Threshold: 0,
    });
  });

  it('skips the Kafka alarms when the cluster is imported, keeping the database ones', async () => {
    const imported = await synthesize('prod', IMPORTED_RESOURCES);
    const names = alarmNames(imported, 'lambda-realtime-prod');
    expect(names.filter((n) => n.startsWith('kafka-'))).toEqual([]);
    expect(names).toEqual(expect.arrayContaining(['database-cpu', 'proxy-borrow-latency']));
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

  it('lets CloudWatch publish to the topic, only for this stack alarms in this account', () => {
    const policies = Object.values(prod.template.findResources('AWS::SNS::TopicPolicy')) as {
      Properties: { PolicyDocument: { Statement: PolicyStatement[] }; Topics: unknown[] };
    }[];
    expect(policies).toHaveLength(1);
    const { PolicyDocument, Topics } = (policies[0] as (typeof policies)[number]).Properties;
    expect(Topics.map(target)).toEqual([expect.stringMatching(/^MonitoringAlarmTopic/)]);
    // The topic policy replaces SNS's default one: without an Allow nothing may publish.
    const allow = PolicyDocument.Statement.filter((st) => st.Effect === 'Allow');
    expect(allow).toHaveLength(1);
    expect(allow[0]).toMatchObject({
      Principal: { Service: 'cloudwatch.amazonaws.com' },
      Action: 'sns:Publish',
      Resource: { Ref: expect.stringMatching(/^MonitoringAlarmTopic/) },
      Condition: {
        StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
        ArnLike: { 'aws:SourceArn': expect.anything() },
      },
    });
    const sourceArn = JSON.stringify(allow[0]?.Condition?.ArnLike?.['aws:SourceArn']);
    expect(sourceArn).toContain(':cloudwatch:eu-west-1:');
    expect(sourceArn).toContain(':alarm:lambda-realtime-prod-*');
    // Every alarm of the stack matches that pattern.
    const names = Object.values(prod.template.findResources('AWS::CloudWatch::Alarm')).map(
      (r) => (r as { Properties: AlarmProperties }).Properties.AlarmName,
    );
    expect(names.length).toBeGreaterThan(0);
    for (const name of names) expect(name).toMatch(/^lambda-realtime-prod-/);
    // TLS stays required.
    expect(PolicyDocument.Statement).toContainEqual(
      expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
    );
  });

  it('lets CloudWatch use the topic key: kms:Decrypt and kms:GenerateDataKey*, from this account', () => {
    const [key] = Object.values(prod.template.findResources('AWS::KMS::Key')) as {
      Properties: { KeyPolicy: { Statement: PolicyStatement[] } };
    }[];
    const statement = key?.Properties.KeyPolicy.Statement.find(
      (st) => (st.Principal as { Service?: string } | undefined)?.Service === 'cloudwatch.amazonaws.com',
    );
    expect(statement).toMatchObject({
      Effect: 'Allow',
      Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
      Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
    });
  });

  it('sends failed rotations of the database secrets to the alarm topic, through a role of its own', () => {
    const rules = Object.values(prod.template.findResources('AWS::Events::Rule')) as {
      Properties: {
        Name: string;
        EventPattern: unknown;
        Targets: { Arn: unknown; RoleArn: unknown; InputTransformer: { InputTemplate: string } }[];
      };
    }[];
    expect(rules).toHaveLength(1);
    const rule = (rules[0] as (typeof rules)[number]).Properties;
    expect(rule.Name).toBe(`lambda-realtime-prod-${ROTATION_FAILED_RULE}`);
    expect(rule.EventPattern).toEqual({
      source: ['aws.secretsmanager'],
      'detail-type': ['AWS Service Event via CloudTrail'],
      detail: {
        eventSource: ['secretsmanager.amazonaws.com'],
        eventName: ['RotationFailed'],
        // The attachments' Refs are the secrets' ARNs: master, app and migrator users.
        additionalEventData: {
          SecretId: [
            { Ref: expect.stringMatching(/^DatabaseInstanceSecretAttachment/) },
            { Ref: expect.stringMatching(/^DatabaseAppSecretAttachment/) },
            { Ref: expect.stringMatching(/^DatabaseMigratorSecretAttachment/) },
          ],
        },
      },
    });
    expect(rule.Targets).toHaveLength(1);
    const [ruleTarget] = rule.Targets;
    expect(target(ruleTarget?.Arn)).toMatch(/^MonitoringAlarmTopic/);
    expect(ruleTarget?.InputTransformer.InputTemplate).toContain(`infra/README.md#${ROTATION_FAILED_RULE}`);
    // The role may publish to the topic and use its key, nothing else.
    const roleId = target(ruleTarget?.RoleArn);
    prod.template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [Match.objectLike({ Principal: { Service: 'events.amazonaws.com' } })],
      },
    });
    const policies = Object.values(
      prod.template.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: roleId }] } }),
    ) as { Properties: { PolicyDocument: { Statement: PolicyStatement[] } } }[];
    expect(policies).toHaveLength(1);
    const statements = policies[0]?.Properties.PolicyDocument.Statement ?? [];
    expect(statements.map((st) => [st.Action, target(st.Resource)])).toEqual([
      ['sns:Publish', expect.stringMatching(/^MonitoringAlarmTopic/)],
      [['kms:Decrypt', 'kms:GenerateDataKey*'], expect.stringMatching(/^MonitoringAlarmTopicKey/)],
    ]);
  });

  it('has one dashboard named after the environment', () => {
    prod.template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    prod.template.hasResourceProperties('AWS::CloudWatch::Dashboard', {
      DashboardName: 'lambda-realtime-prod',
    });
  });

  it('graphs the platform metrics on the dashboard', () => {
    const body = JSON.stringify(prod.template.findResources('AWS::CloudWatch::Dashboard'));
    for (const text of [
      '## platform',
      'CPUUtilization',
      'FreeStorageSpace',
      'DatabaseConnectionsBorrowLatency',
      'KafkaDataLogsDiskUsed',
      'ActiveControllerCount',
      'OfflinePartitionsCount',
    ]) {
      expect(body).toContain(text);
    }
  });

  it("uses each environment's own thresholds, and no proxy alarm without a proxy", async () => {
    const dev = await synthesize('dev');
    const devAlarms = environmentConfig('dev').alarms;
    dev.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'lambda-realtime-dev-order-offset-lag',
      Threshold: devAlarms.maxOffsetLag,
      Period: devAlarms.periodSeconds,
    });
    expect(devAlarms.maxOffsetLag).not.toBe(alarms.maxOffsetLag);
    dev.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'lambda-realtime-dev-database-connections',
      Threshold: devAlarms.databaseConnections,
      Period: devAlarms.periodSeconds,
    });
    expect(devAlarms.databaseConnections).not.toBe(alarms.databaseConnections);
    const names = alarmNames(dev, 'lambda-realtime-dev');
    expect(names).not.toContain('proxy-borrow-latency');
    // 2 zones, 1 broker each.
    expect(names.filter((n) => n.startsWith('kafka-disk-used-'))).toEqual([
      'kafka-disk-used-broker-1',
      'kafka-disk-used-broker-2',
    ]);
  });
});
