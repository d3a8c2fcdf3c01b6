/** Clients for the real services found by the global setup (test/setup/global-services.ts). */
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { type Connection, createConnection } from 'mysql2/promise';
import { inject } from 'vitest';

export function services() {
  return inject('services');
}

export function mysqlConnection(database?: string): Promise<Connection> {
  const { db } = services();
  return createConnection({ ...db, database: database ?? db.database, multipleStatements: true });
}

export function secretsManager(): SecretsManagerClient {
  const { aws } = services();
  return new SecretsManagerClient({
    endpoint: aws.endpoint,
    region: aws.region,
    credentials: { accessKeyId: aws.accessKeyId, secretAccessKey: aws.secretAccessKey },
  });
}

/** A name no other test or earlier run uses: tests share one set of services. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
}
