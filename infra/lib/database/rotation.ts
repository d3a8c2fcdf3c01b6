/**
 * Rotation of the database secrets, each by a hosted rotation function (one nested stack each) in
 * the VPC: the master user's as a single user, the app and migrator users' with alternating users
 * — except the app user's where RDS Proxy signs in with it (below).
 */
import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as rds from 'aws-cdk-lib/aws-rds';
import * as sam from 'aws-cdk-lib/aws-sam';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct, IConstruct } from 'constructs';
import type { EnvironmentConfig } from '../../config/environment-schema.ts';
import { logGroup } from '../log-group.ts';
import type { Network } from '../network.ts';

/** CDK's own default for RDS rotation (aws-rds' DEFAULT_PASSWORD_EXCLUDE_CHARS), for the rotation CDK's instance helpers do not create. */
const PASSWORD_EXCLUDE_CHARACTERS = ' %+~`#$&*()|[]{}:;<>?!\'/@"\\';

/** What every rotation of the database shares: schedule, subnets, security group. */
export type RotationOptions = Pick<
  rds.CommonRotationUserOptions,
  'automaticallyAfter' | 'vpcSubnets' | 'securityGroup'
>;

/**
 * The master user's rotation, and the options the others share. The rotation functions (one per
 * secret) run in the VPC in one security group and may reach only MySQL and Secrets Manager.
 * addRotationSingleUser/MultiUser open the way to MySQL (3306) but not to the endpoint, even when
 * given one: without the 443 rule every rotation would time out calling Secrets Manager. (The
 * group's description keeps the singular: changing it replaces the group.)
 */
export function addMasterRotation(
  scope: Construct,
  instance: rds.DatabaseInstance,
  settings: EnvironmentConfig['database'],
  network: Network,
): RotationOptions {
  const securityGroup = new ec2.SecurityGroup(scope, 'RotationSecurityGroup', {
    vpc: network.vpc,
    description: 'Secret rotation function: MySQL and Secrets Manager only',
    allowAllOutbound: false,
  });
  const rotation = {
    automaticallyAfter: Duration.days(settings.secretRotationDays),
    vpcSubnets: network.privateSubnets,
    securityGroup,
    // No `endpoint`: ours has private DNS, so the default https://secretsmanager.<region>.amazonaws.com
    // resolves to it ("you don't need to specify an endpoint",
    // https://docs.aws.amazon.com/cdk/api/v2/docs/aws-cdk-lib.aws_rds.CommonRotationUserOptions.html),
    // whereas CDK builds `https://<vpce-id>.secretsmanager.<region>.amazonaws.com` from one, a
    // name that is neither the service's nor the endpoint's documented DNS name.
  };
  instance.addRotationSingleUser(rotation);
  network.allowSecretsManagerFrom(securityGroup);
  return rotation;
}

/**
 * The app and migrator users' rotations; returns their schedules, whose first rotation runs as
 * soon as they are created and needs the user to exist.
 *
 * Alternating users: both `user` and `user_clone` stay valid across a rotation, so a function
 * holding the previous credentials keeps working until it reads the secret again
 * (https://docs.aws.amazon.com/secretsmanager/latest/userguide/rotation-strategy.html).
 * Not for a secret RDS Proxy signs in with: the proxy holds one secret per database user
 * (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/rds-proxy-secrets-arns.html), so a
 * secret that switches to `lrt_app_clone` fails its logins until the proxy reads it again
 * (https://github.com/aws/aws-cdk/issues/25568). That secret rotates as a single user: the
 * app user changes its own password, and the proxy, which reads the secret for new
 * connections, keeps the ones it has.
 */
export function addUserRotations(
  instance: rds.DatabaseInstance,
  rotation: RotationOptions,
  users: {
    readonly appSecret: secretsmanager.ISecret;
    readonly migratorSecret: secretsmanager.ISecret;
    /** Whether RDS Proxy signs in with the app secret. */
    readonly proxy: boolean;
    readonly vpc: ec2.IVpc;
  },
): IConstruct[] {
  if (users.proxy) {
    new secretsmanager.SecretRotation(instance, 'AppUserSingleUserRotation', {
      ...rotation,
      secret: users.appSecret,
      application: secretsmanager.SecretRotationApplication.MYSQL_ROTATION_SINGLE_USER,
      excludeCharacters: PASSWORD_EXCLUDE_CHARACTERS,
      vpc: users.vpc,
      target: instance,
    });
  } else {
    instance.addRotationMultiUser('AppUserRotation', { ...rotation, secret: users.appSecret });
  }
  instance.addRotationMultiUser('MigratorUserRotation', { ...rotation, secret: users.migratorSecret });
  return [users.appSecret, users.migratorSecret].map((attachment) => {
    const schedule = attachment.node.tryFindChild('RotationSchedule');
    if (!schedule) throw new Error(`${attachment.node.path} has no rotation schedule`);
    return schedule;
  });
}

/**
 * The hosted rotation functions log to `/aws/lambda/<functionName>`, which Lambda would create on
 * the first rotation without a retention. Created here first, with the functions' retention; the
 * name is the application's `functionName` parameter.
 */
export function giveRotationLogsRetention(
  instance: rds.DatabaseInstance,
  options: { readonly retentionDays: number; readonly removalPolicy: RemovalPolicy },
): void {
  const rotations = instance.node
    .findAll()
    .filter((c): c is secretsmanager.SecretRotation => c instanceof secretsmanager.SecretRotation);
  for (const rotation of rotations) {
    const application = rotation.node.defaultChild;
    const parameters = application instanceof sam.CfnApplication ? application.parameters : undefined;
    const functionName = (parameters as Record<string, unknown> | undefined)?.functionName;
    if (!(application instanceof sam.CfnApplication) || typeof functionName !== 'string') {
      throw new Error(`${rotation.node.path}: no rotation application with a functionName`);
    }
    const group = logGroup(rotation, 'Logs', {
      name: `/aws/lambda/${functionName}`,
      retentionDays: options.retentionDays,
      removalPolicy: options.removalPolicy,
    });
    application.node.addDependency(group);
  }
}
