/**
 * RDS MySQL 8 for the dimension and wide tables: encrypted, TLS required, optionally RDS Proxy in
 * front, and three users, each with a generated secret in the RDS format
 * (`{username,password,host,port,dbname,engine}`):
 *   - the master user (`lrt_admin`): creates the other two and their grants, nothing else;
 *     rotated by the hosted single-user rotation function;
 *   - the app user (`lrt_app`): what the functions and RDS Proxy use, SELECT/INSERT/UPDATE per
 *     table only (db/users.ts); rotated by the alternating-users rotation function, or by the
 *     single-user one where RDS Proxy signs in with it (below);
 *   - the migrator (`lrt_schema`): runs the migrations; alternating-users rotation.
 * With `database.functionAuth: 'iam'` the functions sign in to RDS Proxy with IAM authentication
 * tokens for the app user instead of its password (`functionEnvironment`, `grantFunctionAccess`).
 * The app and migrator users are created in MySQL by the schema-migration function
 * (schema-migration.ts), so their rotation schedules — whose first rotation runs at once — and
 * RDS Proxy come after it (`schemaDependents`).
 *
 * The parts, in infra/lib/database/: instance.ts (instance, parameter and security groups, log
 * groups), secrets.ts, rotation.ts, proxy.ts; this construct puts them together and gives the
 * functions their way in (environment, grants, security groups).
 */
import type { RemovalPolicy } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as rds from 'aws-cdk-lib/aws-rds';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct, type IConstruct } from 'constructs';
import { APP_USER, MIGRATOR_USER } from '../config/database-users.ts';
import type { EnvironmentConfig } from '../config/environment-schema.ts';
import {
  acknowledgeInstanceChoices,
  createInstance,
  MYSQL_PORT,
  MYSQL_PORT_NUMBER,
} from './database/instance.ts';
import { addProxy } from './database/proxy.ts';
import { addMasterRotation, addUserRotations, giveRotationLogsRetention } from './database/rotation.ts';
import { masterSecret, userSecret } from './database/secrets.ts';
import type { Network } from './network.ts';

export interface DatabaseProps {
  readonly settings: EnvironmentConfig['database'];
  readonly network: Network;
  readonly instanceIdentifier: string;
  /** Retention of the rotation functions' log groups (the functions' own setting). */
  readonly logRetentionDays: number;
  /** What happens to those log groups with the stack (they have fixed names). */
  readonly removalPolicy: RemovalPolicy;
}

/** The database users (infra/config/database-users.ts; what they may do: db/users.ts). */
export {
  APP_USER,
  DATABASE_USERS,
  MASTER_USER,
  MAX_ROTATION_CLONE_NAME_LENGTH,
  MIGRATOR_USER,
  ROTATION_CLONE_SUFFIX,
} from '../config/database-users.ts';

export class Database extends Construct {
  readonly instance: rds.DatabaseInstance;
  /** The master user's secret (attached to the instance). */
  readonly masterSecret: secretsmanager.ISecret;
  /** The app user's secret: RDS Proxy's, and the functions' DB_SECRET_ID where they use it. */
  readonly appSecret: secretsmanager.ISecret;
  /** The migrator's secret: the schema-migration function's. */
  readonly migratorSecret: secretsmanager.ISecret;
  readonly proxy?: rds.DatabaseProxy;
  readonly databaseName: string;
  /** What the schema step needs in place: the instance and the three secrets with their hosts. */
  readonly schemaPrerequisites: IConstruct[];
  /** What needs the app and migrator users to exist in MySQL: their rotation schedules, RDS Proxy. */
  readonly schemaDependents: IConstruct[];

  private readonly settings: EnvironmentConfig['database'];

