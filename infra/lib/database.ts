/**
 * RDS MySQL 8 for the dimension and wide tables: encrypted, TLS required, optionally RDS Proxy in
 * front, and three users, each with a generated secret in the RDS format
 * (`{username,password,host,port,dbname,engine}`):
 *   - the master user (`lrt_admin`): creates the other two and their grants, nothing else;
 *     rotated by the hosted single-user rotation function;
 *   - the app user (`lrt_app`): what the functions and RDS Proxy use, SELECT/INSERT/UPDATE per
 *     table only (db/users.ts); rotated by the alternating-users rotation function, or by the
 *     single-user one where RDS Proxy signs in with it (below);
 *   - the migrator (`lrt_schema`): runs the migrations; alternating-users rotation.
 * With `database.functionAuth: 'iam'` the functions sign in to RDS Proxy with IAM authentication
 * tokens for the app user instead of its password (`functionEnvironment`, `grantFunctionAccess`).
 * The app and migrator users are created in MySQL by the schema-migration function
 * (schema-migration.ts), so their rotation schedules — whose first rotation runs at once — and
 * RDS Proxy come after it: `afterSchema`.
 */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as sam from 'aws-cdk-lib/aws-sam';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct, type IConstruct } from 'constructs';
import { APP_USER, MASTER_USER, MIGRATOR_USER } from '../config/database-users.ts';
import type { EnvironmentConfig } from '../config/environment-schema.ts';
import { MYSQL_SERVER_SETTINGS } from '../config/mysql-server-settings.ts';
import { acknowledgeAwsSolutions, acknowledgeCheckov, LOG_GROUP_KMS_REASON } from './nag.ts';
import type { Network } from './network.ts';

export interface DatabaseProps {
  readonly settings: EnvironmentConfig['database'];
  readonly network: Network;
  readonly instanceIdentifier: string;
  /** Retention of the rotation functions' log groups (the functions' own setting). */
  readonly logRetentionDays: number;
  /** What happens to those log groups with the stack (they have fixed names). */
  readonly removalPolicy: RemovalPolicy;
}

/** MySQL's port, and RDS Proxy's for MySQL. */
export const MYSQL_PORT_NUMBER = 3306;
const MYSQL_PORT = ec2.Port.tcp(MYSQL_PORT_NUMBER);

/** The database users (infra/config/database-users.ts; what they may do: db/users.ts). */
export {
  APP_USER,
  DATABASE_USERS,
  MASTER_USER,
  MAX_ROTATION_CLONE_NAME_LENGTH,
  MIGRATOR_USER,
  ROTATION_CLONE_SUFFIX,
} from '../config/database-users.ts';

/** CDK's own default for RDS rotation (aws-rds' DEFAULT_PASSWORD_EXCLUDE_CHARS), for the rotation CDK's instance helpers do not create. */
const PASSWORD_EXCLUDE_CHARACTERS = ' %+~`#$&*()|[]{}:;<>?!\'/@"\\';

const SECRET_KMS_REASON =
  'Encrypted with the AWS-managed aws/secretsmanager key; access is by IAM (functions, proxy, rotation, schema migration) in this account only, so a customer key would add grants and restrict no one.';

const REMOVAL_POLICIES = {
  destroy: RemovalPolicy.DESTROY,
  snapshot: RemovalPolicy.SNAPSHOT,
  retain: RemovalPolicy.RETAIN,
} as const;

/**
 * The database parameters: the server settings every environment pins (MYSQL_SERVER_SETTINGS,
 * TLS required among them), and the environment's logs. The slow query log reaches CloudWatch
 * Logs only with slow_query_log=1 and log_output=FILE:
 * https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_LogAccess.MySQLDB.PublishtoCloudWatchLogs.html
 */
