/** A single admin connection for db:migrate and local tooling, from the same variables the functions read. */
import { type Connection, createConnection } from 'mysql2/promise';
import { credentialsFromConfig, loadConfig } from '../shared/runtime/config.ts';

import { RDS_TLS } from '../shared/sink/database.ts';

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
