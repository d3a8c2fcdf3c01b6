/**
 * Single connections for db:migrate, the schema-migration function and local tooling, from the
 * same variables and secrets the functions read.
 */
import { type Connection, createConnection } from 'mysql2/promise';
import { credentialsFromConfig, loadConfig } from '../shared/runtime/config.ts';
import type { CredentialsProvider, DbCredentials } from '../shared/sink/credentials.ts';
import { RDS_TLS } from '../shared/sink/database.ts';
import { classifyDbError } from '../shared/sink/db-errors.ts';

export type Tls = 'off' | 'rds';

/** One connection with `credentials`, sessions in UTC; `rds`: verified TLS (RDS_TLS: Node's CA store and NODE_EXTRA_CA_CERTS). */
export async function connect(
  credentials: DbCredentials,
  tls: Tls,
  connectTimeoutMs = 10_000,
): Promise<Connection> {
  return createConnection({
    host: credentials.host,
    port: credentials.port,
    user: credentials.user,
    password: credentials.password,
    database: credentials.database,
    timezone: 'Z',
    connectTimeout: connectTimeoutMs,
    ...(tls === 'rds' ? { ssl: RDS_TLS } : {}),
  });
}

/**
 * A connection with a secret's credentials. When the server refuses them the secret is read again
 * (AWSCURRENT, then AWSPENDING: a rotation may be half-way, as during a deployment's first minutes,
 * when each new secret is rotated at once) and the login tried once more.
 */
export async function connectWithRotation(provider: CredentialsProvider, tls: Tls): Promise<Connection> {
  const credentials = await provider.get();
  try {
    return await connect(credentials, tls);
  } catch (error) {
    if (classifyDbError(error) !== 'access_denied') throw error;
    const rotated = await provider.rotated(credentials);
    if (!rotated) throw error;
    return connect(rotated, tls);
  }
}

/** The DB_* variables (or DB_SECRET_ID) as the functions read them: db:migrate's connection. */
export async function connectionFromEnv(env: NodeJS.ProcessEnv): Promise<Connection> {
  const config = loadConfig(env, env.DOMAIN ?? 'tooling');
  return connectWithRotation(credentialsFromConfig(config), config.tls);
}
