/**
 * Finds the real services (MySQL, Kafka, AWS API emulator, schema registry) for tests and the local pipeline, in the
 * order docs/architecture.md gives (contract 8): endpoints already in the environment → Docker present → testcontainers →
 * otherwise the native `scripts/services.sh up`. Every path ends with a probe of each service, so a
 * test never runs against something that is not there.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { SslOptions } from 'mysql2';
import { tlsFromEnv } from '../../shared/runtime/config.ts';
import { sslOptions } from '../../shared/sink/database.ts';

const run = promisify(execFile);
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface ServiceEndpoints {
  /** How the services were found: `env`, `testcontainers` or `native`. */
  source: 'env' | 'testcontainers' | 'native';
  /**
   * An administrator's login. `ssl`, mysql2's TLS options (verified: chain and host name), is there
   * when the server takes TLS connections only, as the local ones do, and comes along when `db` is
   * spread into mysql2's createConnection.
   */
  db: { host: string; port: number; user: string; password: string; database: string; ssl?: SslOptions };
  /** The same TLS as the functions' variables (DB_TLS, and DB_TLS_CA for `verify`). */
  dbTls: DbTlsVariables;
  kafkaBrokers: string[];
  aws: { endpoint: string; region: string; accessKeyId: string; secretAccessKey: string };
  /** A Confluent-compatible schema registry's API root (Apicurio's /apis/ccompat/v7). */
  schemaRegistryUrl: string;
}

export interface FoundServices {
  endpoints: ServiceEndpoints;
  /** Stops what this call started (testcontainers only; native services are left for reuse). */
  stop(): Promise<void>;
}

/** DB_TLS and DB_TLS_CA (a PEM file of the CA certificates to trust, for `verify`). */
export type DbTlsVariables = { DB_TLS: 'off' | 'rds' | 'verify'; DB_TLS_CA?: string };

/** The TLS of DB_TLS/DB_TLS_CA, in both forms (checked as the functions check them: ConfigError). */
function databaseTls(env: NodeJS.ProcessEnv): { ssl?: SslOptions; dbTls: DbTlsVariables } {
  const ssl = sslOptions(tlsFromEnv(env));
  const mode = (env.DB_TLS || 'off') as DbTlsVariables['DB_TLS'];
  return {
    ...(ssl ? { ssl } : {}),
    dbTls: { DB_TLS: mode, ...(mode === 'verify' ? { DB_TLS_CA: env.DB_TLS_CA! } : {}) },
  };
}

const ENDPOINT_VARS = [
  'DB_HOST',
  'DB_PORT',
  'DB_USER',
  'DB_PASSWORD',
  'DB_NAME',
  'KAFKA_BROKERS',
  'AWS_ENDPOINT_URL',
  'SCHEMA_REGISTRY_URL',
];

/** The environment form of the endpoints, as `scripts/services.sh env` prints it. */
export function endpointsToEnv(e: ServiceEndpoints): Record<string, string> {
  return {
    DB_HOST: e.db.host,
    DB_PORT: String(e.db.port),
    DB_USER: e.db.user,
    DB_PASSWORD: e.db.password,
    DB_NAME: e.db.database,
    ...e.dbTls,
    KAFKA_BROKERS: e.kafkaBrokers.join(','),
    AWS_ENDPOINT_URL: e.aws.endpoint,
    AWS_REGION: e.aws.region,
    AWS_ACCESS_KEY_ID: e.aws.accessKeyId,
    AWS_SECRET_ACCESS_KEY: e.aws.secretAccessKey,
    SCHEMA_REGISTRY_URL: e.schemaRegistryUrl,
  };
}

/**
 * Lambda hands a function its role's credentials and region as environment variables, and the AWS
 * SDK reads them from there; functions run locally get the emulator's the same way (unless set).
 */
export function provideAwsEnvironment(e: ServiceEndpoints, env: NodeJS.ProcessEnv = process.env): void {
  env.AWS_REGION ??= e.aws.region;
  env.AWS_ACCESS_KEY_ID ??= e.aws.accessKeyId;
  env.AWS_SECRET_ACCESS_KEY ??= e.aws.secretAccessKey;
}

