/**
 * The Kafka side: an MSK provisioned cluster (IAM authentication, TLS only, broker logs) or an
 * existing one imported by ARN; its topics; and the IAM resource ARNs of the Kafka data plane
 * (`kafka-cluster:*`), which the functions' event source mappings need and CDK does not grant.
 */
import { Fn, type RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as msk from 'aws-cdk-lib/aws-msk';
import { Construct } from 'constructs';
import type { EnvironmentConfig } from '../config/environment-schema.ts';
import { FAILURE_TOPIC_MAX_MESSAGE_BYTES } from '../config/event-sources.ts';
import { logGroup } from './log-group.ts';
import type { Network } from './network.ts';

/** MSK's broker port for IAM-authenticated TLS clients. */
export const MSK_IAM_PORT = ec2.Port.tcp(9098);

/**
 * `AWS::MSK::Topic`'s `Configs`: the topic's Kafka configuration as a JSON object of strings,
 * base64-encoded (the MSK API's "Topic configurations encoded as a Base64 string"; DescribeTopic
 * returns them in the same form).
 */
export function topicConfigs(configs: Record<string, string>): string {
  return Buffer.from(JSON.stringify(configs)).toString('base64');
}

export interface KafkaProps {
  readonly settings: EnvironmentConfig['kafka'];
  readonly network: Network;
  readonly clusterName: string;
  /** Every topic the stack reads or writes (sources and on-failure destinations). */
  readonly topicNames: readonly string[];
  /** The on-failure destinations among them, which take larger messages. */
  readonly failureTopicNames: readonly string[];
  readonly removalPolicy: RemovalPolicy;
}

export class Kafka extends Construct {
  readonly clusterArn: string;
  readonly brokerSecurityGroup: ec2.ISecurityGroup;
  /** Topics this stack creates; event source mappings wait for them. */
  readonly topics: readonly msk.CfnTopic[];
  /** The cluster, when this stack creates it (not when imported): its health is alarmed on. */
  readonly cluster?: msk.CfnCluster;

  constructor(scope: Construct, id: string, props: KafkaProps) {
    super(scope, id);
    const { settings, network } = props;

    if (settings.mode === 'create') {
      const brokerSecurityGroup = new ec2.SecurityGroup(this, 'BrokerSecurityGroup', {
        vpc: network.vpc,
        description: 'MSK brokers: IAM/TLS clients on 9098 only',
        allowAllOutbound: false,
      });
      // The event source mapping's pollers join the cluster's own security group (AWS's
      // documented MSK setup), so brokers must accept, and members may open, 9098 within it.
      brokerSecurityGroup.connections.allowInternally(MSK_IAM_PORT, 'Lambda event pollers to brokers');
      this.brokerSecurityGroup = brokerSecurityGroup;

      const brokerLogs = logGroup(this, 'BrokerLogs', {
        retentionDays: settings.brokerLogRetentionDays,
        removalPolicy: props.removalPolicy,
      });
      const subnetIds = network.vpc.selectSubnets(network.privateSubnets).subnetIds;
      const cluster = new msk.CfnCluster(this, 'Cluster', {
        clusterName: props.clusterName,
        kafkaVersion: settings.kafkaVersion,
        numberOfBrokerNodes: settings.brokersPerZone * network.vpc.availabilityZones.length,
        brokerNodeGroupInfo: {
          instanceType: settings.brokerInstanceType,
          clientSubnets: subnetIds,
          securityGroups: [brokerSecurityGroup.securityGroupId],
          storageInfo: { ebsStorageInfo: { volumeSize: settings.volumeSizeGiB } },
        },
        clientAuthentication: { sasl: { iam: { enabled: true } }, unauthenticated: { enabled: false } },
        encryptionInfo: { encryptionInTransit: { clientBroker: 'TLS', inCluster: true } },
        loggingInfo: {
          brokerLogs: { cloudWatchLogs: { enabled: true, logGroup: brokerLogs.logGroupName } },
        },
        enhancedMonitoring: settings.enhancedMonitoring,
      });
      cluster.applyRemovalPolicy(props.removalPolicy);
      this.cluster = cluster;
      this.clusterArn = cluster.attrArn;
    } else {
      this.clusterArn = settings.clusterArn;
      this.brokerSecurityGroup = ec2.SecurityGroup.fromSecurityGroupId(
        this,
        'BrokerSecurityGroup',
        settings.brokerSecurityGroupId,
        // Rules the stack adds become standalone ingress resources; the owner's rules stay.
        { mutable: true, allowAllOutbound: true },
      );
    }

    const topicSettings = settings.topics;
    const failureTopics = new Set(props.failureTopicNames);
    this.topics = topicSettings
      ? [...new Set(props.topicNames)].map(
          (topicName) =>
            new msk.CfnTopic(this, `Topic-${topicName}`, {
              clusterArn: this.clusterArn,
              topicName,
              partitionCount: topicSettings.partitions,
              replicationFactor: topicSettings.replicationFactor,
              // A failure document carries its record base64-encoded: larger than the record.
              ...(failureTopics.has(topicName)
                ? { configs: topicConfigs({ 'max.message.bytes': String(FAILURE_TOPIC_MAX_MESSAGE_BYTES) }) }
                : {}),
            }),
        )
      : [];
  }

  /** IAM resource ARN of a topic of this cluster (`kafka-cluster:*Topic*`, `ReadData`, `WriteData`). */
  topicArn(topicName: string): string {
    return this.dataPlaneArn('topic', topicName);
  }

  /** IAM resource ARN of a consumer group of this cluster (`kafka-cluster:*Group`). */
  groupArn(groupId: string): string {
    return this.dataPlaneArn('group', groupId);
  }

  // cluster/<name>/<uuid> becomes topic|group/<name>/<uuid>/<resource>; works on tokens too.
  private dataPlaneArn(kind: 'topic' | 'group', resource: string): string {
    const parts = Fn.split(':cluster/', this.clusterArn, 2);
    return Fn.join('', [Fn.select(0, parts), `:${kind}/`, Fn.select(1, parts), `/${resource}`]);
  }
}
