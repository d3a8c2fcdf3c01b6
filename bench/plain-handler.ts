/**
 * The cold-start bench's "plain bundle" (bench/cold-start.ts): a Kafka-triggered handler written
 * the plain way, with the dependencies the functions ship and nothing of ours — mysql2's promise
 * pool (created lazily, on the first record), a Secrets Manager client and the RDS signer for the
 * password, Powertools' Logger and Metrics through their middy middlewares, one zod/mini schema
 * with zod's English messages. Bundled with the functions' own esbuild options, it is what INIT
 * would cost without the project's code: the functions' INIT minus this one is ours.
 *
 * Never deployed; it is a real, typechecked handler so that it keeps compiling as the
 * dependencies move.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { Signer } from '@aws-sdk/rds-signer';
import middy from '@middy/core';
import type { MSKEvent } from 'aws-lambda';
import { createPool, type Pool } from 'mysql2/promise';
import * as z from 'zod/mini';
import en from 'zod/v4/locales/en.js';

z.config(en());

const logger = new Logger({ serviceName: 'plain' });
const metrics = new Metrics({ namespace: 'plain', serviceName: 'plain' });
const secrets = new SecretsManagerClient({});

const BusinessEvent = z.object({
  domain: z.string().check(z.minLength(1)),
  type: z.string().check(z.minLength(1)),
  timestamp: z.number().check(z.int(), z.nonnegative()),
  eventId: z.string().check(z.minLength(1), z.maxLength(64)),
  version: z.string().check(z.regex(/^\d{1,4}\.\d{1,4}$/)),
  source: z.string().check(z.minLength(1)),
  payload: z.record(z.string(), z.unknown()),
});

let pool: Pool | undefined;

async function password(host: string, port: number, user: string): Promise<string> {
  if (process.env.DB_SECRET_ID) {
    const secret = await secrets.send(new GetSecretValueCommand({ SecretId: process.env.DB_SECRET_ID }));
    return (JSON.parse(secret.SecretString ?? '{}') as { password: string }).password;
  }
  if (process.env.DB_AUTH === 'iam') {
    return new Signer({ hostname: host, port, username: user }).getAuthToken();
  }
  return process.env.DB_PASSWORD ?? '';
}

async function database(): Promise<Pool> {
  if (pool) return pool;
  const host = process.env.DB_HOST ?? 'localhost';
  const port = Number(process.env.DB_PORT ?? 3306);
  const user = process.env.DB_USER ?? 'app';
  pool = createPool({
    host,
    port,
    user,
    password: await password(host, port, user),
    database: process.env.DB_NAME ?? 'app',
    connectionLimit: 2,
  });
  return pool;
}

async function processBatch(event: MSKEvent): Promise<{ batchItemFailures: unknown[] }> {
  let written = 0;
  for (const records of Object.values(event.records ?? {})) {
    for (const record of records) {
      const parsed = BusinessEvent.safeParse(JSON.parse(Buffer.from(record.value, 'base64').toString()));
      if (!parsed.success) {
        logger.warn('invalid event', { error: z.prettifyError(parsed.error) });
        continue;
      }
      const { eventId, type, timestamp, payload } = parsed.data;
      await (await database()).query(
        'INSERT INTO events (event_id, event_type, event_time, payload) VALUES (?, ?, ?, ?) ON DUPLICATE KEY UPDATE event_id = event_id',
        [eventId, type, new Date(timestamp), JSON.stringify(payload)],
      );
      written++;
    }
  }
  metrics.addMetric('EventsWritten', MetricUnit.Count, written);
  logger.info('batch done', { written });
  return { batchItemFailures: [] };
}

export const handler = middy(processBatch).use(injectLambdaContext(logger)).use(logMetrics(metrics));
