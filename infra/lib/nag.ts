/**
 * Acknowledging a cdk-nag AwsSolutions finding (v3: CDK's own `Validations.acknowledge`). The
 * rule id is namespaced with the plugin, as cdk-nag's report prints it, so the acknowledgement
 * can only ever match that plugin's finding.
 */
import { Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/** `rule` as in the report without the prefix: `RDS11`, `IAM5[Resource::*]`. */
export function acknowledgeAwsSolutions(scope: IConstruct, rule: string, reason: string): void {
  Validations.of(scope).acknowledge({ id: `AwsSolutions::AwsSolutions-${rule}`, reason });
}
