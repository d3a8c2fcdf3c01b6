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

/** Why no log group of the stack has a customer-managed KMS key (checkov CKV_AWS_158). */
export const LOG_GROUP_KMS_REASON =
  'CloudWatch Logs encrypts every log group at rest with service keys; readers are controlled by IAM and the logs carry no credentials (redacted), so a customer key would add key policy without narrowing access.';
