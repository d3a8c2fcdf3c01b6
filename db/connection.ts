/** A single admin connection for db:migrate and local tooling, from the same variables the functions read. */
import { type Connection, createConnection } from 'mysql2/promise';
import { loadConfig } from '../shared/config/config.ts';
import { credentialsFromConfig } from '../shared/mysql/credentials.ts';
import { RDS_TLS } from '../shared/mysql/database.ts';

export async function connectionFromEnv(env: NodeJS.ProcessEnv): Promise<Connection> {
  const config = loadConfig(env, env.DOMAIN ?? 'tooling');
  const credentials = await credentialsFromConfig(config).get();
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
