/**
 * The event source mapping's schema registry (infra/config/event-sources.ts, `schemaRegistry`): the
 * `SchemaRegistryConfig` of the L1 mapping and what the function role needs for it. It writes what
 * aws-cdk-lib's `GlueSchemaRegistry` / `ConfluentSchemaRegistry` (aws-lambda-event-sources) bind to
 * for `ManagedKafkaEventSource.schemaRegistryConfig` — the same URI, record format, validation
 * attributes and access configs, and the same grants: `glue:GetRegistry` on the registry and
 * `glue:GetSchemaVersion` on it and its schemas; read access to each access-config secret.
 * CloudFormation: AWS::Lambda::EventSourceMapping SchemaRegistryConfig
 * (docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-lambda-eventsourcemapping-schemaregistryconfig.html).
 */
import { Aws } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type { SchemaRegistrySettings } from '../config/event-sources.ts';
import { acknowledgeAwsSolutions } from './nag.ts';

export function schemaRegistryConfig(
  settings: SchemaRegistrySettings,
): lambda.CfnEventSourceMapping.SchemaRegistryConfigProperty {
  return {
    schemaRegistryUri: settings.uri,
    eventRecordFormat: settings.eventRecordFormat,
    schemaValidationConfigs: settings.validate.map((attribute) => ({ attribute })),
    ...(settings.access.length > 0
      ? { accessConfigs: settings.access.map((a) => ({ type: a.type, uri: a.secretArn })) }
      : {}),
  };
}

/** What the mapping, running with the function's role, needs to read schemas. */
export function grantSchemaRegistry(fn: lambda.IFunction, settings: SchemaRegistrySettings): void {
  if (settings.kind === 'glue') {
    const name = /:registry\/([^/]+)$/.exec(settings.uri)![1]!;
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'SchemaRegistryRead',
        actions: ['glue:GetRegistry'],
        resources: [settings.uri],
      }),
    );
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'SchemaRegistrySchemaVersions',
        actions: ['glue:GetSchemaVersion'],
        resources: [
          settings.uri,
          `arn:${Aws.PARTITION}:glue:${Aws.REGION}:${Aws.ACCOUNT_ID}:schema/${name}/*`,
        ],
      }),
    );
    acknowledgeAwsSolutions(
      fn,
      `IAM5[Resource::arn:<AWS::Partition>:glue:<AWS::Region>:<AWS::AccountId>:schema/${name}/*]`,
      "The mapping reads any schema version of the configured registry's schemas (new event types add schemas); nothing outside that registry.",
    );
    return;
  }
  if (settings.access.length > 0) {
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'SchemaRegistryAccessSecrets',
        actions: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
        resources: settings.access.map((a) => a.secretArn),
      }),
    );
  }
}
