/**
 * The Kafka event source mappings: every setting comes from infra/config/event-sources.ts (the
 * local runner's source too), partial batch responses are on, and no value filter can drop a
 * poison record.
 */
import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { environmentConfig } from '../../infra/config/environments.ts';
import { DOMAINS, eventSources } from '../../infra/config/event-sources.ts';
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

  it('waits for the topics it reads and writes', () => {
    const mappings = synthesized[env].template.findResources('AWS::Lambda::EventSourceMapping');
    const topics = Object.keys(synthesized[env].template.findResources('AWS::MSK::Topic'));
    expect(topics).toHaveLength(2);
    for (const mapping of Object.values(mappings)) {
      expect((mapping as { DependsOn: string[] }).DependsOn).toEqual(expect.arrayContaining(topics));
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