export function endpointsFromEnv(env: NodeJS.ProcessEnv): ServiceEndpoints {
  const missing = ENDPOINT_VARS.filter((name) => !env[name]);
  if (missing.length > 0) {
    throw new Error(
      `Service endpoints are only partly given: missing ${missing.join(', ')}. ` +
        'Set all of them (eval "$(scripts/services.sh env)") or none.',
    );
  }
  const port = Number(env.DB_PORT);
  if (!Number.isInteger(port) || port <= 0) throw new Error(`DB_PORT is not a port number: ${env.DB_PORT}`);
  const { ssl, dbTls } = databaseTls(env);
  return {
    source: 'env',
    db: {
      host: env.DB_HOST!,
      port,
      user: env.DB_USER!,
      password: env.DB_PASSWORD!,
      database: env.DB_NAME!,
      ...(ssl ? { ssl } : {}),
    },
    dbTls,
    kafkaBrokers: env.KAFKA_BROKERS!.split(',').map((b) => b.trim()),
    aws: {
      endpoint: env.AWS_ENDPOINT_URL!,
      region: env.AWS_REGION ?? 'us-east-1',
      accessKeyId: env.AWS_ACCESS_KEY_ID ?? 'test',
      secretAccessKey: env.AWS_SECRET_ACCESS_KEY ?? 'test',
    },
    schemaRegistryUrl: env.SCHEMA_REGISTRY_URL!,
  };
}

async function dockerAvailable(): Promise<boolean> {
  try {
    await run('docker', ['info', '--format', '{{.ServerVersion}}'], { timeout: 10_000 });
    return true;
  } catch {
    return false;
  }
}

/**
 * The settings RDS pins (scripts/services/mysql-server.cnf, the native MariaDB's too) as mysqld's
 * command-line options.
 */
