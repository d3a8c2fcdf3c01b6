/**
 * Everything one environment needs in AWS, in one stack: network, Kafka, MySQL, the schema step
 * (users, migrations, grants), one function and Kafka event source mapping per business domain,
 * and their monitoring. One stack keeps every reference inside CloudFormation (no cross-stack
 * exports to untangle on change). Order on deployment: network and database → schema step →
 * functions → event source mappings (and RDS Proxy, the users' rotation schedules).
 */
import { CfnOutput, RemovalPolicy, Stack, type StackProps, Tags } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type { Construct } from 'constructs';
import type { EnvironmentConfig } from '../config/environment-schema.ts';
import { DOMAINS, eventSources, topicDomains } from '../config/event-sources.ts';
import { Database, MIGRATOR_USER } from './database.ts';
import { DomainFunction, metricsNamespace } from './domain-function.ts';
import { type FunctionCode, SCHEMA_FUNCTION } from './function-code.ts';
import { Kafka, MSK_IAM_PORT } from './kafka.ts';
import { Monitoring } from './monitoring.ts';
import { Network } from './network.ts';
import { SchemaMigration } from './schema-migration.ts';

export interface LambdaRealtimeStackProps extends StackProps {
  readonly config: EnvironmentConfig;
  readonly functionCode: FunctionCode;
}

export class LambdaRealtimeStack extends Stack {
  readonly network: Network;
  readonly kafka: Kafka;
  readonly database: Database;
  readonly schemaMigration: SchemaMigration;
  readonly functions: readonly DomainFunction[];
  readonly monitoring: Monitoring;

  constructor(scope: Construct, id: string, props: LambdaRealtimeStackProps) {
    super(scope, id, props);
    const { config } = props;
    const prefix = `lambda-realtime-${config.name}`;
    // Logs, the MSK cluster and keys are kept only where the database itself is (prod): elsewhere
    // `cdk destroy` removes them, so the VPC can go and a new deployment finds no log group of the
    // same name in its way. (A snapshot is how test keeps its data: the database's own policy.)
    const removalPolicy =
      config.database.removalPolicy === 'retain' ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
    Tags.of(this).add('project', 'lambda-realtime');
    Tags.of(this).add('environment', config.name);

    const sources = eventSources(config.name, config.eventSources);
    const topicNames = DOMAINS.flatMap((domain) => [
      ...sources[domain].topics,
      sources[domain].onFailureTopic,
    ]);

    this.network = new Network(this, 'Network', { settings: config.network, removalPolicy });
    this.kafka = new Kafka(this, 'Kafka', {
      settings: config.kafka,
      network: this.network,
      clusterName: prefix,
      topicNames,
      failureTopicNames: DOMAINS.map((domain) => sources[domain].onFailureTopic),
      removalPolicy,
    });
    this.database = new Database(this, 'Database', {
      settings: config.database,
      network: this.network,
      instanceIdentifier: prefix,
      logRetentionDays: config.functions.logRetentionDays,
      removalPolicy,
    });

    // Users, migrations and grants, before anything uses the database.
    this.schemaMigration = new SchemaMigration(this, 'SchemaMigration', {
      functionName: `${prefix}-${SCHEMA_FUNCTION}`,
      code: props.functionCode(SCHEMA_FUNCTION),
      settings: config.functions,
      network: this.network,
      database: this.database,
      removalPolicy,
    });

    const functionSecurityGroup = this.createFunctionSecurityGroup();

    this.functions = DOMAINS.map(
      (domain) =>
        new DomainFunction(this, `${domain}`, {
          domain,
          functionName: `${prefix}-${domain}`,
          metricsNamespace: metricsNamespace(config.name),
          code: props.functionCode(domain),
          settings: config.functions,
          eventSource: sources[domain],
          topicDomains: topicDomains(sources, domain),
          network: this.network,
          securityGroup: functionSecurityGroup,
          kafka: this.kafka,
          database: this.database,
          removalPolicy,
        }),
    );
    // New code and its mapping only once the schema it expects is there (migrations add first).
    for (const fn of this.functions) this.schemaMigration.runsBefore(fn.function, fn.eventSourceMapping);

    this.monitoring = new Monitoring(this, 'Monitoring', {
      prefix,
      settings: config.alarms,
      functions: this.functions,
      database: this.database,
      kafka: this.kafka,
      removalPolicy,
    });

    this.addOutputs(prefix);
  }

  /** One security group for the functions; each path out of it is opened explicitly. */
  private createFunctionSecurityGroup(): ec2.SecurityGroup {
    const group = new ec2.SecurityGroup(this, 'FunctionSecurityGroup', {
      vpc: this.network.vpc,
      // At most these (without a secret to read, no 443). The text stays: a new one replaces the group.
      description: 'lambda-realtime functions: MSK 9098, MySQL 3306, Secrets Manager 443 only',
      allowAllOutbound: false,
    });
    this.kafka.brokerSecurityGroup.connections.allowFrom(group, MSK_IAM_PORT, 'Functions to MSK');
    this.database.allowConnectionsFrom(group);
    // With IAM authentication the functions sign their tokens locally and call no AWS API.
    if (this.database.functionsReadSecrets) this.network.allowSecretsManagerFrom(group);
    return group;
  }

  /** What operators look up after a deployment (the runbook's names). */
  private addOutputs(prefix: string): void {
    new CfnOutput(this, 'VpcId', { value: this.network.vpc.vpcId });
    new CfnOutput(this, 'KafkaClusterArn', {
      value: this.kafka.clusterArn,
      description: 'Bootstrap brokers: aws kafka get-bootstrap-brokers --cluster-arn <this>',
    });
    new CfnOutput(this, 'DatabaseEndpoint', { value: this.database.instance.dbInstanceEndpointAddress });
    new CfnOutput(this, 'DatabaseMasterSecretArn', {
      value: this.database.masterSecret.secretArn,
      description: 'Master user (lrt_admin): users and grants only',
    });
    new CfnOutput(this, 'DatabaseAppSecretArn', {
      value: this.database.appSecret.secretArn,
      description: 'App user (lrt_app): what RDS Proxy and the functions (without IAM authentication) use',
    });
    new CfnOutput(this, 'DatabaseMigratorSecretArn', {
      value: this.database.migratorSecret.secretArn,
      description: `Migrator (${MIGRATOR_USER}): schema changes`,
    });
    new CfnOutput(this, 'SchemaMigrationFunctionName', {
      value: this.schemaMigration.function.functionName,
      description: 'Runs at every deployment that changes it; may be invoked by hand (idempotent)',
    });
    if (this.database.proxy) {
      new CfnOutput(this, 'DatabaseProxyEndpoint', { value: this.database.proxy.endpoint });
    }
    for (const fn of this.functions) {
      new CfnOutput(this, `${fn.domain}FunctionName`, { value: fn.function.functionName });
      new CfnOutput(this, `${fn.domain}EventSourceMappingId`, { value: fn.eventSourceMapping.attrId });
    }
    new CfnOutput(this, 'AlarmTopicArn', { value: this.monitoring.alarmTopic.topicArn });
    new CfnOutput(this, 'DashboardName', { value: prefix });
  }
}
