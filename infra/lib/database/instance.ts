/**
 * The RDS MySQL instance: its parameter group, security group and exported log groups, and the
 * scanners' findings on it that are choices (acknowledged with why).
 */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as rds from 'aws-cdk-lib/aws-rds';
import type { Construct } from 'constructs';
import { MASTER_USER } from '../../config/database-users.ts';
import type { EnvironmentConfig } from '../../config/environment-schema.ts';
import { MYSQL_SERVER_SETTINGS } from '../../config/mysql-server-settings.ts';
import { logGroup } from '../log-group.ts';
import { acknowledgeAwsSolutions, acknowledgeCheckov } from '../nag.ts';
import type { Network } from '../network.ts';

type DatabaseSettings = EnvironmentConfig['database'];

/** MySQL's port, and RDS Proxy's for MySQL. */
export const MYSQL_PORT_NUMBER = 3306;
export const MYSQL_PORT = ec2.Port.tcp(MYSQL_PORT_NUMBER);

const REMOVAL_POLICIES = {
  destroy: RemovalPolicy.DESTROY,
  snapshot: RemovalPolicy.SNAPSHOT,
  retain: RemovalPolicy.RETAIN,
} as const;

export interface InstanceProps {
  readonly settings: DatabaseSettings;
  readonly network: Network;
  readonly instanceIdentifier: string;
}

/**
 * The database parameters: the server settings every environment pins (MYSQL_SERVER_SETTINGS,
 * TLS required among them), and the environment's logs. The slow query log reaches CloudWatch
 * Logs only with slow_query_log=1 and log_output=FILE:
 * https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_LogAccess.MySQLDB.PublishtoCloudWatchLogs.html
 */
function databaseParameters(settings: DatabaseSettings): Record<string, string> {
  const parameters: Record<string, string> = { ...MYSQL_SERVER_SETTINGS };
  if (settings.logExports.includes('slowquery')) {
    parameters.slow_query_log = '1';
    parameters.long_query_time = String(settings.slowQuerySeconds);
  }
  if (settings.logExports.includes('general')) parameters.general_log = '1';
  if (settings.logExports.some((log) => log !== 'error')) parameters.log_output = 'FILE';
  return parameters;
}

/** The instance and its security group (clients are let in on 3306 one by one). */
export function createInstance(
  scope: Construct,
  props: InstanceProps,
): { instance: rds.DatabaseInstance; securityGroup: ec2.SecurityGroup } {
  const { settings, network } = props;
  const logGroups = exportedLogGroups(scope, props);
  // The version a new instance starts on; RDS upgrades the minor version from there
  // (autoMinorVersionUpgrade below). A major version alone ("8.4") is not a value
  // CloudFormation's schema accepts for EngineVersion (cfn-lint E3691).
  const majorVersion = settings.mysqlVersion.split('.').slice(0, 2).join('.');
  const engine = rds.DatabaseInstanceEngine.mysql({
    version: rds.MysqlEngineVersion.of(settings.mysqlVersion, majorVersion),
  });
  const securityGroup = new ec2.SecurityGroup(scope, 'SecurityGroup', {
    vpc: network.vpc,
    description: 'RDS MySQL: clients on 3306 only',
    allowAllOutbound: false,
  });
  const instance = new rds.DatabaseInstance(scope, 'Instance', {
    instanceIdentifier: props.instanceIdentifier,
    engine,
    instanceType: new ec2.InstanceType(settings.instanceType),
    vpc: network.vpc,
    vpcSubnets: network.privateSubnets,
    securityGroups: [securityGroup],
    credentials: rds.Credentials.fromGeneratedSecret(MASTER_USER),
    databaseName: settings.databaseName,
    allocatedStorage: settings.allocatedStorageGiB,
    maxAllocatedStorage: settings.maxAllocatedStorageGiB,
    storageType: rds.StorageType.GP3,
    storageEncrypted: true,
    multiAz: settings.multiAz,
    deletionProtection: settings.deletionProtection,
    backupRetention: Duration.days(settings.backupRetentionDays),
    removalPolicy: REMOVAL_POLICIES[settings.removalPolicy],
    // Security and bug fixes within 8.4 in the maintenance window; mysqlVersion is the floor.
    autoMinorVersionUpgrade: true,
    copyTagsToSnapshot: true,
    caCertificate: rds.CaCertificate.RDS_CA_RSA2048_G1,
    parameterGroup: new rds.ParameterGroup(scope, 'Parameters', {
      engine,
      parameters: databaseParameters(settings),
    }),
    ...(settings.logExports.length > 0 ? { cloudwatchLogsExports: settings.logExports } : {}),
    ...(settings.monitoringIntervalSeconds > 0
      ? { monitoringInterval: Duration.seconds(settings.monitoringIntervalSeconds) }
      : {}),
  });
  for (const group of logGroups) instance.node.addDependency(group);
  return { instance, securityGroup };
}

/**
 * RDS writes each exported log to /aws/rds/instance/<id>/<log>; creating the groups here gives
 * them a retention and removal policy without CDK's log-retention custom resource. They have fixed
 * names: kept only while the instance itself is (retained), else a stack deployed again after
 * `cdk destroy` would fail creating them.
 */
function exportedLogGroups(scope: Construct, { settings, instanceIdentifier }: InstanceProps) {
  const removalPolicy = settings.removalPolicy === 'retain' ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
  return settings.logExports.map((log) =>
    logGroup(scope, `Logs-${log}`, {
      name: `/aws/rds/instance/${instanceIdentifier}/${log}`,
      retentionDays: settings.logRetentionDays,
      removalPolicy,
    }),
  );
}

/** The scanners' findings on the instance that are this design's or this environment's choices. */
export function acknowledgeInstanceChoices(instance: rds.DatabaseInstance, settings: DatabaseSettings): void {
  acknowledgeCheckov(
    instance,
    'CKV_AWS_161',
    "MySQL's own users sign in with rotated Secrets Manager passwords over TLS (the schema step, rotation, RDS Proxy); where functions use IAM they authenticate to RDS Proxy, not the instance, so instance IAM authentication would only open a second way in.",
  );
  acknowledgeAwsSolutions(
    instance,
    'RDS11',
    'MySQL keeps its default port 3306: only the functions, proxy and rotation security groups may reach it, so a different port would add no protection.',
  );
  if (!settings.multiAz) {
    const reason =
      'Single-AZ by choice in this environment (config database.multiAz=false): disposable, cost first.';
    acknowledgeAwsSolutions(instance, 'RDS3', reason);
    acknowledgeCheckov(instance, 'CKV_AWS_157', reason);
  }
  if (settings.monitoringIntervalSeconds === 0) {
    acknowledgeCheckov(
      instance,
      'CKV_AWS_118',
      'Enhanced Monitoring is off by choice in this environment (config database.monitoringIntervalSeconds=0): the RDS CloudWatch metrics and alarms suffice here.',
    );
  } else {
    acknowledgeAwsSolutions(
      instance,
      'IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole]',
      'AWS-managed Enhanced Monitoring policy: only lets RDS write the OS metrics to its RDSOSMetrics log group, kept current by AWS.',
    );
  }
  if (!settings.deletionProtection) {
    acknowledgeAwsSolutions(
      instance,
      'RDS10',
      'Deletion protection is off by choice in this environment (config database.deletionProtection=false).',
    );
  }
}
