/** Configuration from environment variables (docs/architecture.md, contract 5). */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DIMENSIONS } from '../../../shared/domains/dimensions.ts';
import { DEFAULT_MAX_EVENT_BYTES } from '../../../shared/pipeline/decode.ts';
import {
  ConfigError,
  credentialsFromConfig,
  loadConfig,
  tlsFromEnv,
} from '../../../shared/runtime/config.ts';
import { IamAuthCredentials } from '../../../shared/sink/credentials.ts';

const DIRECT = {
  DB_HOST: 'db.internal',
  DB_PORT: '3307',
  DB_USER: 'app',
  DB_PASSWORD: 's3cr3t-Passw0rd',
  DB_NAME: 'realtime',
};

/** Every declared dimension with no cache setting: what each gets unless its variables say more. */
const NO_DIMENSION_SETTINGS = Object.fromEntries(DIMENSIONS.map((d) => [d.name, {}]));

function configError(env: NodeJS.ProcessEnv, domain = 'user'): ConfigError {
  try {
    loadConfig(env, domain);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected loadConfig to fail');
}

describe('loadConfig', () => {
  it('reads a direct database configuration with defaults for everything else', () => {
    expect(loadConfig(DIRECT, 'user')).toEqual({
      domain: 'user',
      database: {
        kind: 'direct',
        host: 'db.internal',
        port: 3307,
        user: 'app',
        password: 's3cr3t-Passw0rd',
        database: 'realtime',
      },
      tls: 'off',
      poolSize: 2,
      connectTimeoutMs: 5_000,
      lockRetries: 3,
      secretTtlMs: 300_000,
      serviceName: 'lambda-realtime',
      logLevel: 'INFO',
      metricsNamespace: 'lambda-realtime',
      maxEventBytes: DEFAULT_MAX_EVENT_BYTES,
      dimensionCache: { ...NO_DIMENSION_SETTINGS, dim_user: {}, dim_product: {} },
    });
  });

  it('defaults DB_PORT to 3306', () => {
    const { DB_PORT: _, ...env } = DIRECT;
    expect(loadConfig(env, 'user').database).toMatchObject({ kind: 'direct', port: 3306 });
  });

  it('reads every optional setting', () => {
    const config = loadConfig(
      {
        ...DIRECT,
        DB_TLS: 'rds',
        DB_POOL_SIZE: '5',
        DB_CONNECT_TIMEOUT_MS: '2500',
        DB_LOCK_RETRIES: '0',
        SECRET_TTL_SECONDS: '60',
        AWS_ENDPOINT_URL: 'http://127.0.0.1:4566',
        AWS_REGION: 'eu-west-1',
        DOMAIN: 'order',
        POWERTOOLS_SERVICE_NAME: 'rt-service',
        POWERTOOLS_LOG_LEVEL: 'debug',
        POWERTOOLS_METRICS_NAMESPACE: 'rt-test',
        MAX_EVENT_BYTES: ' 2048 ',
      },
      'order',
    );
    expect(config).toMatchObject({
      domain: 'order',
      tls: 'rds',
      poolSize: 5,
      connectTimeoutMs: 2_500,
      lockRetries: 0,
      secretTtlMs: 60_000,
      awsEndpoint: 'http://127.0.0.1:4566',
      awsRegion: 'eu-west-1',
      serviceName: 'rt-service',
      logLevel: 'DEBUG',
      metricsNamespace: 'rt-test',
      maxEventBytes: 2_048,
    });
  });

  describe("Powertools' variables", () => {
    it.each(['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'CRITICAL', 'SILENT'])(
      'takes POWERTOOLS_LOG_LEVEL=%s in either case',
      (level) => {
        expect(loadConfig({ ...DIRECT, POWERTOOLS_LOG_LEVEL: level.toLowerCase() }, 'user').logLevel).toBe(
          level,
        );
        expect(loadConfig({ ...DIRECT, POWERTOOLS_LOG_LEVEL: ` ${level} ` }, 'user').logLevel).toBe(level);
      },
    );

    it('reads no other names for them (LOG_LEVEL, METRICS_NAMESPACE)', () => {
      expect(loadConfig({ ...DIRECT, LOG_LEVEL: 'warn', METRICS_NAMESPACE: 'old-ns' }, 'user')).toMatchObject(
        {
          logLevel: 'INFO',
          metricsNamespace: 'lambda-realtime',
        },
      );
    });

    it('takes the Powertools variables, ignoring other names entirely', () => {
      const env = {
        ...DIRECT,
        POWERTOOLS_LOG_LEVEL: 'ERROR',
        LOG_LEVEL: 'verbose',
        POWERTOOLS_METRICS_NAMESPACE: 'lambda-realtime/prod',
        METRICS_NAMESPACE: '  ',
      };
      expect(loadConfig(env, 'user')).toMatchObject({
        logLevel: 'ERROR',
        metricsNamespace: 'lambda-realtime/prod',
      });
    });
  });

  it('ignores variables it does not know', () => {
    expect(() => loadConfig({ ...DIRECT, PATH: '/usr/bin', HOME: '' }, 'user')).not.toThrow();
  });

  describe('secret mode', () => {
    it('uses DB_SECRET_ID and needs no other DB_* variable', () => {
      expect(loadConfig({ DB_SECRET_ID: 'rds!cluster-abc' }, 'product').database).toEqual({
        kind: 'secret',
        secretId: 'rds!cluster-abc',
      });
    });

    it('takes DB_HOST, DB_PORT and DB_NAME as overrides of the secret (e.g. an RDS Proxy endpoint)', () => {
      expect(
        loadConfig(
          { DB_SECRET_ID: 'arn:secret', DB_HOST: 'proxy.internal', DB_PORT: '3306', DB_NAME: 'rt' },
          'user',
        ).database,
      ).toEqual({
        kind: 'secret',
        secretId: 'arn:secret',
        host: 'proxy.internal',
        port: 3306,
        database: 'rt',
      });
    });

    it('never takes a password from the environment when a secret is given', () => {
      const database = loadConfig({ ...DIRECT, DB_SECRET_ID: 'arn:secret' }, 'user').database;
      expect(database.kind).toBe('secret');
      expect(JSON.stringify(database)).not.toContain(DIRECT.DB_PASSWORD);
    });
  });

  describe('empty strings count as unset', () => {
    it('uses defaults for empty optional variables', () => {
      const config = loadConfig(
        {
          ...DIRECT,
          DB_PORT: '',
          DB_TLS: '',
          POWERTOOLS_LOG_LEVEL: '',
          POWERTOOLS_SERVICE_NAME: '',
          POWERTOOLS_METRICS_NAMESPACE: '',
          AWS_ENDPOINT_URL: '',
          DB_SECRET_ID: '',
        },
        'user',
      );
      expect(config.database).toMatchObject({ kind: 'direct', port: 3306 });
      expect(config.tls).toBe('off');
      expect(config.logLevel).toBe('INFO');
      expect(config.serviceName).toBe('lambda-realtime');
      expect(config.metricsNamespace).toBe('lambda-realtime');
      expect(config).not.toHaveProperty('awsEndpoint');
    });

    it('reports empty required variables as missing', () => {
      const error = configError({ ...DIRECT, DB_HOST: '', DB_PASSWORD: '' });
      expect(error.variables.sort()).toEqual(['DB_HOST', 'DB_PASSWORD']);
      expect(error.message).toContain('DB_HOST is required when DB_SECRET_ID is not set');
    });

    it('rejects a variable that is only whitespace', () => {
      expect(configError({ ...DIRECT, DB_HOST: '   ' }).variables).toEqual(['DB_HOST']);
    });
  });

  describe('errors', () => {
    it('names every bad variable in one message, and no value', () => {
      const error = configError({
        DB_PORT: 'eighty',
        DB_TLS: 'maybe-secret-tls-value',
        POWERTOOLS_LOG_LEVEL: 'verbose-secret-level',
        POWERTOOLS_SERVICE_NAME: '   ',
        DB_PASSWORD: 'hunter2-never-printed',
      });
      expect(error.name).toBe('ConfigError');
      expect(error.variables.sort()).toEqual([
        'DB_HOST',
        'DB_NAME',
        'DB_PORT',
        'DB_TLS',
        'DB_USER',
        'POWERTOOLS_LOG_LEVEL',
        'POWERTOOLS_SERVICE_NAME',
      ]);
      expect(error.message).toMatch(/^invalid configuration: /);
      for (const variable of error.variables) expect(error.message).toContain(variable);
      expect(error.message).toContain('DB_PORT must be an integer from 1 to 65535');
      expect(error.message).toContain('DB_TLS must be off, rds or verify');
      expect(error.message).toContain(
        'POWERTOOLS_LOG_LEVEL must be one of TRACE, DEBUG, INFO, WARN, ERROR, CRITICAL, SILENT',
      );
      expect(error.message).toContain('POWERTOOLS_SERVICE_NAME must not be empty');
      for (const value of [
        'eighty',
        'maybe-secret-tls-value',
        'verbose-secret-level',
        'hunter2-never-printed',
      ]) {
        expect(error.message).not.toContain(value);
      }
    });

    it('names a variable once even when it breaks several rules', () => {
      const error = configError({ ...DIRECT, DB_PORT: '99999999999999999999999' });
      expect(error.variables).toEqual(['DB_PORT']);
    });

    it('reports out-of-range integers with their bound', () => {
      expect(configError({ ...DIRECT, DB_PORT: '0' }).message).toContain('DB_PORT must be at least 1');
      expect(configError({ ...DIRECT, DB_POOL_SIZE: '51' }).message).toContain(
        'DB_POOL_SIZE must be at most 50',
      );
      expect(configError({ ...DIRECT, DB_PORT: '3306.5' }).variables).toEqual(['DB_PORT']);
    });

    it('rejects a bad DB_NAME, AWS_ENDPOINT_URL and MAX_EVENT_BYTES without echoing them', () => {
      const error = configError({
        ...DIRECT,
        DB_NAME: 'x; DROP TABLE y',
        AWS_ENDPOINT_URL: 'not a url',
        MAX_EVENT_BYTES: '10',
      });
      expect(error.variables.sort()).toEqual(['AWS_ENDPOINT_URL', 'DB_NAME', 'MAX_EVENT_BYTES']);
      expect(error.message).not.toContain('DROP TABLE');
      expect(error.message).not.toContain('not a url');
    });

    it('rejects a DOMAIN that is not the function’s own, without echoing it', () => {
      const error = configError({ ...DIRECT, DOMAIN: 'orders-typo' }, 'order');
      expect(error.variables).toEqual(['DOMAIN']);
      expect(error.message).toContain('order');
      expect(error.message).not.toContain('orders-typo');
    });

    it('reads TOPIC_DOMAINS, which must name the function’s own domain', () => {
      expect(loadConfig({ ...DIRECT, TOPIC_DOMAINS: 'order, user' }, 'user').topicDomains).toEqual([
        'order',
        'user',
      ]);
      expect(loadConfig(DIRECT, 'user')).not.toHaveProperty('topicDomains');
      expect(configError({ ...DIRECT, TOPIC_DOMAINS: 'order' }, 'user').variables).toEqual(['TOPIC_DOMAINS']);
      expect(configError({ ...DIRECT, TOPIC_DOMAINS: 'user;order' }, 'user').variables).toEqual([
        'TOPIC_DOMAINS',
      ]);
    });

    it('reports a DOMAIN mismatch together with the other problems', () => {
      const error = configError({ DOMAIN: 'user', DB_PORT: 'x' }, 'order');
      expect(error.variables.sort()).toEqual([
        'DB_HOST',
        'DB_NAME',
        'DB_PASSWORD',
        'DB_PORT',
        'DB_USER',
        'DOMAIN',
      ]);
    });
  });

  describe('dimension cache settings', () => {
    it('reads DIM_<TABLE>_* in seconds into milliseconds, per table', () => {
      const config = loadConfig(
        {
          ...DIRECT,
          DIM_USER_TTL_SECONDS: '30',
          DIM_USER_STALE_SECONDS: '0',
          DIM_USER_NEGATIVE_TTL_SECONDS: '5',
          DIM_USER_MAX_ENTRIES: '1000',
          DIM_PRODUCT_PRELOAD: 'TRUE',
          DIM_PRODUCT_RELOAD_SECONDS: '120',
        },
        'user',
      );
      expect(config.dimensionCache).toEqual({
        ...NO_DIMENSION_SETTINGS,
        dim_user: { ttlMs: 30_000, staleMs: 0, negativeTtlMs: 5_000, maxEntries: 1_000 },
        dim_product: { preload: true, reloadMs: 120_000 },
      });
    });

    it.each([
      ['true', true],
      ['1', true],
      ['false', false],
      ['0', false],
      [' False ', false],
    ])('reads PRELOAD=%j as %s', (value, expected) => {
      expect(
        loadConfig({ ...DIRECT, DIM_USER_PRELOAD: value }, 'user').dimensionCache.dim_user?.preload,
      ).toBe(expected);
    });

    it('names bad dimension settings', () => {
      const error = configError({
        ...DIRECT,
        DIM_USER_PRELOAD: 'yes',
        DIM_PRODUCT_MAX_ENTRIES: '0',
        DIM_PRODUCT_RELOAD_SECONDS: '0',
        DIM_USER_TTL_SECONDS: '-1',
      });
      expect(error.variables.sort()).toEqual([
        'DIM_PRODUCT_MAX_ENTRIES',
        'DIM_PRODUCT_RELOAD_SECONDS',
        'DIM_USER_PRELOAD',
        'DIM_USER_TTL_SECONDS',
      ]);
      expect(error.message).toContain('DIM_USER_PRELOAD must be true or false');
    });
  });
});

/** A CA certificate (self-signed, made for these tests; its chain is never checked here). */
const CA_PEM = `-----BEGIN CERTIFICATE-----
MIIBqTCCAU+gAwIBAgIUVDLZIhx6VEZ/TmpU5vzFEktAcWgwCgYIKoZIzj0EAwIw
KTEnMCUGA1UEAwwebGFtYmRhLXJlYWx0aW1lIGNvbmZpZyB0ZXN0IENBMCAXDTI2
MTIwNjEwMzExOVoYDzIxMjYxMTEyMTAzMTE5WjApMScwJQYDVQQDDB5sYW1iZGEt
cmVhbHRpbWUgY29uZmlnIHRlc3QgQ0EwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNC
AAR2fWctxkaquImGSrLsXGagsHvMiCnV0SVExv6w1+Z/SMxZT6O5b/vef4OplzbO
k/qvQ66OewDu8v5Q0JuAfIq5o1MwUTAdBgNVHQ4EFgQUzajOic9ArkasTtdWU+EA
7y9XsEcwHwYDVR0jBBgwFoAUzajOic9ArkasTtdWU+EA7y9XsEcwDwYDVR0TAQH/
BAUwAwEB/zAKBggqhkjOPQQDAgNIADBFAiAGkGn3j8IMSVRwOOuO8DbgX9jOjwGl
nlH78Le4ZVjZwQIhAJEx8FAsgroh2HIwLMmOmj02tHbgwLMdCZhABP/noarP
-----END CERTIFICATE-----
`;

describe('DB_TLS and DB_TLS_CA', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lrt-config-'));
  const caFile = join(dir, 'ca.pem');
  writeFileSync(caFile, CA_PEM);
  const notPem = join(dir, 'not.pem');
  writeFileSync(notPem, 'not a certificate');

  it('reads rds, and off by default', () => {
    expect(loadConfig({ ...DIRECT, DB_TLS: 'rds' }, 'user').tls).toBe('rds');
    expect(loadConfig(DIRECT, 'user').tls).toBe('off');
  });

  it('reads verify with the CA certificates DB_TLS_CA names', () => {
    writeFileSync(caFile, CA_PEM);
    expect(loadConfig({ ...DIRECT, DB_TLS: 'verify', DB_TLS_CA: caFile }, 'user').tls).toEqual({
      ca: CA_PEM,
    });
    expect(tlsFromEnv({ DB_TLS: 'verify', DB_TLS_CA: caFile })).toEqual({ ca: CA_PEM });
    expect(tlsFromEnv({})).toBe('off');
    expect(tlsFromEnv({ DB_TLS: 'rds' })).toBe('rds');
  });

  it('needs DB_TLS_CA for verify, a readable PEM file, and only then', () => {
    expect(configError({ ...DIRECT, DB_TLS: 'verify' }).message).toContain(
      'DB_TLS_CA is required when DB_TLS=verify',
    );
    const missing = configError({ ...DIRECT, DB_TLS: 'verify', DB_TLS_CA: join(dir, 'absent.pem') });
    expect(missing.variables).toEqual(['DB_TLS_CA']);
    expect(missing.message).toContain('DB_TLS_CA cannot be read (ENOENT)');
    expect(missing.message).not.toContain(dir);
    expect(configError({ ...DIRECT, DB_TLS: 'verify', DB_TLS_CA: notPem }).message).toContain(
      'DB_TLS_CA must be a PEM file of CA certificates',
    );
    // The certificates themselves rather than a file: not read as a path that happens to exist.
    const inline = configError({ ...DIRECT, DB_TLS: 'verify', DB_TLS_CA: CA_PEM });
    expect(inline.variables).toEqual(['DB_TLS_CA']);
    expect(inline.message).not.toContain('BEGIN CERTIFICATE');
    expect(configError({ ...DIRECT, DB_TLS: 'rds', DB_TLS_CA: caFile }).message).toContain(
      'DB_TLS_CA is read only when DB_TLS=verify',
    );
    expect(() => tlsFromEnv({ DB_TLS: 'verify' })).toThrow(ConfigError);
    expect(() => tlsFromEnv({ DB_TLS: 'on' })).toThrow(/DB_TLS must be off, rds or verify/);
  });
});

describe('DB_AUTH', () => {
  const IAM = {
    DB_AUTH: 'iam',
    DB_HOST: 'lrt-proxy.proxy-abc.eu-west-1.rds.amazonaws.com',
    DB_PORT: '3306',
    DB_USER: 'lrt_app',
    DB_NAME: 'lambda_realtime',
    DB_TLS: 'rds',
    AWS_REGION: 'eu-west-1',
  };

  it('is password by default: a secret, or DB_PASSWORD', () => {
    expect(loadConfig(DIRECT, 'user').database.kind).toBe('direct');
    expect(loadConfig({ ...DIRECT, DB_AUTH: 'password' }, 'user').database.kind).toBe('direct');
    expect(loadConfig({ DB_SECRET_ID: 'arn:secret', DB_AUTH: ' Password ' }, 'user').database.kind).toBe(
      'secret',
    );
  });

  it('reads iam: host, port, user, database and region for the token, TLS on', () => {
    const config = loadConfig(IAM, 'order');
    expect(config.database).toEqual({
      kind: 'iam',
      host: IAM.DB_HOST,
      port: 3306,
      user: 'lrt_app',
      database: 'lambda_realtime',
      region: 'eu-west-1',
    });
    expect(config.tls).toBe('rds');
    const { DB_PORT: _, ...noPort } = IAM;
    expect(loadConfig(noPort, 'order').database).toMatchObject({ kind: 'iam', port: 3306 });
    expect(credentialsFromConfig(config)).toBeInstanceOf(IamAuthCredentials);
  });

  it('refuses iam without TLS, without the endpoint or user, or with a password or secret', () => {
    const error = configError({
      DB_AUTH: 'iam',
      DB_PASSWORD: 'hunter2-never-printed',
      DB_SECRET_ID: 'arn:secret',
    });
    expect(error.variables.sort()).toEqual([
      'AWS_REGION',
      'DB_HOST',
      'DB_NAME',
      'DB_PASSWORD',
      'DB_SECRET_ID',
      'DB_TLS',
      'DB_USER',
    ]);
    expect(error.message).toContain('DB_TLS must be rds or verify when DB_AUTH=iam');
    expect(error.message).toContain('DB_HOST is required when DB_AUTH=iam');
    expect(error.message).toContain('DB_PASSWORD must not be set when DB_AUTH=iam');
    expect(error.message).toContain('AWS_REGION is required when DB_AUTH=iam');
    expect(error.message).not.toContain('hunter2');
    expect(configError({ ...IAM, DB_TLS: 'off' }).variables).toEqual(['DB_TLS']);
  });

  it('names a DB_AUTH it does not know', () => {
    expect(configError({ ...DIRECT, DB_AUTH: 'kerberos' }).message).toContain(
      'DB_AUTH must be password or iam',
    );
  });
});
