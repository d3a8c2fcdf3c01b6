/**
 * The Kafka event source mappings: every setting comes from infra/config/event-sources.ts (the
 * local runner's source too), partial batch responses are on, and no value filter can drop a
 * poison record.
 */
import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { environmentConfig } from '../../infra/config/environments.ts';
import {
  DEFAULT_FAILURE_TOPIC,
  DOMAINS,
  domainTopic,
  eventSources,
  FAILURE_TOPIC_MAX_MESSAGE_BYTES,
  SOURCE_TOPIC_MAX_MESSAGE_BYTES,
  sharedTopic,
} from '../../infra/config/event-sources.ts';
import { topicConfigs } from '../../infra/lib/kafka.ts';
import { failureDocument } from '../../local-esm/on-failure.ts';
import { SYNTH_TIMEOUT_MS, type SynthesizedEnvironment, synthesize } from './synthesize.ts';

const ENVIRONMENTS = ['dev', 'test', 'prod'] as const;
const synthesized = {} as Record<(typeof ENVIRONMENTS)[number], SynthesizedEnvironment>;

beforeAll(async () => {
  for (const env of ENVIRONMENTS) synthesized[env] = await synthesize(env);
}, SYNTH_TIMEOUT_MS);

function mappingOf(env: (typeof ENVIRONMENTS)[number], domain: string): Record<string, unknown> {
  const mappings = synthesized[env].template.findResources('AWS::Lambda::EventSourceMapping', {
    Properties: { FunctionName: { Ref: Match.stringLikeRegexp(`^${domain}Function`) } },
  });
  const [mapping] = Object.values(mappings);
  expect(Object.keys(mappings)).toHaveLength(1);
  return (mapping as { Properties: Record<string, unknown> }).Properties;
}

describe.each(ENVIRONMENTS)('%s event source mappings', (env) => {
  const expected = eventSources(env, environmentConfig(env).eventSources);

  it('has one mapping per domain', () => {
    synthesized[env].template.resourceCountIs('AWS::Lambda::EventSourceMapping', DOMAINS.length);
  });

  it.each(DOMAINS)('%s: built from the shared event-source configuration', (domain) => {
    const settings = expected[domain];
    const mapping = mappingOf(env, domain);
    expect(mapping).toMatchObject({
      EventSourceArn: { 'Fn::GetAtt': [expect.stringMatching(/^KafkaCluster/), 'Arn'] },
      Topics: settings.topics,
      StartingPosition: settings.startingPosition,
      BatchSize: settings.batchSize,
      AmazonManagedKafkaEventSourceConfig: { ConsumerGroupId: `lambda-realtime-${env}-${domain}` },
      ProvisionedPollerConfig: {
        MinimumPollers: settings.provisionedPollers.minimum,
        MaximumPollers: settings.provisionedPollers.maximum,
      },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      MaximumRetryAttempts: settings.maximumRetryAttempts,
      MaximumRecordAgeInSeconds: settings.maximumRecordAgeInSeconds,
      BisectBatchOnFunctionError: settings.bisectBatchOnFunctionError,
      DestinationConfig: { OnFailure: { Destination: `kafka://${settings.onFailureTopic}` } },
      MetricsConfig: { Metrics: ['EventCount', 'ErrorCount', 'KafkaMetrics'] },
    });
    expect(mapping.MaximumBatchingWindowInSeconds).toBe(settings.maximumBatchingWindowInSeconds);
  });

  it('never filters records (a value filter silently drops poison records)', () => {
    for (const domain of DOMAINS) expect(mappingOf(env, domain)).not.toHaveProperty('FilterCriteria');
  });

  it('waits for the topics it reads and writes, and no other', () => {
    const topics = synthesized[env].template.findResources('AWS::MSK::Topic');
    const byName = new Map(
      Object.entries(topics).map(([id, t]) => [
        (t as { Properties: { TopicName: string } }).Properties.TopicName,
        id,
      ]),
    );
    // A topic per domain and the shared on-failure topic.
    expect([...byName.keys()].sort()).toEqual(
      [...DOMAINS.map((domain) => `business-events.${domain}`), 'business-events-failures'].sort(),
    );
    for (const domain of DOMAINS) {
      const [mapping] = Object.values(
        synthesized[env].template.findResources('AWS::Lambda::EventSourceMapping', {
          Properties: { FunctionName: { Ref: Match.stringLikeRegexp(`^${domain}Function`) } },
        }),
      ) as Array<{ DependsOn: string[] }>;
      const own = [`business-events.${domain}`, 'business-events-failures'].map((name) => byName.get(name));
      expect(mapping!.DependsOn.filter((id) => [...byName.values()].includes(id)).sort()).toEqual(own.sort());
    }
  });

  it.each(DOMAINS)('%s: its function knows the domains on its topic (TOPIC_DOMAINS): its own', (domain) => {
    synthesized[env].template.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: `lambda-realtime-${env}-${domain}`,
      Environment: { Variables: Match.objectLike({ TOPIC_DOMAINS: domain }) },
    });
  });
});

