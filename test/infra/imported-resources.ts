/** Settings that make an environment import its VPC and MSK cluster instead of creating them. */
import type { EnvironmentInput } from '../../infra/config/environment-schema.ts';

export const IMPORTED_CLUSTER_ARN =
  'arn:aws:kafka:eu-west-1:123456789012:cluster/shared-events/0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b-7';

export const IMPORTED_RESOURCES: Partial<EnvironmentInput> = {
  network: {
    mode: 'import',
    vpcId: 'vpc-0a1b2c3d4e5f60718',
    vpcCidr: '10.90.0.0/16',
    availabilityZones: ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'],
    privateSubnetIds: ['subnet-0aa1', 'subnet-0bb2', 'subnet-0cc3'],
    createSecretsManagerEndpoint: false,
  },
  kafka: {
    mode: 'import',
    clusterArn: IMPORTED_CLUSTER_ARN,
    brokerSecurityGroupId: 'sg-0123456789abcdef0',
    topics: null,
  },
};