export function mysqlServerOptions(): string[] {
  return readFileSync(join(root, 'scripts', 'services', 'mysql-server.cnf'), 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#') && !line.startsWith('['))
    .map((line) => `--${line}`);
}

/** Where the MySQL container reads its TLS files (the image's own directories hold none of these names). */
const CONTAINER_TLS_DIR = '/etc/mysql/lrt-tls';

async function startTestcontainers(): Promise<FoundServices> {
  const [
    { MySqlContainer },
    { KafkaContainer },
    { LocalstackContainer },
    { GenericContainer, Wait, getContainerRuntimeClient },
  ] = await Promise.all([
    import('@testcontainers/mysql'),
    import('@testcontainers/kafka'),
    import('@testcontainers/localstack'),
    import('testcontainers'),
  ]);
  // MySQL as RDS runs it, TLS only: a certificate for the host the mapped port is reached on (what
  // testcontainers' getHost() answers: the container runtime's host), which clients verify, and the
  // pinned settings. The official image's entrypoint runs mysqld with options given as the command.
  const host = (await getContainerRuntimeClient()).info.containerRuntime.host;
  const tlsDir = await mkdtemp(join(tmpdir(), 'lrt-mysql-tls-'));
  await run('bash', [
    join(root, 'scripts', 'services', 'make-certs.sh'),
    tlsDir,
    ...new Set([host, 'localhost', '127.0.0.1']),
  ]);
  const tlsFiles = ['ca.pem', 'server-cert.pem', 'server-key.pem'];
  const mysqlContainer = new MySqlContainer('mysql:8.4')
    .withDatabase('lambda_realtime')
    // Readable by the image's mysql user; a throwaway key of a throwaway CA.
    .withCopyFilesToContainer(
      tlsFiles.map((file) => ({
        source: join(tlsDir, file),
        target: `${CONTAINER_TLS_DIR}/${file}`,
        mode: 0o644,
      })),
    )
    .withCommand([
      ...mysqlServerOptions(),
      `--ssl-ca=${CONTAINER_TLS_DIR}/ca.pem`,
      `--ssl-cert=${CONTAINER_TLS_DIR}/server-cert.pem`,
      `--ssl-key=${CONTAINER_TLS_DIR}/server-key.pem`,
    ]);
  const [mysql, kafka, localstack, registry] = await Promise.all([
    mysqlContainer.start(),
    new KafkaContainer('confluentinc/cp-kafka:8.1.0').withKraft().start(),
    new LocalstackContainer('localstack/localstack:4').start(),
    // The same registry as the native path (scripts/services/registry/pom.xml): Apicurio 2.4, in memory.
    new GenericContainer('apicurio/apicurio-registry-mem:2.4.2.Final')
      .withExposedPorts(8080)
      .withWaitStrategy(Wait.forHttp('/apis/ccompat/v7/subjects', 8080))
      .start(),
  ]);
  return {
    endpoints: {
      source: 'testcontainers',
      // root: tests create their own schemas and rotate users' passwords.
      db: {
        host: mysql.getHost(),
        port: mysql.getPort(),
        user: 'root',
        password: mysql.getRootPassword(),
        database: mysql.getDatabase(),
        ssl: sslOptions({ ca: readFileSync(join(tlsDir, 'ca.pem'), 'utf8') })!,
      },
      dbTls: { DB_TLS: 'verify', DB_TLS_CA: join(tlsDir, 'ca.pem') },
      kafkaBrokers: [`${kafka.getHost()}:${kafka.getMappedPort(9093)}`],
      aws: {
        endpoint: localstack.getConnectionUri(),
        region: 'us-east-1',
        accessKeyId: 'test',
        secretAccessKey: 'test',
      },
      schemaRegistryUrl: `http://${registry.getHost()}:${registry.getMappedPort(8080)}/apis/ccompat/v7`,
    },
    async stop() {
      await Promise.all([mysql.stop(), kafka.stop(), localstack.stop(), registry.stop()]);
      await rm(tlsDir, { recursive: true, force: true });
    },
  };
}

async function startNative(): Promise<FoundServices> {
  const script = join(root, 'scripts', 'services.sh');
  try {
    await run('bash', [script, 'up'], { timeout: 20 * 60_000, maxBuffer: 16 * 1024 * 1024 });
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? String(error);
    throw new Error(`scripts/services.sh up failed:\n${stderr.trim()}`);
  }
  const { stdout } = await run('bash', [script, 'env']);
  const env: NodeJS.ProcessEnv = {};
  for (const line of stdout.split('\n')) {
    const match = /^export ([A-Z_]+)=(?:\$\{[A-Z_]+:-)?([^}]*)\}?$/.exec(line.trim());
    if (match) env[match[1]!] = match[2]!;
  }
  return { endpoints: { ...endpointsFromEnv(env), source: 'native' }, stop: async () => {} };
}

const HOW_TO_START =
  'Start the services with `scripts/services.sh up` and `eval "$(scripts/services.sh env)"`, or start Docker ' +
  '(testcontainers), or unset LRT_NO_PROVISION to let the test run start them.';

/**
 * Finds or starts the services. `LRT_NO_PROVISION=1` forbids starting anything: without endpoints in
 * the environment or Docker, it then fails and says what to start.
 */
export async function findServices(env: NodeJS.ProcessEnv = process.env): Promise<FoundServices> {
  let found: FoundServices;
  if (ENDPOINT_VARS.some((name) => env[name])) {
    found = { endpoints: endpointsFromEnv(env), stop: async () => {} };
  } else if (await dockerAvailable()) {
    found = await startTestcontainers();
  } else if (env.LRT_NO_PROVISION === '1') {
    throw new Error(`No service endpoints in the environment and no Docker engine. ${HOW_TO_START}`);
  } else {
    found = await startNative();
  }
  await probeServices(found.endpoints);
  return found;
}

