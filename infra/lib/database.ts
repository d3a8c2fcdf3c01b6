/**
 * RDS MySQL 8 for the dimension and wide tables: encrypted, TLS required, optionally RDS Proxy in
 * front, and three users, each with a generated secret in the RDS format
 * (`{username,password,host,port,dbname,engine}`):
 *   - the master user (`lrt_admin`): creates the other two and their grants, nothing else;
 *     rotated by the hosted single-user rotation function;
 *   - the app user (`lrt_app`): what the functions and RDS Proxy use, SELECT/INSERT/UPDATE per
 *     table only (db/users.ts); rotated by the alternating-users rotation function;
 *   - the migrator (`lrt_migrator`): runs the migrations; alternating-users rotation too.
 * The app and migrator users are created in MySQL by the schema-migration function
 * (schema-migration.ts), so their rotation schedules — whose first rotation runs at once — and
 * RDS Proxy come after it: `afterSchema`.
 */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct, type IConstruct } from 'constructs';
import type { EnvironmentConfig } from '../config/environment-schema.ts';
import { acknowledgeAwsSolutions, acknowledgeCheckov, LOG_GROUP_KMS_REASON } from './nag.ts';
import type { Network } from './network.ts';

export interface DatabaseProps {
  readonly settings: EnvironmentConfig['database'];
  readonly network: Network;
  readonly instanceIdentifier: string;
}

const MYSQL_PORT = ec2.Port.tcp(3306);

/** The database users (db/users.ts): ≤ 26 characters, leaving room for the rotation's `_clone`. */
export const MASTER_USER = 'lrt_admin';
export const APP_USER = 'lrt_app';
export const MIGRATOR_USER = 'lrt_migrator';

const SECRET_KMS_REASON =
  'Encrypted with the AWS-managed aws/secretsmanager key; access is by IAM (functions, proxy, rotation, schema migration) in this account only, so a customer key would add grants and restrict no one.';

const REMOVAL_POLICIES = {
  destroy: RemovalPolicy.DESTROY,
  snapshot: RemovalPolicy.SNAPSHOT,
  retain: RemovalPolicy.RETAIN,
} as const;

/**
 * The database parameters. `require_secure_transport` takes 1/0 in an RDS for MySQL parameter
 * group: https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/mysql-ssl-connections.require-ssl.html
 * ("set the require_secure_transport parameter to 1 (ON)"). The slow query log reaches CloudWatch
 * Logs only with slow_query_log=1 and log_output=FILE:
 * https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_LogAccess.MySQLDB.PublishtoCloudWatchLogs.html
 */
export function databaseParameters(settings: EnvironmentConfig['database']): Record<string, string> {
  // The functions connect with DB_TLS=rds; refuse anything that does not.
  const parameters: Record<string, string> = { require_secure_transport: '1' };
  if (settings.logExports.includes('slowquery')) {
    parameters.slow_query_log = '1';
    parameters.long_query_time = String(settings.slowQuerySeconds);
  }
  if (settings.logExports.includes('general')) parameters.general_log = '1';
  if (settings.logExports.some((log) => log !== 'error')) parameters.log_output = 'FILE';
  return parameters;
}

export class Database extends Construct {
  readonly instance: rds.DatabaseInstance;
  /** The master user's secret (attached to the instance). */
  readonly masterSecret: secretsmanager.ISecret;
  /** The app user's secret: the functions' DB_SECRET_ID and RDS Proxy's. */
  readonly appSecret: secretsmanager.ISecret;
  /** The migrator's secret: the schema-migration function's. */
  readonly migratorSecret: secretsmanager.ISecret;
  readonly proxy?: rds.DatabaseProxy;
  readonly databaseName: string;
  /** The instance's security group (clients are let in on 3306 one by one). */
  readonly securityGroup: ec2.SecurityGroup;
  /** What the schema step needs in place: the instance and the three secrets with their hosts. */
  readonly schemaPrerequisites: IConstruct[];
  /** What needs the app and migrator users to exist in MySQL: their rotation schedules, RDS Proxy. */
  readonly schemaDependents: IConstruct[];

