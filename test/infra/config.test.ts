/** The environment settings: every environment is valid, and bad values fail naming their path. */
import { describe, expect, it } from 'vitest';
import { environmentConfig } from '../../infra/config/environments.ts';
import { eventSourceSchema, eventSources } from '../../infra/config/event-sources.ts';

describe('environment settings', () => {
  it.each(['dev', 'test', 'prod'])('%s is valid', (env) => {
    expect(environmentConfig(env).name).toBe(env);
  });

  it('prod is Multi-AZ, protected, retained, backed up and proxied; dev is none of that', () => {
    const prod = environmentConfig('prod').database;
    const dev = environmentConfig('dev').database;
    expect(prod).toMatchObject({
      multiAz: true,
      deletionProtection: true,
      removalPolicy: 'retain',
      proxy: true,
    });
    expect(prod.backupRetentionDays).toBeGreaterThanOrEqual(7);
    expect(dev).toMatchObject({
      multiAz: false,
      deletionProtection: false,
      removalPolicy: 'destroy',
      proxy: false,
    });
  });

  it('prod exports the MySQL error and slow query logs; every environment at least the error log', () => {
    expect(environmentConfig('prod').database.logExports).toEqual(
      expect.arrayContaining(['error', 'slowquery']),
    );
    for (const env of ['dev', 'test', 'prod']) {
      expect(environmentConfig(env).database.logExports).toContain('error');
    }
  });

  it('rejects an Enhanced Monitoring interval RDS does not offer and a log listed twice', () => {
    const dev = environmentConfig('dev');
    expect(() =>
      environmentConfig('dev', {
        database: { ...dev.database, monitoringIntervalSeconds: 20, logExports: ['error', 'error'] },
      }),
    ).toThrow(
      /database\.logExports: lists a log twice[\s\S]*database\.monitoringIntervalSeconds: one of 0, 1, 5, 10, 15, 30, 60/,
    );
  });

  it('lets prod functions sign in with IAM (to RDS Proxy), the others with the app secret', () => {
    expect(environmentConfig('prod').database).toMatchObject({ functionAuth: 'iam', proxy: true });
    expect(environmentConfig('dev').database.functionAuth).toBe('secret');
    expect(environmentConfig('test').database.functionAuth).toBe('secret');
  });

  it('refuses IAM authentication without RDS Proxy', () => {
    const dev = environmentConfig('dev');
    expect(() =>
      environmentConfig('dev', { database: { ...dev.database, proxy: false, functionAuth: 'iam' } }),
    ).toThrow(/database\.functionAuth: iam needs database\.proxy/);
  });

  it('pins MySQL 8.4 (a minor version is the floor RDS upgrades from)', () => {
    const dev = environmentConfig('dev');
    expect(() => environmentConfig('dev', { database: { ...dev.database, mysqlVersion: '8.0.40' } })).toThrow(
      /database\.mysqlVersion: a MySQL 8\.4 version/,
    );
    expect(() => environmentConfig('dev', { database: { ...dev.database, mysqlVersion: '8.4' } })).toThrow(
      /database\.mysqlVersion/,
    );
  });

  it('rejects a poller minimum above the maximum, under its domain', () => {
    expect(() =>
      environmentConfig('dev', {
        eventSources: { user: { provisionedPollers: { minimum: 3, maximum: 2 } } },
      }),
    ).toThrow(/eventSources\.user\.provisionedPollers\.minimum: minimum must not exceed maximum/);
    expect(() =>
      environmentConfig('dev', {
        eventSources: { user: { provisionedPollers: { minimum: 2, maximum: 2 } } },
      }),
    ).not.toThrow();
  });

  it("sets the functions' pool size per environment, within what the handler accepts", () => {
    const dev = environmentConfig('dev');
    expect(() => environmentConfig('dev', { functions: { ...dev.functions, databasePoolSize: 51 } })).toThrow(
      /functions\.databasePoolSize/,
    );
  });

  it('rejects a stalled-consumer window shorter than two function timeouts or off the period', () => {
    const dev = environmentConfig('dev');
    expect(() => environmentConfig('dev', { alarms: { ...dev.alarms, stalledConsumerMinutes: 1 } })).toThrow(
      /alarms\.stalledConsumerMinutes: must be a multiple of alarms\.periodSeconds and at least twice/,
    );
    expect(() => environmentConfig('dev', { alarms: { ...dev.alarms, stalledConsumerMinutes: 7 } })).toThrow(
      /alarms\.stalledConsumerMinutes/,
    );
  });

  it('rejects an unknown environment, naming the valid ones', () => {
    expect(() => environmentConfig('staging')).toThrow(
      'unknown environment "staging": use -c env=dev|test|prod',
    );
  });

  it('names every bad value at once', () => {
    const dev = environmentConfig('dev');
    expect(() =>
      environmentConfig('dev', {
        database: { ...dev.database, allocatedStorageGiB: 100, maxAllocatedStorageGiB: 50 },
        functions: { ...dev.functions, timeoutSeconds: 901, logRetentionDays: 8 },
      }),
    ).toThrow(
      /database\.maxAllocatedStorageGiB: must be at least allocatedStorageGiB[\s\S]*functions\.timeoutSeconds[\s\S]*functions\.logRetentionDays/,
    );
  });

  it('rejects alarm thresholds that could never or would always fire', () => {
    const dev = environmentConfig('dev');
    expect(() =>
      environmentConfig('dev', {
        alarms: {
          ...dev.alarms,
          databaseFreeStorageGiB: dev.database.allocatedStorageGiB,
          kafkaDiskUsedPercent: 101,
        },
      }),
    ).toThrow(
      /alarms\.kafkaDiskUsedPercent[\s\S]*alarms\.databaseFreeStorageGiB: must be below database\.allocatedStorageGiB/,
    );
  });

  it('rejects event-source overrides AWS would refuse, under their domain', () => {
    expect(() =>
      environmentConfig('dev', { eventSources: { order: { maximumRecordAgeInSeconds: 30, batchSize: 0 } } }),
    ).toThrow(/eventSources\.order\.batchSize[\s\S]*eventSources\.order\.maximumRecordAgeInSeconds/);
  });

  it('refuses to import an MSK cluster into a VPC the stack creates', () => {
    expect(() =>
      environmentConfig('dev', {
        kafka: {
          mode: 'import',
          clusterArn: 'arn:aws:kafka:eu-west-1:123456789012:cluster/c/0f1e2d3c-4b5a',
          brokerSecurityGroupId: 'sg-0123',
          topics: null,
        },
      }),
    ).toThrow(/network\.mode: an imported MSK cluster lives in an existing VPC/);
  });
});

describe('event sources (shared with the local runner)', () => {
  it('reads exactly one topic per mapping, as Lambda allows', () => {
    expect(eventSourceSchema.safeParse({ topics: ['a', 'b'] }).success).toBe(false);
  });

  it('refuses an on-failure topic equal to the source topic', () => {
    expect(eventSourceSchema.safeParse({ topics: ['t'], onFailureTopic: 't' }).success).toBe(false);
  });

  it('names a consumer group per environment and domain', () => {
    expect(eventSources('test').product.consumerGroupId).toBe('lambda-realtime-test-product');
  });
});