describe('the shared topic (sharedTopic())', () => {
  let shared: SynthesizedEnvironment;
  beforeAll(async () => {
    shared = await synthesize('dev', { eventSources: sharedTopic(environmentConfig('dev').eventSources) });
  }, SYNTH_TIMEOUT_MS);

  it('every mapping reads the one topic; each function skips the others’ records', () => {
    const topics = Object.values(shared.template.findResources('AWS::MSK::Topic')).map(
      (t) => (t as { Properties: { TopicName: string } }).Properties.TopicName,
    );
    expect(topics.sort()).toEqual(['business-events', 'business-events-failures']);
    for (const domain of DOMAINS) {
      const [mapping] = Object.values(
        shared.template.findResources('AWS::Lambda::EventSourceMapping', {
          Properties: { FunctionName: { Ref: Match.stringLikeRegexp(`^${domain}Function`) } },
        }),
      ) as Array<{ Properties: { Topics: string[] } }>;
      expect(mapping!.Properties.Topics).toEqual(['business-events']);
      shared.template.hasResourceProperties('AWS::Lambda::Function', {
        FunctionName: `lambda-realtime-dev-${domain}`,
        Environment: {
          Variables: Match.objectLike({
            TOPIC_DOMAINS: [domain, ...DOMAINS.filter((d) => d !== domain)].join(','),
          }),
        },
      });
    }
  });
});

describe('environment differences', () => {
  it('prod batches more and scales pollers further than dev', () => {
    const prod = mappingOf('prod', 'order');
    const dev = mappingOf('dev', 'order');
    expect(prod.BatchSize).toBeGreaterThan(dev.BatchSize as number);
    expect(prod.ProvisionedPollerConfig).toEqual({ MinimumPollers: 2, MaximumPollers: 12 });
    expect(dev.StartingPosition).toBe('LATEST');
    expect(prod.StartingPosition).toBe('TRIM_HORIZON');
  });
});

describe('the on-failure topic', () => {
  it('takes the failure document of the largest record a source topic accepts', () => {
    // The record at the source topics' limit: key and value fill it, with a few headers.
    const key = 'k'.repeat(64);
    const headers: Record<string, number[]>[] = [
      { 'event-domain': [...Buffer.from('order')] },
      { traceparent: [...Buffer.alloc(55, 0x61)] },
    ];
    const valueBytes = SOURCE_TOPIC_MAX_MESSAGE_BYTES - key.length - 200;
    const document = failureDocument(
      {
        record: {
          topic: domainTopic('order'),
          partition: 11,
          offset: 9_007_199_254_740_991,
          timestamp: Date.UTC(2026, 0, 1),
          timestampType: 'CREATE_TIME',
          key: Buffer.from(key).toString('base64'),
          value: Buffer.alloc(valueBytes, 0xff).toString('base64'),
          headers,
        },
        condition: 'RetryAttemptsExhausted',
        invokeCount: 11,
        lastFunctionError: 'Unhandled',
      },
      {
        functionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:lambda-realtime-prod-order',
        source: {
          type: 'aws:kafka',
          eventSourceArn:
            'arn:aws:kafka:eu-west-1:123456789012:cluster/lambda-realtime-prod/0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b-7',
        },
        bootstrapServers: Array.from(
          { length: 3 },
          (_, i) => `b-${i + 1}.lambdarealtimeprod.abc123.c2.kafka.eu-west-1.amazonaws.com:9098`,
        ).join(','),
      },
    );
    // Key, document and Kafka's record overhead.
    const size = Buffer.byteLength(JSON.stringify(document)) + key.length + 1_024;
    expect(size).toBeGreaterThan(SOURCE_TOPIC_MAX_MESSAGE_BYTES); // the broker default would refuse it
    expect(size).toBeLessThan(FAILURE_TOPIC_MAX_MESSAGE_BYTES);
  });

  it.each(ENVIRONMENTS)(
    '%s: is created with that max.message.bytes, the source topics with the default',
    (env) => {
      const { template } = synthesized[env];
      const topics = Object.values(template.findResources('AWS::MSK::Topic')) as {
        Properties: { TopicName: string; Configs?: string };
      }[];
      const failure = topics.find((t) => t.Properties.TopicName === DEFAULT_FAILURE_TOPIC);
      expect(failure?.Properties.Configs).toBe(
        topicConfigs({ 'max.message.bytes': String(FAILURE_TOPIC_MAX_MESSAGE_BYTES) }),
      );
      expect(JSON.parse(Buffer.from(failure?.Properties.Configs ?? '', 'base64').toString())).toEqual({
        'max.message.bytes': '2097152',
      });
      for (const topic of topics.filter((t) => t !== failure))
        expect(topic.Properties.Configs).toBeUndefined();
    },
  );
});
