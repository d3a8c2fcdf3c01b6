/**
 * Where the alarms go: the alarm topic (SNS, encrypted with a key of its own, e-mail
 * subscriptions), and the EventBridge rule that sends failed rotations of the database secrets to
 * it.
 */
import { ArnFormat, type RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as eventsTargets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type { Construct } from 'constructs';
import type { Database } from '../database.ts';
import { acknowledgeAwsSolutions } from '../nag.ts';

/** The EventBridge rule (`<prefix>-secret-rotation-failed`) and its runbook heading. */
export const ROTATION_FAILED_RULE = 'secret-rotation-failed';

export interface AlarmTopicProps {
  readonly prefix: string;
  readonly notificationEmails: readonly string[];
  readonly removalPolicy: RemovalPolicy;
}

/**
 * The topic every alarm notifies (`<prefix>-alarms`). Only this stack's alarms (all named
 * `<prefix>-…`) in this account and region may publish to it.
 */
export function alarmTopic(scope: Construct, props: AlarmTopicProps): sns.Topic {
  const stack = Stack.of(scope);
  const topic = new sns.Topic(scope, 'AlarmTopic', {
    topicName: `${props.prefix}-alarms`,
    displayName: `${props.prefix} alarms`,
    masterKey: alarmTopicKey(scope, props),
    enforceSSL: true,
  });
  // enforceSSL gives the topic a policy of its own, which replaces SNS's default one: without
  // this statement nothing may publish, and every alarm action fails.
  topic.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: 'CloudWatchAlarmsPublish',
      principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
      actions: ['sns:Publish'],
      resources: [topic.topicArn],
      conditions: {
        StringEquals: { 'aws:SourceAccount': stack.account },
        ArnLike: {
          'aws:SourceArn': stack.formatArn({
            service: 'cloudwatch',
            resource: 'alarm',
            resourceName: `${props.prefix}-*`,
            arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          }),
        },
      },
    }),
  );
  for (const email of props.notificationEmails) {
    topic.addSubscription(new subscriptions.EmailSubscription(email));
  }
  return topic;
}

/**
 * A customer-managed key, because CloudWatch may not use the AWS-managed SNS key; CloudWatch
 * needs kms:GenerateDataKey* and kms:Decrypt on it to publish to the encrypted topic:
 * https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services
 */
function alarmTopicKey(scope: Construct, props: AlarmTopicProps): kms.Key {
  const key = new kms.Key(scope, 'AlarmTopicKey', {
    description: `${props.prefix} alarm topic encryption`,
    enableKeyRotation: true,
    removalPolicy: props.removalPolicy,
  });
  key.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: 'CloudWatchAlarmsPublish',
      principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
      actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
      resources: ['*'],
      conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(scope).account } },
    }),
  );
  return key;
}

/**
 * Secrets Manager records a failed rotation as the CloudTrail service event `RotationFailed`
 * (https://docs.aws.amazon.com/secretsmanager/latest/userguide/retrieve-ct-entries.html), which
 * EventBridge's default bus receives as detail type `AWS Service Event via CloudTrail`, no trail
 * needed (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-service-event-cloudtrail.html).
 * There is no metric for it, so a rule sends the database secrets' failures to the alarm topic. The
 * rule publishes with a role of its own (sns:Publish, and the key through IAM), so neither the
 * topic policy nor the key policy has to trust events.amazonaws.com as a whole.
 */
export function notifyRotationFailures(
  scope: Construct,
  prefix: string,
  topic: sns.ITopic,
  database: Database,
): events.Rule {
  const rule = new events.Rule(scope, ROTATION_FAILED_RULE, {
    ruleName: `${prefix}-${ROTATION_FAILED_RULE}`,
    description: `Secrets Manager failed to rotate a ${prefix} database secret. Runbook: infra/README.md#${ROTATION_FAILED_RULE}`,
    eventPattern: {
      source: ['aws.secretsmanager'],
      detailType: ['AWS Service Event via CloudTrail'],
      detail: {
        eventSource: ['secretsmanager.amazonaws.com'],
        eventName: ['RotationFailed'],
        // Rotation service events carry the secret's ARN here (their requestParameters are empty).
        additionalEventData: { SecretId: database.secrets.map((secret) => secret.secretArn) },
      },
    },
  });
  const secretId = events.EventField.fromPath('$.detail.additionalEventData.SecretId');
  rule.addTarget(
    new eventsTargets.SnsTopic(topic, {
      authorizeUsingRole: true,
      message: events.RuleTargetInput.fromText(
        `ALARM ${prefix}-${ROTATION_FAILED_RULE}: Secrets Manager failed to rotate ${secretId} at ` +
          `${events.EventField.time}. Runbook: infra/README.md#${ROTATION_FAILED_RULE}`,
      ),
    }),
  );
  acknowledgeAwsSolutions(
    rule,
    'IAM5[Action::kms:GenerateDataKey*]',
    "kms:GenerateDataKey* on the alarm topic's own key only: what SNS needs to encrypt the message the rule publishes.",
  );
  return rule;
}
