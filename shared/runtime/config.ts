/**
 * Function configuration from environment variables (docs/architecture.md, contract 5), validated
 * once at cold start. A bad configuration fails with one message naming every bad variable — never a
 * value, since some are secrets.
 */
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { z } from 'zod';
import { dimensionVariables } from '../dimensions/dimension.ts';
import type { DimensionCacheSettings } from '../dimensions/dimension-cache.ts';
import { DIMENSIONS } from '../domains/dimensions.ts';
import { LOG_LEVELS, type LogLevel } from '../observability/logger.ts';
import { DEFAULT_MAX_EVENT_BYTES } from '../pipeline/decode.ts';
import {
  type CredentialsProvider,
  SecretsManagerCredentials,
  StaticCredentials,
} from '../sink/credentials.ts';

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly variables: string[];

  constructor(problems: Array<{ variable: string; problem: string }>) {
    super(`invalid configuration: ${problems.map((p) => `${p.variable} ${p.problem}`).join('; ')}`);
    this.variables = problems.map((p) => p.variable);
  }
}

const int = (min: number, max: number) =>
  z
    .string()
    .trim()
    .regex(/^-?\d+$/, `must be an integer from ${min} to ${max}`)
    .transform(Number)
    .pipe(z.number().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`));
const bool = z
  .string()
  .trim()
  .toLowerCase()
  .pipe(z.enum(['true', 'false', '1', '0'], 'must be true or false'))
  .transform((v) => v === 'true' || v === '1');
const nonEmpty = z.string().trim().min(1, 'must not be empty');
const logLevel = z
  .string()
  .trim()
  .toUpperCase()
  .pipe(z.enum(LOG_LEVELS, `must be one of ${LOG_LEVELS.join(', ')}`));

/** Service name of the logs, and namespace of the metrics, when the variables do not set them. */
export const DEFAULT_SERVICE_NAME = 'lambda-realtime';

/** The variables of one dimension table's cache settings (names from dimensionVariables). */
function dimensionSchema(name: string) {
  const v = dimensionVariables(name);
  return {
    [v.ttlMs]: int(0, 86_400).optional(),
    [v.staleMs]: int(0, 86_400).optional(),
    [v.negativeTtlMs]: int(0, 86_400).optional(),
    [v.maxEntries]: int(1, 10_000_000).optional(),
    [v.preload]: bool.optional(),
    [v.reloadMs]: int(1, 86_400).optional(),
  };
}

const baseSchema = z.object({
  DB_SECRET_ID: nonEmpty.optional(),
  DB_HOST: nonEmpty.optional(),
  DB_PORT: int(1, 65_535).optional(),
  DB_USER: nonEmpty.optional(),
  DB_PASSWORD: z.string().min(1, 'must not be empty').optional(),
  DB_NAME: z
    .string()
    .regex(/^[A-Za-z0-9_$]{1,64}$/, 'must be a MySQL database name')
    .optional(),
  DB_TLS: z.enum(['off', 'rds'], 'must be off or rds').default('off'),
  DB_POOL_SIZE: int(1, 50).default(2),
  DB_CONNECT_TIMEOUT_MS: int(100, 60_000).default(5_000),
  DB_LOCK_RETRIES: int(0, 10).default(3),
  SECRET_TTL_SECONDS: int(0, 86_400).default(300),
  AWS_ENDPOINT_URL: z.url('must be a URL').optional(),
  AWS_REGION: nonEmpty.optional(),
  AWS_ACCESS_KEY_ID: nonEmpty.optional(),
  AWS_SECRET_ACCESS_KEY: nonEmpty.optional(),
  AWS_SESSION_TOKEN: nonEmpty.optional(),
  DOMAIN: nonEmpty.optional(),
  // Powertools for AWS Lambda's own variables. LOG_LEVEL and METRICS_NAMESPACE, the names before it,
  // are still read when the Powertools one is unset (LOG_LEVEL is Powertools' legacy name as well).
  POWERTOOLS_SERVICE_NAME: nonEmpty.default(DEFAULT_SERVICE_NAME),
  POWERTOOLS_LOG_LEVEL: logLevel.optional(),
  LOG_LEVEL: logLevel.optional(),
  POWERTOOLS_METRICS_NAMESPACE: nonEmpty.optional(),
  METRICS_NAMESPACE: nonEmpty.optional(),
  MAX_EVENT_BYTES: int(1_024, 6 * 1024 * 1024).default(DEFAULT_MAX_EVENT_BYTES),
  // The domains whose records travel on this function's topics, comma-separated (infra/config/
  // event-sources.ts, topicDomains). Unset: every domain — the single shared topic.
  TOPIC_DOMAINS: z
    .string()
    .trim()
    .regex(/^[a-z][a-z0-9_-]*(\s*,\s*[a-z][a-z0-9_-]*)*$/, 'must be a comma-separated list of domains')
    .transform((v) => v.split(',').map((d) => d.trim()))
    .optional(),
});

/** Powertools' variables and the names this project used before it, still read when they are unset. */
const LEGACY_NAMES = { POWERTOOLS_LOG_LEVEL: 'LOG_LEVEL', POWERTOOLS_METRICS_NAMESPACE: 'METRICS_NAMESPACE' };

export type DatabaseConfig =
  | { kind: 'secret'; secretId: string; host?: string; port?: number; database?: string }
  | { kind: 'direct'; host: string; port: number; user: string; password: string; database: string };

export interface Config {
  domain: string;
  database: DatabaseConfig;
  tls: 'off' | 'rds';
  poolSize: number;
  connectTimeoutMs: number;
  lockRetries: number;
  secretTtlMs: number;
  awsEndpoint?: string;
  awsRegion?: string;
  /** The credentials in the function's environment (Lambda puts its role's there), if any. */
  awsCredentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** POWERTOOLS_SERVICE_NAME: the `service` of every log line. */
  serviceName: string;
  /** POWERTOOLS_LOG_LEVEL (or LOG_LEVEL), upper case as Powertools names them. */
  logLevel: LogLevel;
  /** POWERTOOLS_METRICS_NAMESPACE (or METRICS_NAMESPACE). */
  metricsNamespace: string;
  maxEventBytes: number;
  /** TOPIC_DOMAINS: the domains sharing this function's topics (its own included); unset: all. */
  topicDomains?: string[];
  /** Cache settings by dimension name, as the variables set them (unset: the table's defaults). */
  dimensionCache: Record<string, Partial<DimensionCacheSettings>>;
}

/** Every variable loadConfig reads. */
export function configVariables(dimensions: readonly { name: string }[] = DIMENSIONS): string[] {
  return [
    ...Object.keys(baseSchema.shape),
    ...dimensions.flatMap((d) => Object.values(dimensionVariables(d.name))),
  ];
}

/**
 * The configuration of `domain`'s function; `dimensions` are the dimension tables (by default the
 * declared ones), whose cache variables are read too.
 */
export function loadConfig(
  env: NodeJS.ProcessEnv,
  domain: string,
  dimensions: readonly { name: string }[] = DIMENSIONS,
): Config {
  // The dimension variables are read back by name below; the rest keeps its static type.
  const schema = baseSchema.extend(
    Object.assign({}, ...dimensions.map((d) => dimensionSchema(d.name))),
  ) as unknown as typeof baseSchema;
  // Empty variables count as unset (CloudFormation often renders optional ones as '').
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  // An older name is read only when the Powertools one is unset: it is not even checked otherwise.
  for (const [name, legacy] of Object.entries(LEGACY_NAMES)) if (name in present) delete present[legacy];
  const parsed = schema.safeParse(present);
  const problems: Array<{ variable: string; problem: string }> = [];
  const report = (variable: string, problem: string) => {
    if (!problems.some((p) => p.variable === variable)) problems.push({ variable, problem });
  };
  if (!parsed.success) {
    for (const issue of parsed.error.issues) report(String(issue.path[0]), issue.message);
  }
  // Checks across variables run on the raw values too, so one message names every bad variable
  // even when some failed their own schema.
  const raw = present as Record<string, string | undefined>;
  const configuredDomain = raw.DOMAIN?.trim();
  if (configuredDomain && configuredDomain !== domain) {
    report('DOMAIN', `does not match this function's domain (${domain})`);
  }
  const topicDomains = raw.TOPIC_DOMAINS?.split(',').map((d) => d.trim());
  if (topicDomains && !topicDomains.includes(domain)) {
    report('TOPIC_DOMAINS', `must include this function's domain (${domain})`);
  }
  if (!raw.DB_SECRET_ID) {
    for (const name of ['DB_HOST', 'DB_USER', 'DB_PASSWORD', 'DB_NAME'] as const) {
      if (!raw[name]) report(name, 'is required when DB_SECRET_ID is not set');
    }
  }
  if (!parsed.success || problems.length > 0) throw new ConfigError(problems);
  const v = parsed.data;
  let database: DatabaseConfig | undefined;
  if (v.DB_SECRET_ID) {
    database = {
      kind: 'secret',
      secretId: v.DB_SECRET_ID,
      ...(v.DB_HOST ? { host: v.DB_HOST } : {}),
      ...(v.DB_PORT ? { port: v.DB_PORT } : {}),
      ...(v.DB_NAME ? { database: v.DB_NAME } : {}),
    };
  } else if (v.DB_HOST && v.DB_USER && v.DB_PASSWORD && v.DB_NAME) {
    database = {
      kind: 'direct',
      host: v.DB_HOST,
      port: v.DB_PORT ?? 3306,
      user: v.DB_USER,
      password: v.DB_PASSWORD,
      database: v.DB_NAME,
    };
  }
  if (problems.length > 0 || !database) throw new ConfigError(problems);

  const vars = v as Record<string, unknown>;
  const dimensionCache = Object.fromEntries(
    dimensions.map(({ name }) => {
      const settings: Partial<DimensionCacheSettings> = {};
      for (const [setting, variable] of Object.entries(dimensionVariables(name))) {
        const value = vars[variable];
        if (value === undefined) continue;
        (settings as Record<string, unknown>)[setting] = setting.endsWith('Ms')
          ? (value as number) * 1_000
          : value;
      }
      return [name, settings];
    }),
  );

  return {
    domain,
    database,
    tls: v.DB_TLS,
    poolSize: v.DB_POOL_SIZE,
    connectTimeoutMs: v.DB_CONNECT_TIMEOUT_MS,
    lockRetries: v.DB_LOCK_RETRIES,
    secretTtlMs: v.SECRET_TTL_SECONDS * 1_000,
    ...(v.AWS_ENDPOINT_URL ? { awsEndpoint: v.AWS_ENDPOINT_URL } : {}),
    ...(v.AWS_REGION ? { awsRegion: v.AWS_REGION } : {}),
    ...(v.AWS_ACCESS_KEY_ID && v.AWS_SECRET_ACCESS_KEY
      ? {
          awsCredentials: {
            accessKeyId: v.AWS_ACCESS_KEY_ID,
            secretAccessKey: v.AWS_SECRET_ACCESS_KEY,
            ...(v.AWS_SESSION_TOKEN ? { sessionToken: v.AWS_SESSION_TOKEN } : {}),
          },
        }
      : {}),
    serviceName: v.POWERTOOLS_SERVICE_NAME,
    logLevel: v.POWERTOOLS_LOG_LEVEL ?? v.LOG_LEVEL ?? 'INFO',
    metricsNamespace: v.POWERTOOLS_METRICS_NAMESPACE ?? v.METRICS_NAMESPACE ?? DEFAULT_SERVICE_NAME,
    maxEventBytes: v.MAX_EVENT_BYTES,
    ...(v.TOPIC_DOMAINS ? { topicDomains: v.TOPIC_DOMAINS } : {}),
    dimensionCache,
  };
}

/**
 * The credentials provider a configuration asks for: DB_* variables as they are, or the secret
 * read through a Secrets Manager client built from the same environment (endpoint, region and
 * credentials given there; otherwise the SDK's own chain).
 */
export function credentialsFromConfig(config: Config): CredentialsProvider {
  const db = config.database;
  if (db.kind === 'direct') return new StaticCredentials(db);
  const client = new SecretsManagerClient({
    ...(config.awsEndpoint ? { endpoint: config.awsEndpoint } : {}),
    ...(config.awsRegion ? { region: config.awsRegion } : {}),
    ...(config.awsCredentials ? { credentials: config.awsCredentials } : {}),
  });
  return new SecretsManagerCredentials({
    client,
    secretId: db.secretId,
    ttlMs: config.secretTtlMs,
    ...(db.host ? { host: db.host } : {}),
    ...(db.port ? { port: db.port } : {}),
    ...(db.database ? { database: db.database } : {}),
  });
}
