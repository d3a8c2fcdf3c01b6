/**
 * Single connections for db:migrate, the schema-migration function and local tooling, from the
 * same variables and secrets the functions read.
 */
import { type Connection, createConnection } from 'mysql2/promise';
import { credentialsFromConfig, loadConfig } from '../shared/runtime/config.ts';
import type { CredentialsProvider, DbCredentials } from '../shared/sink/credentials.ts';
import { connectionSecurity, type DbTls, plainLoginRefused } from '../shared/sink/database.ts';
import { classifyDbError } from '../shared/sink/db-errors.ts';

/** As the functions have it (shared/sink/database.ts, DbTls): `off`, `rds` or `{ ca }`. */
export type Tls = DbTls;

/**
 * One connection with `credentials`; `rds` and `{ ca }`: verified TLS, chain and host name (RDS_TLS:
 * Node's CA store and NODE_EXTRA_CA_CERTS; or the CA given, as DB_TLS=verify does). Values are
 * read and written as UTC (`timezone: 'Z'`); the server's own time zone is UTC, so nothing is SET.
 * A login refused over a plain connection fails as DatabaseConfigError saying to check DB_TLS.
 */
export async function connect(
  credentials: DbCredentials,
  tls: Tls,
  connectTimeoutMs = 10_000,
): Promise<Connection> {
  return open(credentials, tls, connectTimeoutMs).catch((error) => {
    throw explained(error, tls);
  });
}

function open(credentials: DbCredentials, tls: Tls, connectTimeoutMs = 10_000): Promise<Connection> {
  return createConnection({
    host: credentials.host,
    port: credentials.port,
    user: credentials.user,
    password: credentials.password,
    database: credentials.database,
    timezone: 'Z',
    connectTimeout: connectTimeoutMs,
    ...connectionSecurity(credentials, tls),
  });
}

function explained(error: unknown, tls: Tls): unknown {
  const kind = classifyDbError(error);
  return tls === 'off' && (kind === 'access_denied' || kind === 'configuration')
    ? plainLoginRefused(error)
    : error;
}

/**
 * A connection with a secret's credentials. When the server refuses them the secret is read again
 * (AWSCURRENT, then AWSPENDING: a rotation may be half-way, as during a deployment's first minutes,
 * when each new secret is rotated at once) and the login tried once more.
 */
export async function connectWithRotation(provider: CredentialsProvider, tls: Tls): Promise<Connection> {
  const credentials = await provider.get();
  try {
    return await open(credentials, tls);
  } catch (error) {
    if (classifyDbError(error) !== 'access_denied') throw explained(error, tls);
    const rotated = await provider.rotated(credentials);
    if (!rotated) throw explained(error, tls);
    return connect(rotated, tls);
  }
}

/** The DB_* variables (or DB_SECRET_ID) as the functions read them: db:migrate's connection. */
export async function connectionFromEnv(env: NodeJS.ProcessEnv): Promise<Connection> {
  const config = loadConfig(env, env.DOMAIN ?? 'tooling');
  return connectWithRotation(credentialsFromConfig(config), config.tls);
}