  constructor(scope: Construct, id: string, props: DatabaseProps) {
    super(scope, id);
    const { settings, network } = props;
    this.databaseName = settings.databaseName;
    // What outlives the instance (snapshot or retained) keeps what is needed to use it again.
    const keepOnDelete = settings.removalPolicy === 'destroy' ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN;

    // RDS writes each exported log to /aws/rds/instance/<id>/<log>; creating the groups here
    // gives them a retention and removal policy without CDK's log-retention custom resource.
    const logGroups = settings.logExports.map((log) => {
      const group = new logs.LogGroup(this, `Logs-${log}`, {
        logGroupName: `/aws/rds/instance/${props.instanceIdentifier}/${log}`,
        retention: settings.logRetentionDays as logs.RetentionDays,
        removalPolicy: keepOnDelete,
      });
      acknowledgeCheckov(group, 'CKV_AWS_158', LOG_GROUP_KMS_REASON);
      return group;
    });

    const majorVersion = settings.mysqlVersion.split('.').slice(0, 2).join('.');
    const engine = rds.DatabaseInstanceEngine.mysql({
      version: rds.MysqlEngineVersion.of(settings.mysqlVersion, majorVersion),
    });
    const securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: network.vpc,
      description: 'RDS MySQL: clients on 3306 only',
      allowAllOutbound: false,
    });
    this.securityGroup = securityGroup;

    this.instance = new rds.DatabaseInstance(this, 'Instance', {
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
      autoMinorVersionUpgrade: true,
      copyTagsToSnapshot: true,
      caCertificate: rds.CaCertificate.RDS_CA_RSA2048_G1,
      parameterGroup: new rds.ParameterGroup(this, 'Parameters', {
        engine,
        parameters: databaseParameters(settings),
      }),
      ...(settings.logExports.length > 0 ? { cloudwatchLogsExports: settings.logExports } : {}),
      ...(settings.monitoringIntervalSeconds > 0
        ? { monitoringInterval: Duration.seconds(settings.monitoringIntervalSeconds) }
        : {}),
    });
    for (const group of logGroups) this.instance.node.addDependency(group);
    this.masterSecret = this.instance.secret!;
    // The generated secret is deleted with the stack by default, while a snapshot or a retained
    // instance still needs its master password: keep the secret whenever the data is kept.
    // (`instance.secret` is the target attachment; the secret itself is the instance's child.)
    const generatedSecret = this.instance.node.children.find((c) => c instanceof secretsmanager.Secret);
    if (!(generatedSecret instanceof secretsmanager.Secret)) {
      throw new Error(`${this.instance.node.path} has no generated secret to keep`);
    }
    generatedSecret.applyRemovalPolicy(keepOnDelete);
    acknowledgeCheckov(generatedSecret, 'CKV_AWS_149', SECRET_KMS_REASON);

    // The app and migrator users' secrets: RDS format once attached (host, port, engine), with
    // `masterarn`, which the alternating-users rotation logs in with to create and update the
    // user's `_clone` twin. Kept with the data, like the master secret: a retained database
    // still has these users.
    const userSecret = (id: string, username: string) => {
      const secret = new rds.DatabaseSecret(this, id, {
        username,
        dbname: settings.databaseName,
        masterSecret: this.masterSecret,
      });
      secret.applyRemovalPolicy(keepOnDelete);
      acknowledgeCheckov(secret, 'CKV_AWS_149', SECRET_KMS_REASON);
      return { secret, attachment: secret.attach(this.instance) };
    };
    const app = userSecret('AppSecret', APP_USER);
    const migrator = userSecret('MigratorSecret', MIGRATOR_USER);
    this.appSecret = app.attachment;
    this.migratorSecret = migrator.attachment;
    acknowledgeCheckov(
      this.instance,
      'CKV_AWS_161',
      'Clients authenticate with the rotated Secrets Manager password over TLS (through RDS Proxy in prod); IAM database authentication is not used, so enabling it would only open a second way in.',
    );
    acknowledgeAwsSolutions(
      this.instance,
      'RDS11',
      'MySQL keeps its default port 3306: only the functions, proxy and rotation security groups may reach it, so a different port would add no protection.',
    );
    if (!settings.multiAz) {
      const reason =
        'Single-AZ by choice in this environment (config database.multiAz=false): disposable, cost first.';
      acknowledgeAwsSolutions(this.instance, 'RDS3', reason);
      acknowledgeCheckov(this.instance, 'CKV_AWS_157', reason);
    }
    if (settings.monitoringIntervalSeconds === 0) {
      acknowledgeCheckov(
        this.instance,
        'CKV_AWS_118',
        'Enhanced Monitoring is off by choice in this environment (config database.monitoringIntervalSeconds=0): the RDS CloudWatch metrics and alarms suffice here.',
      );
    } else {
      acknowledgeAwsSolutions(
        this.instance,
        'IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole]',
        'AWS-managed Enhanced Monitoring policy: only lets RDS write the OS metrics to its RDSOSMetrics log group, kept current by AWS.',
      );
    }
    if (!settings.deletionProtection) {
      acknowledgeAwsSolutions(
        this.instance,
        'RDS10',
        'Deletion protection is off by choice in this environment (config database.deletionProtection=false).',
      );
    }

    // The rotation functions (one per secret) run in the VPC in this group and may reach only MySQL
    // and Secrets Manager. addRotationSingleUser/MultiUser open the way to MySQL (3306) but not to
    // the endpoint, even when given one: without the 443 rule every rotation would time out
    // calling Secrets Manager. (Its description keeps the singular: changing it replaces the group.)
    const rotationSecurityGroup = new ec2.SecurityGroup(this, 'RotationSecurityGroup', {
      vpc: network.vpc,
      description: 'Secret rotation function: MySQL and Secrets Manager only',
      allowAllOutbound: false,
    });
    const rotation = {
      automaticallyAfter: Duration.days(settings.secretRotationDays),
      vpcSubnets: network.privateSubnets,
      securityGroup: rotationSecurityGroup,
      // No `endpoint`: ours has private DNS, so the default https://secretsmanager.<region>.amazonaws.com
      // resolves to it ("you don't need to specify an endpoint",
      // https://docs.aws.amazon.com/cdk/api/v2/docs/aws-cdk-lib.aws_rds.CommonRotationUserOptions.html),
      // whereas CDK builds `https://<vpce-id>.secretsmanager.<region>.amazonaws.com` from one, a
      // name that is neither the service's nor the endpoint's documented DNS name.
    };
    this.instance.addRotationSingleUser(rotation);
    network.allowSecretsManagerFrom(rotationSecurityGroup);

    const cfn = (construct: IConstruct) => construct.node.defaultChild as IConstruct;
    this.schemaPrerequisites = [
      // The instance's children as of now — the instance, its master secret and that secret's
      // rotation — not the instance's whole subtree, which will also hold the users' rotation
      // functions and RDS Proxy.
      ...this.instance.node.children,
      securityGroup,
      app.secret.node.defaultChild!,
      cfn(app.attachment),
      migrator.secret.node.defaultChild!,
      cfn(migrator.attachment),
    ];
    // Alternating users: both `user` and `user_clone` stay valid across a rotation, so a function
    // holding the previous credentials keeps working until it reads the secret again
    // (https://docs.aws.amazon.com/secretsmanager/latest/userguide/rotation-strategy.html).
    this.instance.addRotationMultiUser('AppUserRotation', { ...rotation, secret: this.appSecret });
    this.instance.addRotationMultiUser('MigratorUserRotation', { ...rotation, secret: this.migratorSecret });
    // The first rotation runs as soon as a schedule is created and needs the user to exist.
    this.schemaDependents = [app.attachment, migrator.attachment].map((attachment) => {
      const schedule = attachment.node.tryFindChild('RotationSchedule');
      if (!schedule) throw new Error(`${attachment.node.path} has no rotation schedule`);
      return schedule;
    });

    if (settings.proxy) {
      this.proxy = this.instance.addProxy('Proxy', {
        dbProxyName: props.instanceIdentifier,
        // The app user only: the proxy serves the functions, never the migrations.
        secrets: [this.appSecret],
        vpc: network.vpc,
        vpcSubnets: network.privateSubnets,
        securityGroups: [
          new ec2.SecurityGroup(this, 'ProxySecurityGroup', {
            vpc: network.vpc,
            description: 'RDS Proxy: clients on 3306, MySQL behind it',
            allowAllOutbound: false,
          }),
        ],
        requireTLS: true,
      });
      this.instance.connections.allowFrom(this.proxy, MYSQL_PORT, 'RDS Proxy to MySQL');
      // It logs in as the app user, which exists once the schema step has run.
      this.schemaDependents.push(this.proxy);
    }
  }

  /** Every secret of the database, each rotated. */
  get secrets(): secretsmanager.ISecret[] {
    return [this.masterSecret, this.appSecret, this.migratorSecret];
  }

  /** The host the functions should use instead of the secret's (the proxy), if any. */
  get hostOverride(): string | undefined {
    return this.proxy?.endpoint;
  }

  /** Lets `peer` open MySQL connections — to the proxy when there is one, else to the instance. */
  allowConnectionsFrom(peer: ec2.IConnectable): void {
    (this.proxy ?? this.instance).connections.allowFrom(peer, MYSQL_PORT, 'MySQL clients');
  }

  /** Lets `peer` open MySQL connections to the instance itself, proxy or not (the schema step). */
  allowDirectConnectionsFrom(peer: ec2.IConnectable): void {
    this.instance.connections.allowFrom(peer, MYSQL_PORT, 'MySQL schema migration');
  }
}