export function databaseParameters(settings: EnvironmentConfig['database']): Record<string, string> {
  const parameters: Record<string, string> = { ...MYSQL_SERVER_SETTINGS };
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
  /** The app user's secret: RDS Proxy's, and the functions' DB_SECRET_ID where they use it. */
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

  private readonly settings: EnvironmentConfig['database'];

  constructor(scope: Construct, id: string, props: DatabaseProps) {
    super(scope, id);
    const { settings, network } = props;
    this.settings = settings;
    this.databaseName = settings.databaseName;
    // What outlives the instance (snapshot or retained) keeps what is needed to use it again.
    const keepOnDelete = settings.removalPolicy === 'destroy' ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN;
    // The instance's log groups have fixed names: kept only while the instance itself is (retained),
    // else a stack deployed again after `cdk destroy` would fail creating them.
    const logsOnDelete = settings.removalPolicy === 'retain' ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;

    // RDS writes each exported log to /aws/rds/instance/<id>/<log>; creating the groups here
    // gives them a retention and removal policy without CDK's log-retention custom resource.
    const logGroups = settings.logExports.map((log) => {
      const group = new logs.LogGroup(this, `Logs-${log}`, {
        logGroupName: `/aws/rds/instance/${props.instanceIdentifier}/${log}`,
        retention: settings.logRetentionDays as logs.RetentionDays,
        removalPolicy: logsOnDelete,
      });
      acknowledgeCheckov(group, 'CKV_AWS_158', LOG_GROUP_KMS_REASON);
      return group;
    });

    // The version a new instance starts on; RDS upgrades the minor version from there
    // (autoMinorVersionUpgrade below). A major version alone ("8.4") is not a value
    // CloudFormation's schema accepts for EngineVersion (cfn-lint E3691).
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
      // Security and bug fixes within 8.4 in the maintenance window; mysqlVersion is the floor.
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
      "MySQL's own users sign in with rotated Secrets Manager passwords over TLS (the schema step, rotation, RDS Proxy); where functions use IAM they authenticate to RDS Proxy, not the instance, so instance IAM authentication would only open a second way in.",
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
    // Not for a secret RDS Proxy signs in with: the proxy holds one secret per database user
    // (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/rds-proxy-secrets-arns.html), so a
    // secret that switches to `lrt_app_clone` fails its logins until the proxy reads it again
    // (https://github.com/aws/aws-cdk/issues/25568). That secret rotates as a single user: the
    // app user changes its own password, and the proxy, which reads the secret for new
    // connections, keeps the ones it has.
    if (settings.proxy) {
      new secretsmanager.SecretRotation(this.instance, 'AppUserSingleUserRotation', {
        ...rotation,
        secret: this.appSecret,
        application: secretsmanager.SecretRotationApplication.MYSQL_ROTATION_SINGLE_USER,
        excludeCharacters: PASSWORD_EXCLUDE_CHARACTERS,
        vpc: network.vpc,
        target: this.instance,
      });
    } else {
      this.instance.addRotationMultiUser('AppUserRotation', { ...rotation, secret: this.appSecret });
    }
    this.instance.addRotationMultiUser('MigratorUserRotation', { ...rotation, secret: this.migratorSecret });
    this.giveRotationLogsRetention(props);
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
        // With IAM the functions present a token for the app user, and the proxy signs in to
        // MySQL with the app secret (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/rds-proxy-connecting.html).
        iamAuth: settings.functionAuth === 'iam',
        // Password clients of MySQL 8.4 speak caching_sha2_password (its default
        // authentication_policy); RDS documents MYSQL_CACHING_SHA2_PASSWORD as the proxy's
        // client password type for RDS for MySQL (UserAuthConfig.ClientPasswordAuthType:
        // https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_UserAuthConfig.html).
        // Named, not left to the default, so the template says what MySQL 8.4 expects.
        clientPasswordAuthType: rds.ClientPasswordAuthType.MYSQL_CACHING_SHA2_PASSWORD,
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

  /** How the domain functions sign in (database.functionAuth). */
  get functionAuth(): EnvironmentConfig['database']['functionAuth'] {
    return this.settings.functionAuth;
  }

  /**
   * The database variables of the domain functions' environment (docs/architecture.md, contract 5):
   * - `secret`: `DB_SECRET_ID` (the app secret), `DB_NAME`, `DB_TLS=rds`, and `DB_HOST` = the
   *   proxy's endpoint where there is one (it overrides the secret's host);
   * - `iam`: `DB_AUTH=iam`, `DB_HOST` (the proxy's endpoint), `DB_PORT`, `DB_USER` (the app
   *   user), `DB_NAME`, `DB_TLS=rds`, and no secret: the handler signs a token with the
   *   function's role for each new connection.
   */
  functionEnvironment(): Record<string, string> {
    const common = { DB_NAME: this.databaseName, DB_TLS: 'rds' };
    if (this.settings.functionAuth === 'iam') {
      if (!this.proxy) throw new Error('database.functionAuth iam needs RDS Proxy');
      return {
        DB_AUTH: 'iam',
        DB_HOST: this.proxy.endpoint,
        DB_PORT: String(MYSQL_PORT_NUMBER),
        DB_USER: APP_USER,
        ...common,
      };
    }
    return {
      DB_SECRET_ID: this.appSecret.secretArn,
      ...common,
      ...(this.proxy ? { DB_HOST: this.proxy.endpoint } : {}),
    };
  }

  /**
   * What a domain function may do to sign in: `rds-db:connect` as the app user on the proxy
   * (IAM), or read the app secret.
   */
  grantFunctionAccess(grantee: iam.IGrantable): void {
    if (this.settings.functionAuth === 'iam') {
      if (!this.proxy) throw new Error('database.functionAuth iam needs RDS Proxy');
      this.proxy.grantConnect(grantee, APP_USER);
    } else {
      this.appSecret.grantRead(grantee);
    }
  }

  /** Whether the domain functions call Secrets Manager (only when they read the app secret). */
  get functionsReadSecrets(): boolean {
    return this.settings.functionAuth === 'secret';
  }

  /**
   * The hosted rotation functions (one nested stack each) log to `/aws/lambda/<functionName>`,
   * which Lambda would create on the first rotation without a retention. Created here first, with
   * the functions' retention; the name is the application's `functionName` parameter.
   */
  private giveRotationLogsRetention(props: DatabaseProps): void {
    const rotations = this.instance.node
      .findAll()
      .filter((c): c is secretsmanager.SecretRotation => c instanceof secretsmanager.SecretRotation);
    for (const rotation of rotations) {
      const application = rotation.node.defaultChild;
      const parameters = application instanceof sam.CfnApplication ? application.parameters : undefined;
      const functionName = (parameters as Record<string, unknown> | undefined)?.functionName;
      if (!(application instanceof sam.CfnApplication) || typeof functionName !== 'string') {
        throw new Error(`${rotation.node.path}: no rotation application with a functionName`);
      }
      const group = new logs.LogGroup(rotation, 'Logs', {
        logGroupName: `/aws/lambda/${functionName}`,
        retention: props.logRetentionDays as logs.RetentionDays,
        removalPolicy: props.removalPolicy,
      });
      acknowledgeCheckov(group, 'CKV_AWS_158', LOG_GROUP_KMS_REASON);
      application.node.addDependency(group);
    }
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
