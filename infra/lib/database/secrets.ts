/**
 * The database users' secrets: the master user's, which RDS generates with the instance, and the
 * app and migrator users' (RDS format once attached). All are kept whenever the data is.
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import type { EnvironmentConfig } from '../../config/environment-schema.ts';
import { acknowledgeCheckov } from '../nag.ts';

const SECRET_KMS_REASON =
  'Encrypted with the AWS-managed aws/secretsmanager key; access is by IAM (functions, proxy, rotation, schema migration) in this account only, so a customer key would add grants and restrict no one.';

/** What outlives the instance (snapshot or retained) keeps what is needed to use it again. */
function keepWithData(settings: EnvironmentConfig['database']): RemovalPolicy {
  return settings.removalPolicy === 'destroy' ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN;
}

/**
 * The master user's secret. RDS generates it, and it is deleted with the stack by default, while a
 * snapshot or a retained instance still needs its master password: keep the secret whenever the
 * data is kept. (`instance.secret` is the target attachment; the secret itself is the instance's
 * child.)
 */
export function masterSecret(
  instance: rds.DatabaseInstance,
  settings: EnvironmentConfig['database'],
): secretsmanager.ISecret {
  const generatedSecret = instance.node.children.find((c) => c instanceof secretsmanager.Secret);
  if (!(generatedSecret instanceof secretsmanager.Secret)) {
    throw new Error(`${instance.node.path} has no generated secret to keep`);
  }
  generatedSecret.applyRemovalPolicy(keepWithData(settings));
  acknowledgeCheckov(generatedSecret, 'CKV_AWS_149', SECRET_KMS_REASON);
  return instance.secret!;
}

export interface UserSecret {
  readonly secret: rds.DatabaseSecret;
  /** The secret attached to the instance: what users of the secret are given. */
  readonly attachment: secretsmanager.ISecret;
}

/**
 * An app or migrator user's secret: RDS format once attached (host, port, engine), with
 * `masterarn`, which the alternating-users rotation logs in with to create and update the user's
 * `_clone` twin. Kept with the data, like the master secret: a retained database still has these
 * users.
 */
export function userSecret(
  scope: Construct,
  id: string,
  props: {
    readonly username: string;
    readonly instance: rds.DatabaseInstance;
    readonly masterSecret: secretsmanager.ISecret;
    readonly settings: EnvironmentConfig['database'];
  },
): UserSecret {
  const secret = new rds.DatabaseSecret(scope, id, {
    username: props.username,
    dbname: props.settings.databaseName,
    masterSecret: props.masterSecret,
  });
  secret.applyRemovalPolicy(keepWithData(props.settings));
  acknowledgeCheckov(secret, 'CKV_AWS_149', SECRET_KMS_REASON);
  return { secret, attachment: secret.attach(props.instance) };
}
