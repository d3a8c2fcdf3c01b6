/** A single admin connection for db:migrate and local tooling, from the same variables the functions read. */
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { type Connection, createConnection } from 'mysql2/promise';
import { loadConfig } from '../shared/config/config.ts';
import { SecretsManagerCredentials } from '../shared/mysql/credentials.ts';
import { RDS_TLS } from '../shared/mysql/database.ts';

export async function connectionFromEnv(env: NodeJS.ProcessEnv): Promise<Connection> {
  const config = loadConfig(env, env.DOMAIN ?? 'tooling');
  const db = config.database;
  const credentials =
    db.kind === 'direct'
      ? db
      : await new SecretsManagerCredentials({
          client: new SecretsManagerClient({
            ...(config.awsEndpoint ? { endpoint: config.awsEndpoint } : {}),
            ...(config.awsRegion ? { region: config.awsRegion } : {}),
          }),
          secretId: db.secretId,
          ttlMs: 0,
          ...(db.host ? { host: db.host } : {}),
          ...(db.port ? { port: db.port } : {}),
          ...(db.database ? { database: db.database } : {}),
        }).get();
  return createConnection({
    host: credentials.host,
    port: credentials.port,
    user: credentials.user,
    password: credentials.password,
    database: credentials.database,
    timezone: 'Z',
    ...(config.tls === 'rds' ? { ssl: RDS_TLS } : {}),
  });
}
