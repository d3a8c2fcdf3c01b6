/**
 * The stack's log groups: each with a retention and a removal policy set here, so that neither
 * Lambda nor RDS creates one without, and checkov's CKV_AWS_158 acknowledged with its reason.
 */
import type { RemovalPolicy } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { acknowledgeCheckov } from './nag.ts';

/** Why no log group of the stack has a customer-managed KMS key (checkov CKV_AWS_158). */
const LOG_GROUP_KMS_REASON =
  'CloudWatch Logs encrypts every log group at rest with service keys; readers are controlled by IAM and the logs carry no credentials (redacted), so a customer key would add key policy without narrowing access.';

export interface LogGroupOptions {
  /** A fixed name where a service writes to one (`/aws/lambda/<function>`); else CloudFormation's. */
  readonly name?: string;
  readonly retentionDays: number;
  readonly removalPolicy: RemovalPolicy;
}

export function logGroup(scope: Construct, id: string, options: LogGroupOptions): logs.LogGroup {
  const group = new logs.LogGroup(scope, id, {
    ...(options.name ? { logGroupName: options.name } : {}),
    retention: options.retentionDays as logs.RetentionDays,
    removalPolicy: options.removalPolicy,
  });
  acknowledgeCheckov(group, 'CKV_AWS_158', LOG_GROUP_KMS_REASON);
  return group;
}