  constructor(scope: Construct, id: string, props: DatabaseProps) {
    super(scope, id);
    const { settings, network } = props;
    this.settings = settings;
    this.databaseName = settings.databaseName;

    const { instance, securityGroup } = createInstance(this, props);
    this.instance = instance;
    this.masterSecret = masterSecret(instance, settings);
    const app = userSecret(this, 'AppSecret', {
      username: APP_USER,
      instance,
      masterSecret: this.masterSecret,
      settings,
    });
    const migrator = userSecret(this, 'MigratorSecret', {
      username: MIGRATOR_USER,
      instance,
      masterSecret: this.masterSecret,
      settings,
    });
    this.appSecret = app.attachment;
    this.migratorSecret = migrator.attachment;
    acknowledgeInstanceChoices(instance, settings);

    const rotation = addMasterRotation(this, instance, settings, network);
    const cfn = (construct: IConstruct) => construct.node.defaultChild as IConstruct;
    this.schemaPrerequisites = [
      // The instance's children as of now — the instance, its master secret and that secret's
      // rotation — not the instance's whole subtree, which will also hold the users' rotation
      // functions and RDS Proxy.
      ...instance.node.children,
      securityGroup,
      cfn(app.secret),
      cfn(app.attachment),
      cfn(migrator.secret),
      cfn(migrator.attachment),
    ];
    this.schemaDependents = addUserRotations(instance, rotation, {
      appSecret: this.appSecret,
      migratorSecret: this.migratorSecret,
      proxy: settings.proxy,
      vpc: network.vpc,
    });
    giveRotationLogsRetention(instance, {
      retentionDays: props.logRetentionDays,
      removalPolicy: props.removalPolicy,
    });

    if (settings.proxy) {
      this.proxy = addProxy(this, {
        name: props.instanceIdentifier,
        instance,
        appSecret: this.appSecret,
        settings,
        network,
      });
      // It logs in as the app user, which exists once the schema step has run.
      this.schemaDependents.push(this.proxy);
    }
  }

  /** Every secret of the database, each rotated. */
  get secrets(): secretsmanager.ISecret[] {
    return [this.masterSecret, this.appSecret, this.migratorSecret];
  }

  /**
   * The database variables of the domain functions' environment (docs/architecture.md, contract 5):
   * - `secret`: `DB_SECRET_ID` (the app secret), `DB_NAME`, `DB_TLS=rds`, and `DB_HOST` = the
   *   proxy's endpoint where there is one (it overrides the secret's host);
   * - `iam`: `DB_AUTH=iam`, `DB_HOST` (the proxy's endpoint), `DB_PORT`, `DB_USER` (the app
   *   user), `DB_NAME`, `DB_TLS=rds`, and no secret: the handler signs a token with the
   *   function's role for each new connection.
   */
  functionEnvironment(): Record<string, string> {
    const common = { DB_NAME: this.databaseName, DB_TLS: 'rds' };
    if (this.settings.functionAuth === 'iam') {
      if (!this.proxy) throw new Error('database.functionAuth iam needs RDS Proxy');
      return {
        DB_AUTH: 'iam',
        DB_HOST: this.proxy.endpoint,
        DB_PORT: String(MYSQL_PORT_NUMBER),
        DB_USER: APP_USER,
        ...common,
      };
    }
    return {
      DB_SECRET_ID: this.appSecret.secretArn,
      ...common,
      ...(this.proxy ? { DB_HOST: this.proxy.endpoint } : {}),
    };
  }

  /**
   * What a domain function may do to sign in: `rds-db:connect` as the app user on the proxy
   * (IAM), or read the app secret.
   */
  grantFunctionAccess(grantee: iam.IGrantable): void {
    if (this.settings.functionAuth === 'iam') {
      if (!this.proxy) throw new Error('database.functionAuth iam needs RDS Proxy');
      this.proxy.grantConnect(grantee, APP_USER);
    } else {
      this.appSecret.grantRead(grantee);
    }
  }

  /** Whether the domain functions call Secrets Manager (only when they read the app secret). */
  get functionsReadSecrets(): boolean {
    return this.settings.functionAuth === 'secret';
  }

  /** Lets `peer` open MySQL connections — to the proxy when there is one, else to the instance. */
  allowConnectionsFrom(peer: ec2.IConnectable): void {
    (this.proxy ?? this.instance).connections.allowFrom(peer, MYSQL_PORT, 'MySQL clients');
  }

  /** Lets `peer` open MySQL connections to the instance itself, proxy or not (the schema step). */
  allowDirectConnectionsFrom(peer: ec2.IConnectable): void {
    this.instance.connections.allowFrom(peer, MYSQL_PORT, 'MySQL schema migration');
  }
}
