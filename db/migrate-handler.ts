/**
 * The schema-migration function: a Lambda function in the VPC that every deployment invokes through
 * CDK's trigger (infra/lib/schema-migration.ts) after the database and its secrets exist and before
 * the functions and their Kafka event source mappings. It runs db/deploy-schema.ts — users (as the
 * master user), migrations (as the migrator), the app user's grants (as the master user) — and
 * fails the deployment with the failing step's own message. Everything it does is idempotent.
 *
 * CloudFormation's rollback of a failed deployment invokes the previous version of this function
 * (the trigger's old properties): migrations newer than its code are then left alone rather than
 * refused, and the grants return to the previous registry's, like the functions' code.
 *
 * Variables (set by CDK):
 *   DB_ADMIN_SECRET_ID     the RDS master secret (creates users, grants)
 *   DB_MIGRATOR_SECRET_ID  the migrator's secret (runs the migrations)
 *   DB_APP_SECRET_ID       the app user's secret (its user name and first password)
 *   DB_HOST, DB_PORT       the instance itself (never RDS Proxy, which knows the app user only)
 *   DB_NAME                the database
 *   DB_TLS, DB_TLS_CA      `rds` in AWS (shared/runtime/config.ts reads them, as for the functions)
 *
 * Invoked with `{"action": "verify", "smokeRows": [...]}` it changes nothing (but the smoke rows
 * it removes) and answers `{checks}`: what `npm run smoke` reports from inside the VPC (db/verify.ts).
 * Its own connections go to the instance (the proxy depends on this function's first run, so it
 * cannot name the proxy); the functions' own path — RDS Proxy, IAM, verified TLS and the sink's
 * affected-row proof, which refuses to write when it fails — is proven by the smoke event itself.
 *
 * The migrations travel beside the bundle (`migrations/` next to index.mjs; db/migrate.ts reads
 * them from there), so a new migration changes the function's code and re-runs the trigger.
 */
import { DIMENSIONS, TABLES } from '../shared/domains/registry.ts';
import * as z from '../shared/events/zod.ts';
import { Logger } from '../shared/observability/logger.ts';
import { awsSettings, secretsManagerClient, tlsFromEnv } from '../shared/runtime/config.ts';
import { SecretsManagerCredentials } from '../shared/sink/credentials.ts';
import { Database } from '../shared/sink/database.ts';
import type { Table } from '../shared/tables/table.ts';
import { connectWithRotation } from './connection.ts';
import { type DeploySchemaResult, deploySchema } from './deploy-schema.ts';
import { type Migration, readMigrations } from './migrate.ts';
import { type Check, type SmokeRow, verifyDeployment } from './verify.ts';

const nonEmpty = z.string().check(z.trim(), z.minLength(1, 'must not be empty'));

const variables = z.object({
  DB_ADMIN_SECRET_ID: nonEmpty,
  DB_MIGRATOR_SECRET_ID: nonEmpty,
  DB_APP_SECRET_ID: nonEmpty,
  DB_HOST: z.optional(nonEmpty),
  DB_PORT: z.optional(
    z.pipe(z.string().check(z.regex(/^\d{1,5}$/, 'must be a port number')), z.transform(Number)),
  ),
  DB_NAME: z.string().check(z.regex(/^[A-Za-z0-9_$]{1,64}$/, 'must be a MySQL database name')),
  DB_TLS: z._default(z.enum(['off', 'rds', 'verify'], 'must be off, rds or verify'), 'off'),
  DB_TLS_CA: z.optional(nonEmpty),
  AWS_ENDPOINT_URL: z.optional(z.url('must be a URL')),
  AWS_REGION: z.optional(nonEmpty),
  AWS_ACCESS_KEY_ID: z.optional(nonEmpty),
  AWS_SECRET_ACCESS_KEY: z.optional(nonEmpty),
  AWS_SESSION_TOKEN: z.optional(nonEmpty),
});

/** Every variable the function reads (CDK sets the DB_ ones; Lambda the AWS_ ones). */
export const MIGRATION_VARIABLES = Object.keys(variables.shape);

export interface MigrationHandlerOptions {
  /** The variables above; process.env by default. */
  env?: NodeJS.ProcessEnv;
  /** The migrations to apply; db/migrations (beside the bundle in AWS) by default. */
  migrations?: () => Migration[];
  /** The registry's tables and dimension tables, whose grants the app user gets. */
  tables?: readonly Pick<Table, 'name'>[];
  dimensions?: readonly { table: Pick<Table, 'name'> }[];
  /** Log lines (JSON); stdout by default. */
  writeLog?: (line: string) => void;
}

/** `npm run smoke`'s request; any other event (the deployment's trigger) deploys the schema. */
export type { SmokeRow };

export interface VerifyRequest {
  action: 'verify';
  /** The smoke event's rows, its event row first; empty when the smoke event was not sent. */
  smokeRows: SmokeRow[];
}

/** The function: the deployment's schema step, or `npm run smoke`'s verification. */
export interface MigrationHandler {
  (event: VerifyRequest): Promise<{ checks: Check[] }>;
  (event?: unknown): Promise<MigrationSummary>;
}

