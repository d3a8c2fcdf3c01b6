/**
 * The VPC everything runs in — created, or imported by id — and its Secrets Manager endpoint.
 * Created VPCs have private isolated subnets only: the functions talk to MSK, MySQL and Secrets
 * Manager, all inside the VPC, and a provisioned-mode Kafka event source mapping needs no NAT or
 * Lambda/STS endpoints (Lambda connects its pollers to the function itself).
 */
import type { RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Construct } from 'constructs';
import type { EnvironmentConfig } from '../config/environment-schema.ts';
import { logGroup } from './log-group.ts';

export interface NetworkProps {
  readonly settings: EnvironmentConfig['network'];
  readonly removalPolicy: RemovalPolicy;
}

export class Network extends Construct {
  readonly vpc: ec2.IVpc;
  /** Where the functions, brokers, database, proxy and rotation function live. */
  readonly privateSubnets: ec2.SubnetSelection;
  /**
   * Absent when an imported VPC already reaches Secrets Manager another way. Private DNS is on:
   * Secrets Manager's standard hostname resolves to it inside the VPC, which the functions and
   * the rotation function rely on.
   */
  readonly secretsManagerEndpoint?: ec2.InterfaceVpcEndpoint;

  constructor(scope: Construct, id: string, props: NetworkProps) {
    super(scope, id);
    const { settings } = props;

    if (settings.mode === 'create') {
      const flowLogGroup = logGroup(this, 'FlowLogs', {
        retentionDays: settings.flowLogRetentionDays,
        removalPolicy: props.removalPolicy,
      });
      this.vpc = new ec2.Vpc(this, 'Vpc', {
        ipAddresses: ec2.IpAddresses.cidr(settings.cidr),
        availabilityZones: settings.availabilityZones,
        natGateways: 0,
        subnetConfiguration: [{ name: 'private', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 22 }],
        // Nothing is placed in the default security group; restricting it would add a
        // custom-resource Lambda to every stack for no gain.
        restrictDefaultSecurityGroup: false,
        flowLogs: {
          all: {
            destination: ec2.FlowLogDestination.toCloudWatchLogs(flowLogGroup),
            trafficType: ec2.FlowLogTrafficType.ALL,
          },
        },
      });
      this.privateSubnets = { subnetType: ec2.SubnetType.PRIVATE_ISOLATED };
    } else {
      this.vpc = ec2.Vpc.fromVpcAttributes(this, 'Vpc', {
        vpcId: settings.vpcId,
        vpcCidrBlock: settings.vpcCidr,
        availabilityZones: settings.availabilityZones,
        privateSubnetIds: settings.privateSubnetIds,
      });
      this.privateSubnets = { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS };
    }

    if (settings.mode === 'create' || settings.createSecretsManagerEndpoint) {
      this.secretsManagerEndpoint = new ec2.InterfaceVpcEndpoint(this, 'SecretsManagerEndpoint', {
        vpc: this.vpc,
        service: ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER,
        subnets: this.privateSubnets,
        privateDnsEnabled: true,
        // Callers are let in one by one (allowDefaultPortFrom), not the whole VPC CIDR. The
        // endpoint only answers: its network interfaces open no connection of their own.
        securityGroups: [
          new ec2.SecurityGroup(this, 'SecretsManagerEndpointSecurityGroup', {
            vpc: this.vpc,
            description: 'Secrets Manager endpoint: HTTPS from the functions and the rotation function only',
            allowAllOutbound: false,
          }),
        ],
        open: false,
      });
    }
  }

  /** Lets `peer` reach Secrets Manager over HTTPS, through the endpoint when there is one. */
  allowSecretsManagerFrom(peer: ec2.IConnectable): void {
    if (this.secretsManagerEndpoint) {
      this.secretsManagerEndpoint.connections.allowDefaultPortFrom(peer, 'Secrets Manager over HTTPS');
    } else {
      peer.connections.allowToAnyIpv4(ec2.Port.tcp(443), 'Secrets Manager over HTTPS (existing route)');
    }
  }
}
