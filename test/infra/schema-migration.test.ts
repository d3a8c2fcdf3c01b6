/**
 * The schema step in the synthesized template: the schema-migration function in the VPC with
 * access to MySQL and the three secrets only, and the deployment order CloudFormation follows —
 * database and secrets → trigger (users, migrations, grants) → functions and Kafka event source
 * mappings, RDS Proxy, the app and migrator users' rotation schedules.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { MIGRATION_VARIABLES } from '../../db/migrate-handler.ts';
import { environmentConfig } from '../../infra/config/environments.ts';
import { DOMAINS } from '../../infra/config/event-sources.ts';
import { SCHEMA_MIGRATION_TIMEOUT } from '../../infra/lib/schema-migration.ts';
import { SYNTH_TIMEOUT_MS, type SynthesizedEnvironment, synthesize } from './synthesize.ts';

const ENVIRONMENTS = ['dev', 'prod'] as const;
type Env = (typeof ENVIRONMENTS)[number];
const synthesized = {} as Record<Env, SynthesizedEnvironment>;

beforeAll(async () => {
  for (const env of ENVIRONMENTS) synthesized[env] = await synthesize(env);
}, SYNTH_TIMEOUT_MS);

interface Resource {
  Type: string;
  Properties: Record<string, unknown>;
  DependsOn?: string[];
  Metadata?: { checkov?: { skip?: { id: string }[] } };
}

function resources(env: Env): Record<string, Resource> {
  return synthesized[env].template.toJSON().Resources as Record<string, Resource>;
}

/** Logical ids of the resources of `type` (whose id starts with `prefix`, if given). */
function idsOf(env: Env, type: string, prefix = ''): string[] {
  return Object.entries(resources(env))
    .filter(([id, r]) => r.Type === type && id.startsWith(prefix))
    .map(([id]) => id);
}

function onlyId(env: Env, type: string, prefix = ''): string {
  const ids = idsOf(env, type, prefix);
  expect(ids, `${type} ${prefix}`).toHaveLength(1);
  return ids[0]!;
}

/** What a resource waits for directly: its DependsOn, and the resources its properties reference. */
function directDependencies(env: Env, id: string): Set<string> {
  const resource = resources(env)[id]!;
  const found = new Set(resource.DependsOn ?? []);
  const walk = (value: unknown): void => {
    if (Array.isArray(value)) value.forEach(walk);
    else if (value && typeof value === 'object') {
      for (const [key, inner] of Object.entries(value)) {
        if (key === 'Ref' && typeof inner === 'string') found.add(inner);
        else if (key === 'Fn::GetAtt' && Array.isArray(inner)) found.add(String(inner[0]));
        else walk(inner);
      }
    }
  };
  walk(resource.Properties);
  return new Set([...found].filter((d) => d in resources(env)));
}

/** True when CloudFormation creates `to` before `from` (a chain of DependsOn or references). */
function waitsFor(env: Env, from: string, to: string): boolean {
  const seen = new Set<string>();
  const queue = [from];
  while (queue.length > 0) {
    const id = queue.pop()!;
    for (const dependency of directDependencies(env, id)) {
      if (dependency === to) return true;
      if (!seen.has(dependency)) {
        seen.add(dependency);
        queue.push(dependency);
      }
    }
  }
  return false;
}

