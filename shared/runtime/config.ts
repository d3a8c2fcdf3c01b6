/**
 * Function configuration from environment variables (docs/architecture.md, contract 5), validated
 * once at cold start. A bad configuration fails with one message naming every bad variable — never a
 * value, since some are secrets.
 */
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { dimensionVariables } from '../dimensions/dimension.ts';
import type { DimensionCacheSettings } from '../dimensions/dimension-cache.ts';
import { DIMENSIONS } from '../domains/dimensions.ts';
import * as z from '../events/zod.ts';
import { LOG_LEVELS, type LogLevel } from '../observability/logger.ts';
import { DEFAULT_MAX_EVENT_BYTES } from '../pipeline/decode.ts';
import {
  type CredentialsProvider,
  IamAuthCredentials,
  SecretsManagerCredentials,
  StaticCredentials,
} from '../sink/credentials.ts';
import type { DbTls } from '../sink/database.ts';

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly variables: string[];

  constructor(problems: Array<{ variable: string; problem: string }>) {
    super(`invalid configuration: ${problems.map((p) => `${p.variable} ${p.problem}`).join('; ')}`);
    this.variables = problems.map((p) => p.variable);
  }
}

const int = (min: number, max: number) =>
  z.pipe(
    z.pipe(
      z.string().check(z.trim(), z.regex(/^-?\d+$/, `must be an integer from ${min} to ${max}`)),
      z.transform(Number),
    ),
    z.number().check(z.gte(min, `must be at least ${min}`), z.lte(max, `must be at most ${max}`)),
  );
const bool = z.pipe(
  z.pipe(
    z.string().check(z.trim(), z.toLowerCase()),
    z.enum(['true', 'false', '1', '0'], 'must be true or false'),
  ),
  z.transform((v: 'true' | 'false' | '1' | '0') => v === 'true' || v === '1'),
);
const nonEmpty = z.string().check(z.trim(), z.minLength(1, 'must not be empty'));
const logLevel = z.pipe(
  z.string().check(z.trim(), z.toUpperCase()),
  z.enum(LOG_LEVELS, `must be one of ${LOG_LEVELS.join(', ')}`),
);

/** Service name of the logs, and namespace of the metrics, when the variables do not set them. */
export const DEFAULT_SERVICE_NAME = 'lambda-realtime';

/** The variables of one dimension table's cache settings (names from dimensionVariables). */
function dimensionSchema(name: string) {
  const v = dimensionVariables(name);
  return {
    [v.ttlMs]: z.optional(int(0, 86_400)),
    [v.staleMs]: z.optional(int(0, 86_400)),
    [v.negativeTtlMs]: z.optional(int(0, 86_400)),
    [v.maxEntries]: z.optional(int(1, 10_000_000)),
    [v.preload]: z.optional(bool),
    [v.reloadMs]: z.optional(int(1, 86_400)),
  };
}

