/**
 * An environment that selects a schema registry (infra/config/event-sources.ts, `schemaRegistry`)
 * synthesizes it into its mappings' SchemaRegistryConfig, with the grants the mapping needs, and
 * passes cdk-nag; environments that do not select one (all three as configured) carry none.
 */
import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import type { EnvironmentInput } from '../../infra/config/environment-schema.ts';
import { environmentConfig } from '../../infra/config/environments.ts';
import { eventSourceSchema } from '../../infra/config/event-sources.ts';
import { SYNTH_TIMEOUT_MS, type SynthesizedEnvironment, synthesize } from './synthesize.ts';

const GLUE_ARN = 'arn:aws:glue:eu-west-1:123456789012:registry/business-events';
const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:schema-registry-basic-AbCdEf';

const base = environmentConfig('test').eventSources;
const overrides: Partial<EnvironmentInput> = {
  eventSources: {
    ...base,
    user: { ...base.user, schemaRegistry: { kind: 'glue', uri: GLUE_ARN, eventRecordFormat: 'SOURCE' } },
    order: {
      ...base.order,
      schemaRegistry: {
        kind: 'confluent',
        uri: 'https://schema-registry.example.internal:8081',
        eventRecordFormat: 'JSON',
        validate: ['KEY', 'VALUE'],
        access: [{ type: 'BASIC_AUTH', secretArn: SECRET_ARN }],
      },
    },
  },
};

let selected: SynthesizedEnvironment;
let plain: SynthesizedEnvironment;
beforeAll(async () => {
  selected = await synthesize('test', overrides);
  plain = await synthesize('test');
}, SYNTH_TIMEOUT_MS);

function mappingOf(env: SynthesizedEnvironment, domain: string): Record<string, unknown> {
  const mappings = env.template.findResources('AWS::Lambda::EventSourceMapping', {
    Properties: { FunctionName: { Ref: Match.stringLikeRegexp(`^${domain}Function`) } },
  });
  return (Object.values(mappings)[0] as { Properties: Record<string, unknown> }).Properties;
}

function registryOf(env: SynthesizedEnvironment, domain: string): unknown {
  const config = mappingOf(env, domain).AmazonManagedKafkaEventSourceConfig as Record<string, unknown>;
  return config.SchemaRegistryConfig;
}

function policyStatementsOf(env: SynthesizedEnvironment, domain: string): Array<Record<string, unknown>> {
  const policies = env.template.findResources('AWS::IAM::Policy');
  return Object.entries(policies)
    .filter(([id]) => id.startsWith(`${domain}Function`))
    .flatMap(
      ([, p]) =>
        (p as { Properties: { PolicyDocument: { Statement: Array<Record<string, unknown>> } } }).Properties
          .PolicyDocument.Statement,
    );
}

describe('schema registry in the event source mappings', () => {
  it('a Glue registry with SOURCE records: its ARN, the format, VALUE validation', () => {
    expect(registryOf(selected, 'user')).toEqual({
      SchemaRegistryURI: GLUE_ARN,
      EventRecordFormat: 'SOURCE',
      SchemaValidationConfigs: [{ Attribute: 'VALUE' }],
    });
  });

  it('the Glue registry is read with the function role: GetRegistry and GetSchemaVersion, that registry only', () => {
    const statements = policyStatementsOf(selected, 'user');
    expect(statements).toContainEqual(
      expect.objectContaining({ Action: 'glue:GetRegistry', Resource: GLUE_ARN }),
    );
    const versions = statements.find((s) => s.Sid === 'SchemaRegistrySchemaVersions');
    expect(versions).toMatchObject({ Action: 'glue:GetSchemaVersion' });
    expect(JSON.stringify(versions?.Resource)).toContain(':schema/business-events/*');
  });

  it('a Confluent registry with JSON records: its URL, key and value validation, the basic-auth secret', () => {
    expect(registryOf(selected, 'order')).toEqual({
      SchemaRegistryURI: 'https://schema-registry.example.internal:8081',
      EventRecordFormat: 'JSON',
      SchemaValidationConfigs: [{ Attribute: 'KEY' }, { Attribute: 'VALUE' }],
      AccessConfigs: [{ Type: 'BASIC_AUTH', URI: SECRET_ARN }],
    });
    expect(policyStatementsOf(selected, 'order')).toContainEqual(
      expect.objectContaining({ Sid: 'SchemaRegistryAccessSecrets', Resource: SECRET_ARN }),
    );
  });

  it('a mapping without a registry carries no SchemaRegistryConfig, nor do the environments as configured', () => {
    expect(registryOf(selected, 'product')).toBeUndefined();
    for (const domain of ['user', 'order', 'product']) expect(registryOf(plain, domain)).toBeUndefined();
  });

  it('passes cdk-nag with the registry grants', () => {
    const findings = selected.report.pluginReports
      .filter((r) => r.pluginName.startsWith('AwsSolutions'))
      .flatMap((r) => r.violations)
      .map(
        (v) => `${v.severity} ${v.ruleName} ${v.violatingConstructs.map((c) => c.constructPath).join(', ')}`,
      );
    expect(findings).toEqual([]);
  });
});

describe('schemaRegistry settings', () => {
  const parse = (schemaRegistry: unknown) => eventSourceSchema.safeParse({ schemaRegistry });
  it('accepts Glue by ARN and Confluent by URL', () => {
    expect(parse({ kind: 'glue', uri: GLUE_ARN, eventRecordFormat: 'JSON' }).success).toBe(true);
    expect(
      parse({ kind: 'confluent', uri: 'http://127.0.0.1:8081', eventRecordFormat: 'SOURCE' }).success,
    ).toBe(true);
  });
  it('refuses what AWS would: a Glue URL, a Confluent ARN, access secrets for Glue, an unknown format', () => {
    expect(parse({ kind: 'glue', uri: 'https://x', eventRecordFormat: 'JSON' }).success).toBe(false);
    expect(parse({ kind: 'confluent', uri: GLUE_ARN, eventRecordFormat: 'JSON' }).success).toBe(false);
    expect(
      parse({
        kind: 'glue',
        uri: GLUE_ARN,
        eventRecordFormat: 'JSON',
        access: [{ type: 'BASIC_AUTH', secretArn: SECRET_ARN }],
      }).success,
    ).toBe(false);
    expect(parse({ kind: 'confluent', uri: 'http://x', eventRecordFormat: 'AVRO' }).success).toBe(false);
  });
});
