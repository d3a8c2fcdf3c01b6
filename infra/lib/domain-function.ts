/**
 * One business domain's function and the Kafka event source mapping that feeds it.
 *
 * The mapping is the L1 `CfnEventSourceMapping`: it expresses every setting we need (consumer
 * group, provisioned pollers, partial batch responses, retries, record age, bisect, a Kafka
 * on-failure topic, ESM metrics) one to one with infra/config/event-sources.ts, the same values
 * the local runner uses. There is deliberately no FilterCriteria: a value filter silently drops
 * records that are not JSON, and a poison record must reach event_dead_letter (docs/architecture.md,
 * "Nothing lost").
 */
import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import type { EnvironmentConfig } from '../config/environment-schema.ts';
import type { Domain, EventSourceSettings } from '../config/event-sources.ts';
import type { Database } from './database.ts';
import { NODE_ENVIRONMENT } from './function-code.ts';
import type { Kafka } from './kafka.ts';
import { logGroup } from './log-group.ts';
import { acknowledgeAwsSolutions, acknowledgeCheckov, acknowledgeVpcFunctionManagedPolicies } from './nag.ts';
import type { Network } from './network.ts';
import { grantSchemaRegistry, schemaRegistryConfig } from './schema-registry.ts';

/** Service name of the handler's logs (Powertools' `service` key). */
const SERVICE_NAME = 'lambda-realtime';

/** CloudWatch namespace of the handler's EMF metrics: one per environment, so two environments in
 * one account and region never mix their metrics (the handler's metrics carry no `service`
 * dimension; `function` is the one they all have). */
export function metricsNamespace(environmentName: string): string {
  return `${SERVICE_NAME}/${environmentName}`;
}

/** Every ESM metric group Lambda offers for Kafka: event counts, error counts, offset lag. */
const ESM_METRICS = ['EventCount', 'ErrorCount', 'KafkaMetrics'];

export interface DomainFunctionProps {
  readonly domain: Domain;
  readonly functionName: string;
  readonly code: lambda.Code;
  readonly settings: EnvironmentConfig['functions'];
  readonly eventSource: EventSourceSettings;
  /** The domains whose records travel on this function's topics, its own first (topicDomains). */
  readonly topicDomains: readonly Domain[];
  readonly network: Network;
  readonly securityGroup: ec2.ISecurityGroup;
  readonly kafka: Kafka;
  readonly database: Database;
  readonly removalPolicy: RemovalPolicy;
  readonly metricsNamespace: string;
}

export class DomainFunction extends Construct {
  readonly domain: Domain;
  readonly function: lambda.Function;
  readonly eventSourceMapping: lambda.CfnEventSourceMapping;
  readonly timeout: Duration;
  readonly metricsNamespace: string;

  constructor(scope: Construct, id: string, props: DomainFunctionProps) {
    super(scope, id);
    const { domain, settings, eventSource, kafka, database } = props;
    this.domain = domain;
    this.timeout = Duration.seconds(settings.timeoutSeconds);
    this.metricsNamespace = props.metricsNamespace;

    const functionLogs = logGroup(this, 'Logs', {
      name: `/aws/lambda/${props.functionName}`,
      retentionDays: settings.logRetentionDays,
      removalPolicy: props.removalPolicy,
    });

    // The environment contract the handler validates at cold start (docs/architecture.md, contract 5).
    const environment: Record<string, string> = {
      DOMAIN: domain,
      // DB_SECRET_ID or DB_AUTH=iam with the proxy's endpoint and the app user (database.functionAuth).
      ...database.functionEnvironment(),
      DB_POOL_SIZE: String(settings.databasePoolSize),
      TOPIC_DOMAINS: props.topicDomains.join(','),
      // Powertools for AWS Lambda's own variables.
      POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
      POWERTOOLS_METRICS_NAMESPACE: props.metricsNamespace,
      POWERTOOLS_LOG_LEVEL: settings.logLevel,
      ...NODE_ENVIRONMENT,
    };

    this.function = new lambda.Function(this, 'Function', {
      functionName: props.functionName,
      description: `lambda-realtime ${domain} events: Kafka -> MySQL wide tables`,
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      handler: 'index.handler',
      code: props.code,
      memorySize: settings.memoryMiB,
      timeout: this.timeout,
      vpc: props.network.vpc,
      vpcSubnets: props.network.privateSubnets,
      securityGroups: [props.securityGroup],
      logGroup: functionLogs,
      environment,
    });
    database.grantFunctionAccess(this.function);
    this.grantKafkaConsumer(kafka, eventSource);
    if (eventSource.schemaRegistry) grantSchemaRegistry(this.function, eventSource.schemaRegistry);
    acknowledgeCheckov(
      this.function,
      'CKV_AWS_116',
      'Invoked only by its Kafka event source mapping, which retries and then sends failed records to its on-failure topic; a function DLQ applies to asynchronous invocations only.',
    );
    acknowledgeCheckov(
      this.function,
      'CKV_AWS_115',
      "Concurrency is bounded by the mapping's provisioned pollers (maximumPollers) and the topic's partitions; reserved concurrency would only add a second limit to keep in step.",
    );
    acknowledgeCheckov(
      this.function,
      'CKV_AWS_173',
      'The environment holds no secret (the app secret ARN or, with IAM authentication, the proxy endpoint and user name; names, log level) and Lambda encrypts it at rest with its AWS-managed key; a password or token is obtained at run time.',
    );
    acknowledgeVpcFunctionManagedPolicies(this.function);

    this.eventSourceMapping = this.createEventSourceMapping(kafka, eventSource);
  }