const baseSchema = z.object({
  DB_AUTH: z._default(
    z.pipe(
      z.string().check(z.trim(), z.toLowerCase()),
      z.enum(['password', 'iam'], 'must be password or iam'),
    ),
    'password',
  ),
  DB_SECRET_ID: z.optional(nonEmpty),
  DB_HOST: z.optional(nonEmpty),
  DB_PORT: z.optional(int(1, 65_535)),
  DB_USER: z.optional(nonEmpty),
  DB_PASSWORD: z.optional(z.string().check(z.minLength(1, 'must not be empty'))),
  DB_NAME: z.optional(z.string().check(z.regex(/^[A-Za-z0-9_$]{1,64}$/, 'must be a MySQL database name'))),
  DB_TLS: z._default(z.enum(['off', 'rds', 'verify'], 'must be off, rds or verify'), 'off'),
  DB_TLS_CA: z.optional(nonEmpty),
  DB_POOL_SIZE: z._default(int(1, 50), 2),
  DB_CONNECT_TIMEOUT_MS: z._default(int(100, 60_000), 5_000),
  DB_LOCK_RETRIES: z._default(int(0, 10), 3),
  SECRET_TTL_SECONDS: z._default(int(0, 86_400), 300),
  AWS_ENDPOINT_URL: z.optional(z.url('must be a URL')),
  AWS_REGION: z.optional(nonEmpty),
  AWS_ACCESS_KEY_ID: z.optional(nonEmpty),
  AWS_SECRET_ACCESS_KEY: z.optional(nonEmpty),
  AWS_SESSION_TOKEN: z.optional(nonEmpty),
  DOMAIN: z.optional(nonEmpty),
  // Powertools for AWS Lambda's own variables.
  POWERTOOLS_SERVICE_NAME: z._default(nonEmpty, DEFAULT_SERVICE_NAME),
  POWERTOOLS_LOG_LEVEL: z.optional(logLevel),
  POWERTOOLS_METRICS_NAMESPACE: z.optional(nonEmpty),
  MAX_EVENT_BYTES: z._default(int(1_024, 6 * 1024 * 1024), DEFAULT_MAX_EVENT_BYTES),
  // The domains whose records travel on this function's topics, comma-separated (infra/config/
  // event-sources.ts, topicDomains). Unset: every domain — the single shared topic.
  TOPIC_DOMAINS: z.optional(
    z.pipe(
      z
        .string()
        .check(
          z.trim(),
          z.regex(
            /^[a-z][a-z0-9_-]*(\s*,\s*[a-z][a-z0-9_-]*)*$/,
            'must be a comma-separated list of domains',
          ),
        ),
      z.transform((v: string) => v.split(',').map((d) => d.trim())),
    ),
  ),
});

export type DatabaseConfig =
  | { kind: 'secret'; secretId: string; host?: string; port?: number; database?: string }
  | { kind: 'direct'; host: string; port: number; user: string; password: string; database: string }
  /** DB_AUTH=iam: an IAM auth token for `user`, signed for host:port in `region`. */
  | { kind: 'iam'; host: string; port: number; user: string; database: string; region: string };

export interface Config {
  domain: string;
  database: DatabaseConfig;
  /** DB_TLS (and DB_TLS_CA's certificates for `verify`). */
  tls: DbTls;
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
  /** POWERTOOLS_LOG_LEVEL, upper case as Powertools names them. */
  logLevel: LogLevel;
  /** POWERTOOLS_METRICS_NAMESPACE. */
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
  const schema = z.extend(
    baseSchema,
    Object.assign({}, ...dimensions.map((d) => dimensionSchema(d.name))),
  ) as unknown as typeof baseSchema;
  // Empty variables count as unset (CloudFormation often renders optional ones as '').
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
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
  checkAcrossVariables(raw, domain, report);
  const ca = tlsCertificates(raw, report);
  if (!parsed.success || problems.length > 0) throw new ConfigError(problems);
  const v = parsed.data;
  const database = databaseConfig(v);
  if (problems.length > 0 || !database) throw new ConfigError(problems);

  const dimensionCache = dimensionCacheSettings(v as Record<string, unknown>, dimensions);

  return {
    domain,
    database,
    tls: v.DB_TLS === 'verify' ? { ca: ca! } : v.DB_TLS,
    poolSize: v.DB_POOL_SIZE,
    connectTimeoutMs: v.DB_CONNECT_TIMEOUT_MS,
    lockRetries: v.DB_LOCK_RETRIES,
    secretTtlMs: v.SECRET_TTL_SECONDS * 1_000,
    ...awsSettings(v),
    serviceName: v.POWERTOOLS_SERVICE_NAME,
    logLevel: v.POWERTOOLS_LOG_LEVEL ?? 'INFO',
    metricsNamespace: v.POWERTOOLS_METRICS_NAMESPACE ?? DEFAULT_SERVICE_NAME,
    maxEventBytes: v.MAX_EVENT_BYTES,
    ...(v.TOPIC_DOMAINS ? { topicDomains: v.TOPIC_DOMAINS } : {}),
    dimensionCache,
  };
}

