/** Service discovery's failures say what to start. */
import { describe, expect, it } from 'vitest';
import { endpointsFromEnv, probeServices } from '../../../scripts/services/find-services.ts';

const CLOSED = {
  DB_HOST: '127.0.0.1',
  DB_PORT: '1',
  DB_USER: 'u',
  DB_PASSWORD: 'p',
  DB_NAME: 'd',
  KAFKA_BROKERS: '127.0.0.1:2',
  AWS_ENDPOINT_URL: 'http://127.0.0.1:3',
  SCHEMA_REGISTRY_URL: 'http://127.0.0.1:4/apis/ccompat/v7',
};

describe('findServices', () => {
  it('names every unreachable service and what to start', async () => {
    const error = await probeServices(endpointsFromEnv(CLOSED)).catch((e: Error) => e);
    expect(error).toBeInstanceOf(Error);
    const message = (error as Error).message;
    expect(message).toContain('MySQL at 127.0.0.1:1');
    expect(message).toContain('Kafka at 127.0.0.1:2');
    expect(message).toContain('AWS API emulator at http://127.0.0.1:3');
    expect(message).toContain('schema registry at http://127.0.0.1:4/apis/ccompat/v7');
    expect(message).toContain('scripts/services.sh up');
  }, 30_000);

  it('rejects endpoints given only in part', () => {
    expect(() => endpointsFromEnv({ DB_HOST: 'h', KAFKA_BROKERS: 'k:1' })).toThrow(
      /missing DB_PORT, DB_USER, DB_PASSWORD, DB_NAME, AWS_ENDPOINT_URL, SCHEMA_REGISTRY_URL/,
    );
  });
});