describe.each(ENVIRONMENTS)('%s schema step', (env) => {
  const config = environmentConfig(env);
  const trigger = () => onlyId(env, 'Custom::Trigger', 'SchemaMigrationTrigger');
  const fn = () => onlyId(env, 'AWS::Lambda::Function', 'SchemaMigrationFunction');
  const group = (description: RegExp) => {
    const ids = Object.entries(resources(env))
      .filter(
        ([, r]) =>
          r.Type === 'AWS::EC2::SecurityGroup' && description.test(String(r.Properties.GroupDescription)),
      )
      .map(([id]) => id);
    expect(ids, String(description)).toHaveLength(1);
    return ids[0]!;
  };

  it("triggers the function's current version at every deployment that changes it, and waits for its answer", () => {
    const properties = resources(env)[trigger()]!.Properties;
    expect(properties).toMatchObject({
      HandlerArn: { Ref: expect.stringMatching(/^SchemaMigrationFunctionCurrentVersion/) },
      InvocationType: 'RequestResponse',
      ExecuteOnHandlerChange: true,
    });
    expect(resources(env)[(properties.HandlerArn as { Ref: string }).Ref]!.Properties.FunctionName).toEqual({
      Ref: fn(),
    });
    // The provider waits longer than the function may run, so a timeout fails as the function's own.
    expect(Number(properties.Timeout)).toBeGreaterThan(SCHEMA_MIGRATION_TIMEOUT.toMilliseconds());
    expect(resources(env)[fn()]!.Properties.Timeout).toBe(SCHEMA_MIGRATION_TIMEOUT.toSeconds());
  });

  it('runs after the database, its three secrets with their hosts, and every network path it takes', () => {
    const dependsOn = resources(env)[trigger()]!.DependsOn ?? [];
    const expected = [
      onlyId(env, 'AWS::RDS::DBInstance'),
      ...idsOf(env, 'AWS::SecretsManager::Secret'),
      ...idsOf(env, 'AWS::SecretsManager::SecretTargetAttachment'),
      // The master secret's own rotation schedule: its first rotation runs at once.
      onlyId(env, 'AWS::SecretsManager::RotationSchedule', 'DatabaseInstanceSecretAttachment'),
      onlyId(env, 'AWS::EC2::VPCEndpoint'),
      ...Object.entries(resources(env))
        .filter(
          ([, r]) =>
            (r.Type === 'AWS::EC2::SecurityGroupIngress' || r.Type === 'AWS::EC2::SecurityGroupEgress') &&
            JSON.stringify(r.Properties).includes('SchemaMigrationSecurityGroup'),
        )
        .map(([id]) => id),
    ];
    expect(idsOf(env, 'AWS::SecretsManager::Secret')).toHaveLength(3);
    expect(expected.filter((id) => id.includes('SchemaMigrationSecurityGroup'))).toHaveLength(4);
    expect(dependsOn).toEqual(expect.arrayContaining(expected));
  });

  it('comes before the functions and their event source mappings: database → trigger → mappings', () => {
    const database = onlyId(env, 'AWS::RDS::DBInstance');
    expect(waitsFor(env, trigger(), database)).toBe(true);
    const mappings = idsOf(env, 'AWS::Lambda::EventSourceMapping');
    expect(mappings).toHaveLength(DOMAINS.length);
    for (const mapping of mappings) {
      expect(resources(env)[mapping]!.DependsOn).toContain(trigger());
      expect(waitsFor(env, mapping, database)).toBe(true);
      expect(waitsFor(env, trigger(), mapping)).toBe(false);
    }
    for (const domain of DOMAINS) {
      const domainFunction = onlyId(env, 'AWS::Lambda::Function', `${domain}Function`);
      expect(resources(env)[domainFunction]!.DependsOn).toContain(trigger());
    }
  });

  it("comes before the app and migrator users' first rotations (the users must exist) but after the master's", () => {
    const schedules = idsOf(env, 'AWS::SecretsManager::RotationSchedule');
    expect(schedules).toHaveLength(3);
    for (const prefix of ['DatabaseAppSecretAttachment', 'DatabaseMigratorSecretAttachment']) {
      const schedule = onlyId(env, 'AWS::SecretsManager::RotationSchedule', prefix);
      expect(resources(env)[schedule]!.DependsOn).toContain(trigger());
    }
    const master = onlyId(env, 'AWS::SecretsManager::RotationSchedule', 'DatabaseInstanceSecretAttachment');
    expect(waitsFor(env, master, trigger())).toBe(false);
  });

  it(
    config.database.proxy
      ? 'comes before RDS Proxy, which logs in as the app user'
      : 'has no RDS Proxy to order',
    () => {
      const proxies = [...idsOf(env, 'AWS::RDS::DBProxy'), ...idsOf(env, 'AWS::RDS::DBProxyTargetGroup')];
      expect(proxies).toHaveLength(config.database.proxy ? 2 : 0);
      for (const proxy of proxies) expect(resources(env)[proxy]!.DependsOn).toContain(trigger());
    },
  );

  it('runs in the private subnets with a security group of its own, out to MySQL (the instance) and Secrets Manager only', () => {
    const own = group(/^Schema migration function/);
    expect(resources(env)[fn()]!.Properties).toMatchObject({
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      VpcConfig: {
        SubnetIds: idsOf(env, 'AWS::EC2::Subnet').map((id) => ({ Ref: id })),
        SecurityGroupIds: [{ 'Fn::GetAtt': [own, 'GroupId'] }],
      },
    });
    const egress = Object.values(resources(env))
      .filter((r) => r.Type === 'AWS::EC2::SecurityGroupEgress')
      .filter(
        (r) => JSON.stringify(r.Properties.GroupId) === JSON.stringify({ 'Fn::GetAtt': [own, 'GroupId'] }),
      )
      .map((r) => [
        r.Properties.FromPort,
        (r.Properties.DestinationSecurityGroupId as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0],
      ]);
    expect(egress.sort()).toEqual([
      // The instance's own group, even where the functions go through RDS Proxy.
      [3306, group(/^RDS MySQL/)],
      [443, group(/^Secrets Manager endpoint/)],
    ]);
    expect(resources(env)[own]!.Properties.SecurityGroupEgress).toBeUndefined();
    synthesized[env].template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      GroupId: { 'Fn::GetAtt': [group(/^RDS MySQL/), 'GroupId'] },
      SourceSecurityGroupId: { 'Fn::GetAtt': [own, 'GroupId'] },
    });
    synthesized[env].template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      GroupId: { 'Fn::GetAtt': [group(/^Secrets Manager endpoint/), 'GroupId'] },
      SourceSecurityGroupId: { 'Fn::GetAtt': [own, 'GroupId'] },
      FromPort: 443,
    });
  });

  it('gets the three secrets, the instance endpoint and the database, the variables the handler reads', () => {
    const variables = (resources(env)[fn()]!.Properties.Environment as { Variables: Record<string, unknown> })
      .Variables;
    expect(variables).toEqual({
      DB_ADMIN_SECRET_ID: { Ref: expect.stringMatching(/^DatabaseInstanceSecretAttachment/) },
      DB_MIGRATOR_SECRET_ID: { Ref: expect.stringMatching(/^DatabaseMigratorSecretAttachment/) },
      DB_APP_SECRET_ID: { Ref: expect.stringMatching(/^DatabaseAppSecretAttachment/) },
      DB_HOST: { 'Fn::GetAtt': [onlyId(env, 'AWS::RDS::DBInstance'), 'Endpoint.Address'] },
      DB_PORT: { 'Fn::GetAtt': [onlyId(env, 'AWS::RDS::DBInstance'), 'Endpoint.Port'] },
      DB_NAME: config.database.databaseName,
      DB_TLS: 'rds',
      NODE_EXTRA_CA_CERTS: '/var/task/certificates/rds-ca.pem',
    });
    expect(
      Object.keys(variables).filter((v) => !v.startsWith('NODE_') && !MIGRATION_VARIABLES.includes(v)),
    ).toEqual([]);
  });

  it('may read exactly the master, migrator and app secrets', () => {
    const role = (resources(env)[fn()]!.Properties.Role as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0];
    const policies = synthesized[env].template.findResources('AWS::IAM::Policy', {
      Properties: { Roles: [{ Ref: role }] },
    });
    const statements = Object.values(policies).flatMap(
      (p) =>
        ((p as Resource).Properties.PolicyDocument as { Statement: { Action: unknown; Resource: unknown }[] })
          .Statement,
    );
    const secrets = statements
      .filter((s) => JSON.stringify(s.Action).includes('secretsmanager:GetSecretValue'))
      .map((s) => (s.Resource as { Ref: string }).Ref)
      .sort();
    expect(secrets).toEqual(idsOf(env, 'AWS::SecretsManager::SecretTargetAttachment').sort());
    expect(statements.flatMap((s) => s.Action)).not.toContain('secretsmanager:PutSecretValue');
  });

  it("acknowledges checkov's findings on CDK's trigger provider function, with reasons", () => {
    const provider = onlyId(env, 'AWS::Lambda::Function', 'AWSCDKTriggerCustomResourceProvider');
    expect(
      resources(env)
        [provider]!.Metadata?.checkov?.skip?.map((s) => s.id)
        .sort(),
    ).toEqual(['CKV_AWS_115', 'CKV_AWS_116', 'CKV_AWS_117']);
    // It may invoke the schema-migration function's versions, nothing else.
    const role = resources(env)[onlyId(env, 'AWS::IAM::Role', 'AWSCDKTriggerCustomResourceProvider')]!;
    const statements = (
      role.Properties.Policies as {
        PolicyDocument: { Statement: { Action: string[]; Resource: unknown }[] };
      }[]
    ).flatMap((p) => p.PolicyDocument.Statement);
    expect(statements).toEqual([
      expect.objectContaining({
        Action: ['lambda:InvokeFunction'],
        Resource: [{ 'Fn::Join': ['', [{ 'Fn::GetAtt': [fn(), 'Arn'] }, ':*']] }],
      }),
    ]);
  });
});