type Report = (variable: string, problem: string) => void;

/** The checks that involve several variables (the domain, and how the functions log in). */
function checkAcrossVariables(raw: Record<string, string | undefined>, domain: string, report: Report): void {
  const configuredDomain = raw.DOMAIN?.trim();
  if (configuredDomain && configuredDomain !== domain) {
    report('DOMAIN', `does not match this function's domain (${domain})`);
  }
  const topicDomains = raw.TOPIC_DOMAINS?.split(',').map((d) => d.trim());
  if (topicDomains && !topicDomains.includes(domain)) {
    report('TOPIC_DOMAINS', `must include this function's domain (${domain})`);
  }
  const iam = raw.DB_AUTH?.trim().toLowerCase() === 'iam';
  if (iam) {
    // The password is a token made for DB_HOST:DB_PORT and DB_USER, sent in clear text.
    for (const name of ['DB_HOST', 'DB_USER', 'DB_NAME'] as const) {
      if (!raw[name]) report(name, 'is required when DB_AUTH=iam');
    }
    for (const name of ['DB_PASSWORD', 'DB_SECRET_ID'] as const) {
      if (raw[name]) report(name, 'must not be set when DB_AUTH=iam (the password is an IAM auth token)');
    }
    if (!raw.AWS_REGION) report('AWS_REGION', 'is required when DB_AUTH=iam (the token is signed for it)');
    if ((raw.DB_TLS ?? 'off') === 'off') {
      report('DB_TLS', 'must be rds or verify when DB_AUTH=iam (the token is sent in clear text)');
    }
  } else if (!raw.DB_SECRET_ID) {
    for (const name of ['DB_HOST', 'DB_USER', 'DB_PASSWORD', 'DB_NAME'] as const) {
      if (!raw[name]) report(name, 'is required when DB_SECRET_ID is not set');
    }
  }
}

/** The database login the variables describe, once they passed their checks. */
function databaseConfig(v: z.output<typeof baseSchema>): DatabaseConfig | undefined {
  if (v.DB_AUTH === 'iam' && v.DB_HOST && v.DB_USER && v.DB_NAME && v.AWS_REGION) {
    return {
      kind: 'iam',
      host: v.DB_HOST,
      port: v.DB_PORT ?? 3306,
      user: v.DB_USER,
      database: v.DB_NAME,
      region: v.AWS_REGION,
    };
  } else if (v.DB_SECRET_ID) {
    return {
      kind: 'secret',
      secretId: v.DB_SECRET_ID,
      ...(v.DB_HOST ? { host: v.DB_HOST } : {}),
      ...(v.DB_PORT ? { port: v.DB_PORT } : {}),
      ...(v.DB_NAME ? { database: v.DB_NAME } : {}),
    };
  } else if (v.DB_HOST && v.DB_USER && v.DB_PASSWORD && v.DB_NAME) {
    return {
      kind: 'direct',
      host: v.DB_HOST,
      port: v.DB_PORT ?? 3306,
      user: v.DB_USER,
      password: v.DB_PASSWORD,
      database: v.DB_NAME,
    };
  }
  return undefined;
}

