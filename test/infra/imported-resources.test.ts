/**
 * An environment that imports an existing VPC and MSK cluster: nothing of theirs is created, the
 * mappings and IAM point at the imported cluster, and the only change to the brokers' security
 * group is letting the functions in on 9098.
 */
import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { IMPORTED_CLUSTER_ARN, IMPORTED_RESOURCES } from './imported-resources.ts';
import { SYNTH_TIMEOUT_MS, type SynthesizedEnvironment, synthesize } from './synthesize.ts';

let imported: SynthesizedEnvironment;

beforeAll(async () => {
  imported = await synthesize('prod', IMPORTED_RESOURCES);
}, SYNTH_TIMEOUT_MS);

describe('prod with an imported VPC and MSK cluster', () => {
  it('creates no VPC, cluster, topics or endpoint', () => {
    for (const type of [
      'AWS::EC2::VPC',
      'AWS::EC2::Subnet',
      'AWS::MSK::Cluster',
      'AWS::MSK::Topic',
      'AWS::EC2::VPCEndpoint',
    ]) {
      imported.template.resourceCountIs(type, 0);
    }
  });

  it('maps the functions to the imported cluster', () => {
    const mappings = Object.values(imported.template.findResources('AWS::Lambda::EventSourceMapping'));
    expect(mappings).toHaveLength(3);
    for (const m of mappings)
      expect((m as { Properties: { EventSourceArn: string } }).Properties.EventSourceArn).toBe(
        IMPORTED_CLUSTER_ARN,
      );
  });

  it('grants the Kafka data plane on the imported cluster topic and group ARNs', () => {
    const policies = JSON.stringify(imported.template.findResources('AWS::IAM::Policy'));
    expect(policies).toContain(
      'arn:aws:kafka:eu-west-1:123456789012:topic/shared-events/0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b-7/business-events',
    );
    expect(policies).toContain(
      'arn:aws:kafka:eu-west-1:123456789012:group/shared-events/0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b-7/lambda-realtime-prod-user',
    );
  });

  it('lets the functions into the brokers security group on 9098 only', () => {
    imported.template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      GroupId: 'sg-0123456789abcdef0',
      IpProtocol: 'tcp',
      FromPort: 9098,
      ToPort: 9098,
    });
  });

  it('lets the rotation function out to Secrets Manager on 443 by the VPC own route, having no endpoint', () => {
    const groups = imported.template.findResources('AWS::EC2::SecurityGroup', {
      Properties: { GroupDescription: Match.stringLikeRegexp('^Secret rotation function') },
    });
    const [rotationGroup] = Object.keys(groups);
    imported.template.hasResourceProperties('AWS::EC2::SecurityGroup', {
      GroupDescription: Match.stringLikeRegexp('^Secret rotation function'),
      SecurityGroupEgress: Match.arrayWith([
        Match.objectLike({ CidrIp: '0.0.0.0/0', IpProtocol: 'tcp', FromPort: 443, ToPort: 443 }),
      ]),
    });
    expect(rotationGroup).toBeDefined();
  });

  it('lets the schema-migration function out to Secrets Manager on 443 by the VPC own route, and to MySQL', () => {
    imported.template.hasResourceProperties('AWS::EC2::SecurityGroup', {
      GroupDescription: Match.stringLikeRegexp('^Schema migration function'),
      SecurityGroupEgress: [
        Match.objectLike({ CidrIp: '0.0.0.0/0', IpProtocol: 'tcp', FromPort: 443, ToPort: 443 }),
      ],
    });
    const [schemaGroup] = Object.keys(
      imported.template.findResources('AWS::EC2::SecurityGroup', {
        Properties: { GroupDescription: Match.stringLikeRegexp('^Schema migration function') },
      }),
    );
    imported.template.hasResourceProperties('AWS::EC2::SecurityGroupEgress', {
      GroupId: { 'Fn::GetAtt': [schemaGroup, 'GroupId'] },
      FromPort: 3306,
    });
  });

  it('runs the functions in the imported private subnets', () => {
    // Every function but CDK's trigger provider, which only calls the Lambda API.
    const functions = Object.entries(imported.template.findResources('AWS::Lambda::Function'))
      .filter(([id]) => !id.startsWith('AWSCDKTriggerCustomResourceProvider'))
      .map(([, f]) => f);
    expect(functions).toHaveLength(4);
    for (const f of functions) {
      expect(
        (f as { Properties: { VpcConfig: { SubnetIds: string[] } } }).Properties.VpcConfig.SubnetIds,
      ).toEqual(['subnet-0aa1', 'subnet-0bb2', 'subnet-0cc3']);
    }
  });
});
