/**
 * RDS MySQL 8 for the dimension and wide tables: encrypted, TLS required, a generated secret in
 * the RDS format the functions read (`{username,password,host,port,dbname,…}`) rotated by the
 * hosted single-user rotation function, and optionally RDS Proxy in front.
 */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as rds from 'aws-cdk-lib/aws-rds';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import type { EnvironmentConfig } from '../config/environment-schema.ts';
import { acknowledgeAwsSolutions } from './nag.ts';
import type { Network } from './network.ts';

export interface DatabaseProps {
  readonly settings: EnvironmentConfig['database'];
  readonly network: Network;
  readonly instanceIdentifier: string;
}

const MYSQL_PORT = ec2.Port.tcp(3306);

const REMOVAL_POLICIES = {
  destroy: RemovalPolicy.DESTROY,
  snapshot: RemovalPolicy.SNAPSHOT,
  retain: RemovalPolicy.RETAIN,
} as const;

export class Database extends Construct {
  readonly instance: rds.DatabaseInstance;
  readonly secret: secretsmanager.ISecret;
  readonly proxy?: rds.DatabaseProxy;
  readonly databaseName: string;

  constructor(scope: Construct, id: string, props: DatabaseProps) {
    super(scope, id);
    const { settings, network } = props;
    this.databaseName = settings.databaseName;

    const majorVersion = settings.mysqlVersion.split('.').slice(0, 2).join('.');
    const engine = rds.DatabaseInstanceEngine.mysql({
      version: rds.MysqlEngineVersion.of(settings.mysqlVersion, majorVersion),
    });
    const securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: network.vpc,
      description: 'RDS MySQL: clients on 3306 only',
      allowAllOutbound: false,
    });

    this.instance = new rds.DatabaseInstance(this, 'Instance', {
      instanceIdentifier: props.instanceIdentifier,
      engine,
      instanceType: new ec2.InstanceType(settings.instanceType),
      vpc: network.vpc,
      vpcSubnets: network.privateSubnets,
      securityGroups: [securityGroup],
      credentials: rds.Credentials.fromGeneratedSecret('lrt_admin'),
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
      // The functions connect with DB_TLS=rds; refuse anything that does not.
      parameterGroup: new rds.ParameterGroup(this, 'Parameters', {
        engine,
        parameters: { require_secure_transport: 'ON' },
      }),
    });
    this.secret = this.instance.secret!;
    acknowledgeAwsSolutions(
      this.instance,
      'RDS11',
      'MySQL keeps its default port 3306: only the functions, proxy and rotation security groups may reach it, so a different port would add no protection.',
    );
    if (!settings.multiAz) {
      acknowledgeAwsSolutions(
        this.instance,
        'RDS3',
        'Single-AZ by choice in this environment (config database.multiAz=false): disposable, cost first.',
      );
    }
    if (!settings.deletionProtection) {
      acknowledgeAwsSolutions(
        this.instance,
        'RDS10',
        'Deletion protection is off by choice in this environment (config database.deletionProtection=false).',
      );
    }

    // The rotation function runs in the VPC and may reach only MySQL and Secrets Manager.
    const rotationSecurityGroup = new ec2.SecurityGroup(this, 'RotationSecurityGroup', {
      vpc: network.vpc,
      description: 'Secret rotation function: MySQL and Secrets Manager only',
      allowAllOutbound: false,
    });
    this.instance.addRotationSingleUser({
      automaticallyAfter: Duration.days(settings.secretRotationDays),
      vpcSubnets: network.privateSubnets,
      securityGroup: rotationSecurityGroup,
      ...(network.secretsManagerEndpoint ? { endpoint: network.secretsManagerEndpoint } : {}),
    });
    if (!network.secretsManagerEndpoint) network.allowSecretsManagerFrom(rotationSecurityGroup);

    if (settings.proxy) {
      this.proxy = this.instance.addProxy('Proxy', {
        dbProxyName: props.instanceIdentifier,
        secrets: [this.secret],
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
    }
  }

  /** The host the functions should use instead of the secret's (the proxy), if any. */
  get hostOverride(): string | undefined {
    return this.proxy?.endpoint;
  }

  /** Lets `peer` open MySQL connections — to the proxy when there is one, else to the instance. */
  allowConnectionsFrom(peer: ec2.IConnectable): void {
    (this.proxy ?? this.instance).connections.allowFrom(peer, MYSQL_PORT, 'MySQL clients');
  }
}
