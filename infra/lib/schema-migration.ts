/**
 * The schema step of every deployment: the schema-migration function (db/migrate-handler.ts) in
 * the VPC, invoked by CDK's `Trigger` once the database and its three secrets exist, before the
 * functions, their Kafka event source mappings, RDS Proxy and the app and migrator users'
 * rotation schedules. It creates the app and migrator users, runs the migrations as the migrator
 * and grants the app user its tables (db/deploy-schema.ts); when it fails, the deployment fails
 * with its message and CloudFormation rolls back.
 *
 * When it runs: the trigger is a custom resource whose `HandlerArn` is the function's current
 * version, so it runs on creation and again whenever the function's code or configuration changes
 * ("Re-executes the trigger every time the handler changes … associated with the currentVersion
 * of the handler", executeOnHandlerChange, default true:
 * https://docs.aws.amazon.com/cdk/api/v2/docs/aws-cdk-lib.triggers.TriggerOptions.html). The
 * code holds the migrations, the registry's tables and the grant logic, so a new migration or
 * table re-runs it; a deployment that changes none of them has nothing for it to do. It can also
 * be invoked by hand (idempotent).
 */
import { CfnResource, Duration, type RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as triggers from 'aws-cdk-lib/triggers';
import { Construct, type IConstruct } from 'constructs';
import type { EnvironmentConfig } from '../config/environment-schema.ts';
import type { Database } from './database.ts';
import { NODE_ENVIRONMENT } from './function-code.ts';
import { logGroup } from './log-group.ts';
import { acknowledgeCheckov, acknowledgeVpcFunctionManagedPolicies } from './nag.ts';
import type { Network } from './network.ts';

/**
 * Long enough for an ALTER TABLE on a large wide table; the trigger's provider function (15
 * minutes at most) waits a minute longer, so a timeout is reported as the function's own.
 */
export const SCHEMA_MIGRATION_TIMEOUT = Duration.minutes(10);

export interface SchemaMigrationProps {
  readonly functionName: string;
  readonly code: lambda.Code;
  readonly settings: EnvironmentConfig['functions'];
  readonly network: Network;
  readonly database: Database;
  readonly removalPolicy: RemovalPolicy;
}

export class SchemaMigration extends Construct {
  readonly function: lambda.Function;
  readonly trigger: triggers.Trigger;
  readonly securityGroup: ec2.SecurityGroup;

  constructor(scope: Construct, id: string, props: SchemaMigrationProps) {
    super(scope, id);
    const { database, network } = props;

    const functionLogs = logGroup(this, 'Logs', {
      name: `/aws/lambda/${props.functionName}`,
      retentionDays: props.settings.logRetentionDays,
      removalPolicy: props.removalPolicy,
    });

    // MySQL itself (not RDS Proxy, which knows the app user only) and Secrets Manager, nothing else.
    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: network.vpc,
      description: 'Schema migration function: MySQL 3306 and Secrets Manager 443 only',
      allowAllOutbound: false,
    });
    database.allowDirectConnectionsFrom(this.securityGroup);
    network.allowSecretsManagerFrom(this.securityGroup);

    this.function = new lambda.Function(this, 'Function', {
      functionName: props.functionName,
      description: 'lambda-realtime schema: database users, migrations (as the migrator), app grants',
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      handler: 'index.handler',
      code: props.code,
      memorySize: 512,
      timeout: SCHEMA_MIGRATION_TIMEOUT,
      vpc: network.vpc,
      vpcSubnets: network.privateSubnets,
      securityGroups: [this.securityGroup],
      logGroup: functionLogs,
      // The variables db/migrate-handler.ts reads. DB_HOST is the instance's endpoint: should the
      // instance ever be replaced, the function's configuration changes and the trigger runs again.
      environment: {
        DB_ADMIN_SECRET_ID: database.masterSecret.secretArn,
        DB_MIGRATOR_SECRET_ID: database.migratorSecret.secretArn,
        DB_APP_SECRET_ID: database.appSecret.secretArn,
        DB_HOST: database.instance.dbInstanceEndpointAddress,
        DB_PORT: database.instance.dbInstanceEndpointPort,
        DB_NAME: database.databaseName,
        DB_TLS: 'rds',
        ...NODE_ENVIRONMENT,
      },
    });
    for (const secret of database.secrets) secret.grantRead(this.function);

    this.trigger = new triggers.Trigger(this, 'Trigger', {
      handler: this.function,
      timeout: SCHEMA_MIGRATION_TIMEOUT.plus(Duration.minutes(1)),
      executeOnHandlerChange: true,
      // The database and its secrets, and every network path the function takes (its own rules,
      // MySQL's ingress rule, the Secrets Manager endpoint's).
      executeAfter: [...database.schemaPrerequisites, network, this.securityGroup],
    });
    // The app and migrator users' first rotations and RDS Proxy need those users in MySQL.
    for (const dependent of database.schemaDependents) dependent.node.addDependency(this.trigger);
    this.acknowledgeTriggerProvider();
    this.giveTriggerProviderLogs(props);

    acknowledgeCheckov(
      this.function,
      'CKV_AWS_116',
      'Invoked synchronously by the deployment (CDK trigger), which fails on its error; a function DLQ applies to asynchronous invocations only.',
    );
    acknowledgeCheckov(
      this.function,
      'CKV_AWS_115',
      'Invoked once per deployment by its trigger; the migrations also take a database lock (GET_LOCK), so reserved concurrency would only take capacity from the account.',
    );
    acknowledgeCheckov(
      this.function,
      'CKV_AWS_173',
      'The environment holds no secret (secret ARNs, host, database name); Lambda encrypts it at rest with its AWS-managed key and passwords are read from Secrets Manager at run time.',
    );
    acknowledgeVpcFunctionManagedPolicies(this.function);
  }

  /**
   * The trigger's custom-resource provider: a function of CDK's own (one per stack, outside the
   * VPC) that CloudFormation calls and that only invokes the schema-migration function.
   */
  private acknowledgeTriggerProvider(): void {
    const handler = this.triggerProviderHandler();
    acknowledgeCheckov(
      handler,
      'CKV_AWS_116',
      "CDK's trigger provider is invoked synchronously by CloudFormation as a custom resource, which fails the deployment on its error; there is no asynchronous invocation for a DLQ to catch.",
    );
    acknowledgeCheckov(
      handler,
      'CKV_AWS_117',
      "CDK's trigger provider only calls the Lambda API (lambda:InvokeFunction on the schema-migration function); it reaches nothing in the VPC, whose subnets have no route to the Lambda API.",
    );
    acknowledgeCheckov(
      handler,
      'CKV_AWS_115',
      "CDK's trigger provider runs once per trigger and deployment, called by CloudFormation; reserved concurrency would only take capacity from the account.",
    );
  }

  /**
   * The trigger provider would log to a group Lambda creates on its first run, without a
   * retention. It logs to one of ours instead (its `LoggingConfig`, which CDK's provider does not
   * expose: set on the resource), with the functions' retention and no fixed name.
   */
  private giveTriggerProviderLogs(props: SchemaMigrationProps): void {
    const handler = this.triggerProviderHandler();
    const group = logGroup(this, 'TriggerProviderLogs', {
      retentionDays: props.settings.logRetentionDays,
      removalPolicy: props.removalPolicy,
    });
    handler.addPropertyOverride('LoggingConfig', { LogGroup: group.logGroupName });
    // Its role may write there (AWSLambdaBasicExecutionRole covers any group of the account).
    handler.addResourceDependency(group.node.defaultChild as CfnResource);
  }

  private triggerProviderHandler(): CfnResource {
    const provider = Stack.of(this).node.tryFindChild(
      'AWSCDK.TriggerCustomResourceProviderCustomResourceProvider',
    );
    const handler = provider?.node.tryFindChild('Handler');
    if (!(handler instanceof CfnResource)) throw new Error('the CDK trigger provider function was not found');
    return handler;
  }

  /** Makes `constructs` wait for the schema step (its users, tables and grants). */
  runsBefore(...constructs: IConstruct[]): void {
    this.trigger.executeBefore(...(constructs as Construct[]));
  }
}