/** What the function answers (the trigger only looks at success or failure). */
export interface MigrationSummary extends DeploySchemaResult {
  database: string;
  app: string;
  migrator: string;
}

export function createMigrationHandler(options: MigrationHandlerOptions = {}): MigrationHandler {
  const log = new Logger({
    persistentKeys: { function: 'schema-migration' },
    ...(options.writeLog ? { write: options.writeLog } : {}),
  });
  return (async (event?: unknown) => {
    const present = Object.fromEntries(
      Object.entries(options.env ?? process.env).filter(([, v]) => v !== undefined && v !== ''),
    );
    const parsed = variables.safeParse(present);
    if (!parsed.success) {
      const problems = parsed.error.issues.map((i) => `${String(i.path[0])} ${i.message}`);
      throw new Error(`invalid configuration: ${problems.join('; ')}`);
    }
    const v = parsed.data;
    const tls = tlsFromEnv(present);
    // The functions' client (shared/runtime/config.ts): what the variables give, else the SDK's chain.
    const client = secretsManagerClient(awsSettings(v));
    const secret = (secretId: string) =>
      new SecretsManagerCredentials({
        client,
        secretId,
        ttlMs: 0,
        database: v.DB_NAME,
        ...(v.DB_HOST ? { host: v.DB_HOST } : {}),
        ...(v.DB_PORT ? { port: v.DB_PORT } : {}),
      });
    const step: Step = { v, tls, secret, log, options };
    try {
      return isVerifyRequest(event) ? await verify(step, event) : await deploy(step);
    } finally {
      client.destroy();
    }
  }) as MigrationHandler;
}

/** What both requests work with: the variables, TLS, the secrets by id, the log. */
interface Step {
  v: z.output<typeof variables>;
  tls: ReturnType<typeof tlsFromEnv>;
  secret: (secretId: string) => SecretsManagerCredentials;
  log: Logger;
  options: MigrationHandlerOptions;
}

/** `npm run smoke`'s checks from inside the VPC (db/verify.ts), changing nothing. */
async function verify({ v, tls, secret, log }: Step, event: VerifyRequest): Promise<{ checks: Check[] }> {
  // The app user on the instance (its password is the same behind the proxy).
  const app = {
    database: new Database({ credentials: secret(v.DB_APP_SECRET_ID), tls, poolSize: 1 }),
    verified: tls !== 'off',
  };
  const [appLogin, migratorLogin] = await Promise.all([
    secret(v.DB_APP_SECRET_ID).get(),
    secret(v.DB_MIGRATOR_SECRET_ID).get(),
  ]);
  const checks = await verifyDeployment({
    admin: () => connectWithRotation(secret(v.DB_ADMIN_SECRET_ID), tls),
    app,
    tables: TABLES,
    dimensions: DIMENSIONS,
    users: {
      database: v.DB_NAME,
      app: { user: appLogin.user, password: '' },
      migrator: { user: migratorLogin.user, password: '' },
    },
    smokeRows: event.smokeRows,
  });
  log.info('verified', { failed: checks.filter((c) => !c.ok).map((c) => c.check) });
  return { checks };
}

/** The deployment's schema step: users, migrations and grants (db/deploy-schema.ts). */
async function deploy({ v, tls, secret, log, options }: Step): Promise<MigrationSummary> {
  const migratorSecret = secret(v.DB_MIGRATOR_SECRET_ID);
  try {
    const [app, migrator] = await Promise.all([secret(v.DB_APP_SECRET_ID).get(), migratorSecret.get()]);
    const admin = await connectWithRotation(secret(v.DB_ADMIN_SECRET_ID), tls).catch((error) => {
      throw new Error(`cannot log in as the administrator: ${(error as Error).message}`, { cause: error });
    });
    try {
      const result = await deploySchema({
        admin,
        connectMigrator: () => connectWithRotation(migratorSecret, tls),
        users: {
          database: v.DB_NAME,
          app: { user: app.user, password: app.password },
          migrator: { user: migrator.user, password: migrator.password },
        },
        tables: options.tables ?? TABLES,
        dimensions: options.dimensions ?? DIMENSIONS,
        migrations: (options.migrations ?? readMigrations)(),
        // A rollback runs the previous version of this function after newer migrations ran.
        migrateOptions: { newer: 'leave' },
      });
      const summary = { database: v.DB_NAME, app: app.user, migrator: migrator.user, ...result };
      if (result.migrations.newer?.length) {
        log.warn('the database has migrations newer than this code, left as they are (a rollback?)', {
          newer: result.migrations.newer,
        });
      }
      log.info('schema deployed', { ...summary });
      return summary;
    } finally {
      await admin.end().catch(() => {});
    }
  } catch (error) {
    log.error('schema deployment failed', { error: (error as Error).message });
    throw error;
  }
}

function isVerifyRequest(event: unknown): event is VerifyRequest {
  return (
    typeof event === 'object' &&
    event !== null &&
    (event as { action?: unknown }).action === 'verify' &&
    Array.isArray((event as { smokeRows?: unknown }).smokeRows)
  );
}

export const handler = createMigrationHandler();