/** Cache settings by dimension name, from the DIM_<NAME>_* variables given (seconds → ms). */
function dimensionCacheSettings(
  vars: Record<string, unknown>,
  dimensions: readonly { name: string }[],
): Record<string, Partial<DimensionCacheSettings>> {
  return Object.fromEntries(
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
}

type AwsSettings = Pick<Config, 'awsEndpoint' | 'awsRegion' | 'awsCredentials'>;

/** The AWS settings of validated AWS_* variables: endpoint, region, credentials when both keys are given. */
export function awsSettings(v: Partial<Record<`AWS_${string}`, string | undefined>>): AwsSettings {
  return {
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
  };
}

/** A Secrets Manager client with those settings; what they leave out comes from the SDK's own chain. */
export function secretsManagerClient(aws: AwsSettings): SecretsManagerClient {
  return new SecretsManagerClient({
    ...(aws.awsEndpoint ? { endpoint: aws.awsEndpoint } : {}),
    ...(aws.awsRegion ? { region: aws.awsRegion } : {}),
    ...(aws.awsCredentials ? { credentials: aws.awsCredentials } : {}),
  });
}

/**
 * DB_TLS and DB_TLS_CA alone, read and checked as loadConfig does: for tools that connect without a
 * function's whole configuration (scripts/services/find-services.ts, the tests' admin connections).
 * Throws ConfigError.
 */
export function tlsFromEnv(env: NodeJS.ProcessEnv): DbTls {
  const problems: Array<{ variable: string; problem: string }> = [];
  const report = (variable: string, problem: string) => {
    if (!problems.some((p) => p.variable === variable)) problems.push({ variable, problem });
  };
  const raw = Object.fromEntries(
    ['DB_TLS', 'DB_TLS_CA'].flatMap((name) => (env[name] ? [[name, env[name]]] : [])),
  ) as Record<string, string | undefined>;
  const mode = baseSchema.shape.DB_TLS.safeParse(raw.DB_TLS);
  if (!mode.success) report('DB_TLS', mode.error.issues[0]?.message ?? 'is not valid');
  const ca = tlsCertificates(raw, report);
  if (!mode.success || problems.length > 0) throw new ConfigError(problems);
  return mode.data === 'verify' ? { ca: ca! } : mode.data;
}

/**
 * DB_TLS_CA's certificates (PEM) when DB_TLS=verify; reports what is wrong with the pair otherwise.
 * The file is read here, once at cold start, so a missing or wrong one fails the configuration.
 */
function tlsCertificates(
  raw: Record<string, string | undefined>,
  report: (variable: string, problem: string) => void,
): string | undefined {
  const mode = raw.DB_TLS ?? 'off';
  const file = raw.DB_TLS_CA?.trim();
  if (mode !== 'verify') {
    if (file) report('DB_TLS_CA', 'is read only when DB_TLS=verify');
    return undefined;
  }
  if (!file) {
    report('DB_TLS_CA', 'is required when DB_TLS=verify (a PEM file of the CA certificates to trust)');
    return undefined;
  }
  let pem: string;
  try {
    pem = readFileSync(file, 'utf8');
  } catch (error) {
    report('DB_TLS_CA', `cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
    return undefined;
  }
  try {
    // Parses the first certificate; what TLS makes of the rest shows when it connects.
    new X509Certificate(pem);
  } catch {
    report('DB_TLS_CA', 'must be a PEM file of CA certificates');
    return undefined;
  }
  return pem;
}

/**
 * The credentials provider a configuration asks for: DB_* variables as they are, IAM auth tokens
 * signed with the environment's role credentials (else the SDK's chain: in the function bundles the
 * environment too, shared/runtime/env-credentials.ts), or the secret read through a Secrets Manager
 * client built from the same environment (endpoint, region and credentials given there; otherwise
 * the SDK's own chain).
 */
export function credentialsFromConfig(config: Config): CredentialsProvider {
  const db = config.database;
  if (db.kind === 'direct') return new StaticCredentials(db);
  if (db.kind === 'iam') {
    const { kind: _, ...endpoint } = db;
    return new IamAuthCredentials({
      ...endpoint,
      ...(config.awsCredentials ? { credentials: config.awsCredentials } : {}),
    });
  }
  return new SecretsManagerCredentials({
    client: secretsManagerClient(config),
    secretId: db.secretId,
    ttlMs: config.secretTtlMs,
    ...(db.host ? { host: db.host } : {}),
    ...(db.port ? { port: db.port } : {}),
    ...(db.database ? { database: db.database } : {}),
  });
}