  /** The Kafka event source mapping, one to one with infra/config/event-sources.ts. */
  private createEventSourceMapping(
    kafka: Kafka,
    eventSource: EventSourceSettings,
  ): lambda.CfnEventSourceMapping {
    const mapping = new lambda.CfnEventSourceMapping(this, 'KafkaEventSource', {
      functionName: this.function.functionName,
      eventSourceArn: kafka.clusterArn,
      topics: eventSource.topics,
      startingPosition: eventSource.startingPosition,
      batchSize: eventSource.batchSize,
      ...(eventSource.maximumBatchingWindowInSeconds === undefined
        ? {}
        : { maximumBatchingWindowInSeconds: eventSource.maximumBatchingWindowInSeconds }),
      amazonManagedKafkaEventSourceConfig: {
        consumerGroupId: eventSource.consumerGroupId,
        // With a schema registry (CloudFormation nests it here, in AmazonManagedKafkaEventSourceConfig).
        ...(eventSource.schemaRegistry
          ? { schemaRegistryConfig: schemaRegistryConfig(eventSource.schemaRegistry) }
          : {}),
      },
      // Provisioned mode is what lets a Kafka mapping retry, bisect and use a Kafka destination.
      provisionedPollerConfig: {
        minimumPollers: eventSource.provisionedPollers.minimum,
        maximumPollers: eventSource.provisionedPollers.maximum,
      },
      functionResponseTypes: ['ReportBatchItemFailures'],
      maximumRetryAttempts: eventSource.maximumRetryAttempts,
      maximumRecordAgeInSeconds: eventSource.maximumRecordAgeInSeconds,
      bisectBatchOnFunctionError: eventSource.bisectBatchOnFunctionError,
      destinationConfig: { onFailure: { destination: `kafka://${eventSource.onFailureTopic}` } },
      metricsConfig: { metrics: ESM_METRICS },
    });
    // The mapping starts polling at once: its topics must exist first. (Its Ref to the function
    // already orders it after the function and, through it, after the role's policy.)
    const mine = new Set([...eventSource.topics, eventSource.onFailureTopic]);
    for (const topic of kafka.topics) {
      if (mine.has(topic.topicName)) mapping.node.addDependency(topic);
    }
    return mapping;
  }

  /**
   * What the mapping does with the function's role on an IAM-authenticated MSK cluster: find the
   * brokers, join the consumer group, read the source topic and write the on-failure topic. CDK's
   * own Kafka event source grants only the control-plane part (and a broad managed policy).
   */
  private grantKafkaConsumer(kafka: Kafka, eventSource: EventSourceSettings): void {
    const statements = [
      new iam.PolicyStatement({
        sid: 'KafkaClusterDiscovery',
        actions: [
          'kafka:DescribeClusterV2',
          'kafka:GetBootstrapBrokers',
          'kafka-cluster:Connect',
          'kafka-cluster:DescribeClusterDynamicConfiguration',
        ],
        resources: [kafka.clusterArn],
      }),
      new iam.PolicyStatement({
        sid: 'KafkaConsumerGroup',
        actions: ['kafka-cluster:DescribeGroup', 'kafka-cluster:AlterGroup'],
        resources: [kafka.groupArn(eventSource.consumerGroupId)],
      }),
      new iam.PolicyStatement({
        sid: 'KafkaReadSourceTopics',
        actions: ['kafka-cluster:DescribeTopic', 'kafka-cluster:ReadData'],
        resources: eventSource.topics.map((topic) => kafka.topicArn(topic)),
      }),
      new iam.PolicyStatement({
        sid: 'KafkaWriteOnFailureTopic',
        actions: ['kafka-cluster:DescribeTopic', 'kafka-cluster:WriteData'],
        resources: [kafka.topicArn(eventSource.onFailureTopic)],
      }),
      new iam.PolicyStatement({
        sid: 'EventPollerNetworkDiscovery',
        actions: ['ec2:DescribeVpcs', 'ec2:DescribeSecurityGroups'],
        resources: ['*'],
      }),
    ];
    for (const statement of statements) this.function.addToRolePolicy(statement);
    acknowledgeAwsSolutions(
      this.function,
      'IAM5[Resource::*]',
      'ec2:DescribeVpcs and ec2:DescribeSecurityGroups, which the MSK event pollers need, support no resource-level permissions.',
    );
  }
}
