/**
 * RDS Proxy in front of the instance, for the domain functions only: it signs in to MySQL as the
 * app user, and requires TLS of its clients.
 */
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as rds from 'aws-cdk-lib/aws-rds';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import type { EnvironmentConfig } from '../../config/environment-schema.ts';
import type { Network } from '../network.ts';
import { MYSQL_PORT } from './instance.ts';

export interface ProxyProps {
  readonly name: string;
  readonly instance: rds.DatabaseInstance;
  readonly appSecret: secretsmanager.ISecret;
  readonly settings: EnvironmentConfig['database'];
  readonly network: Network;
}

export function addProxy(scope: Construct, props: ProxyProps): rds.DatabaseProxy {
  const { instance, network } = props;
  const proxy = instance.addProxy('Proxy', {
    dbProxyName: props.name,
    // The app user only: the proxy serves the functions, never the migrations.
    secrets: [props.appSecret],
    // With IAM the functions present a token for the app user, and the proxy signs in to
    // MySQL with the app secret (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/rds-proxy-connecting.html).
    iamAuth: props.settings.functionAuth === 'iam',
    // Password clients of MySQL 8.4 speak caching_sha2_password (its default
    // authentication_policy); RDS documents MYSQL_CACHING_SHA2_PASSWORD as the proxy's
    // client password type for RDS for MySQL (UserAuthConfig.ClientPasswordAuthType:
    // https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_UserAuthConfig.html).
    // Named, not left to the default, so the template says what MySQL 8.4 expects.
    clientPasswordAuthType: rds.ClientPasswordAuthType.MYSQL_CACHING_SHA2_PASSWORD,
    vpc: network.vpc,
    vpcSubnets: network.privateSubnets,
    securityGroups: [
      new ec2.SecurityGroup(scope, 'ProxySecurityGroup', {
        vpc: network.vpc,
        description: 'RDS Proxy: clients on 3306, MySQL behind it',
        allowAllOutbound: false,
      }),
    ],
    requireTLS: true,
  });
  instance.connections.allowFrom(proxy, MYSQL_PORT, 'RDS Proxy to MySQL');
  return proxy;
}