/** Checks that each service really answers; fails naming the service, the endpoint and what to start. */
export async function probeServices(e: ServiceEndpoints): Promise<void> {
  const failures = (
    await Promise.all([
      probeDatabase(e.db),
      probeKafka(e.kafkaBrokers),
      probeAwsApi(e.aws),
      probeSchemaRegistry(e.schemaRegistryUrl),
    ])
  ).filter((f): f is string => f !== undefined);
  if (failures.length > 0) {
    throw new Error(
      `Cannot reach the services the tests need (found via ${e.source}):\n  - ${failures.join('\n  - ')}\n${HOW_TO_START}`,
    );
  }
}

/** The database's DB_* variables (DB_TLS, DB_TLS_CA too), when all are given (DB_PORT defaults to 3306). */
export function databaseFromEnv(env: NodeJS.ProcessEnv): ServiceEndpoints['db'] | undefined {
  if (!env.DB_HOST || !env.DB_USER || !env.DB_PASSWORD || !env.DB_NAME) return undefined;
  const port = Number(env.DB_PORT ?? 3306);
  if (!Number.isInteger(port) || port <= 0) throw new Error(`DB_PORT is not a port number: ${env.DB_PORT}`);
  const { ssl } = databaseTls(env);
  return {
    host: env.DB_HOST,
    port,
    user: env.DB_USER,
    password: env.DB_PASSWORD,
    database: env.DB_NAME,
    ...(ssl ? { ssl } : {}),
  };
}

/** Undefined when MySQL answers; otherwise what failed. */
export async function probeDatabase(db: ServiceEndpoints['db']): Promise<string | undefined> {
  const { createConnection } = await import('mysql2/promise');
  try {
    const conn = await createConnection({ ...db, connectTimeout: 5_000 });
    await conn.query('SELECT 1');
    await conn.end();
    return undefined;
  } catch (error) {
    // A server that takes TLS connections only refuses a plain login as if the password were wrong.
    const hint = db.ssl ? '' : ' (no TLS: DB_TLS is off; the local services take TLS connections only)';
    return `MySQL at ${db.host}:${db.port} (database ${db.database}): ${(error as Error).message}${hint}`;
  }
}

/** Undefined when a Kafka broker answers; otherwise what failed. */
export async function probeKafka(brokers: string[]): Promise<string | undefined> {
  const { Admin } = await import('@platformatic/kafka');
  const admin = new Admin({ clientId: 'lrt-probe', bootstrapBrokers: brokers, retries: 2, timeout: 5_000 });
  try {
    await admin.metadata({ topics: [] });
    return undefined;
  } catch (error) {
    return `Kafka at ${brokers.join(',')}: ${(error as Error).message}`;
  } finally {
    await admin.close().catch(() => {});
  }
}

/** Undefined when the AWS API (Secrets Manager) answers; otherwise what failed. */
export async function probeAwsApi(aws: ServiceEndpoints['aws']): Promise<string | undefined> {
  const { SecretsManagerClient, ListSecretsCommand } = await import('@aws-sdk/client-secrets-manager');
  const client = new SecretsManagerClient({
    endpoint: aws.endpoint,
    region: aws.region,
    credentials: { accessKeyId: aws.accessKeyId, secretAccessKey: aws.secretAccessKey },
    maxAttempts: 2,
  });
  try {
    await client.send(new ListSecretsCommand({}));
    return undefined;
  } catch (error) {
    return `AWS API emulator at ${aws.endpoint}: ${(error as Error).message}`;
  } finally {
    client.destroy();
  }
}

/** Undefined when the schema registry's Confluent-compatible API answers; otherwise what failed. */
export async function probeSchemaRegistry(url: string): Promise<string | undefined> {
  try {
    const response = await fetch(`${url.replace(/\/+$/, '')}/subjects`, {
      signal: AbortSignal.timeout(5_000),
    });
    await response.body?.cancel();
    return response.ok ? undefined : `schema registry at ${url}: answered ${response.status}`;
  } catch (error) {
    return `schema registry at ${url}: ${(error as Error).message}`;
  }
}
