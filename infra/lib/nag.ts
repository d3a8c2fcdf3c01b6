/**
 * Acknowledging a finding of one of the two scanners, next to the resource it concerns and with
 * its reason, so acknowledgements look alike and can be reviewed in one place each:
 *
 * - cdk-nag's AwsSolutions checks (v3: CDK's own `Validations.acknowledge`). The rule id is
 *   namespaced with the plugin, as cdk-nag's report prints it, so the acknowledgement can only
 *   ever match that plugin's finding.
 * - checkov (scripts/checkov.sh), which reads `Metadata.checkov.skip: [{id, comment}]` on a
 *   CloudFormation resource.
 */
import { CfnResource, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/** `rule` as in the report without the prefix: `RDS11`, `IAM5[Resource::*]`. */
export function acknowledgeAwsSolutions(scope: IConstruct, rule: string, reason: string): void {
  Validations.of(scope).acknowledge({ id: `AwsSolutions::AwsSolutions-${rule}`, reason });
}

/** One entry of a resource's `Metadata.checkov.skip`, as checkov reads it. */
export interface CheckovSkip {
  readonly id: string;
  readonly comment: string;
}

/**
 * Acknowledges checkov check `id` (`CKV_AWS_116`) on `scope`'s CloudFormation resource — `scope`
 * itself when it is one, else its default child (a `lambda.Function`'s `CfnFunction`). Several
 * acknowledgements on one resource add up.
 */
export function acknowledgeCheckov(scope: IConstruct, id: string, reason: string): void {
  const resource = scope instanceof CfnResource ? scope : scope.node.defaultChild;
  if (!(resource instanceof CfnResource)) {
    throw new Error(`acknowledgeCheckov(${id}): ${scope.node.path} is no CloudFormation resource`);
  }
  const existing = resource.getMetadata('checkov') as { skip?: CheckovSkip[] } | undefined;
  const skip = (existing?.skip ?? []).filter((s) => s.id !== id);
  resource.addMetadata('checkov', { ...existing, skip: [...skip, { id, comment: reason }] });
}

/**
 * The AWS-managed policies CDK gives the role of a function in a VPC: basic execution (logs) and
 * VPC access (network interfaces).
 */
export function acknowledgeVpcFunctionManagedPolicies(fn: IConstruct): void {
  acknowledgeAwsSolutions(
    fn,
    'IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
    'AWS-managed basic execution policy: only the CloudWatch Logs actions every function needs to log, kept current by AWS.',
  );
  acknowledgeAwsSolutions(
    fn,
    'IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole]',
    'AWS-managed VPC access policy: the ENI actions a VPC function needs, which take no resource ARNs.',
  );
}
