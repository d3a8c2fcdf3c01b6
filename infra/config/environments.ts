/**
 * The three environments. dev is small and disposable, test mirrors prod's shape at a smaller
 * size, prod is Multi-AZ, protected and retained. Change values here; the schema in
 * environment-schema.ts says what each one means and rejects what AWS would.
 */
import {
  ENVIRONMENT_NAMES,
  type EnvironmentConfig,
  type EnvironmentInput,
  type EnvironmentName,
  parseEnvironment,
} from './environment-schema.ts';

const dev: EnvironmentInput = {
  name: 'dev',
  region: 'eu-west-1',
  network: {
    mode: 'create',
    cidr: '10.40.0.0/16',
    availabilityZones: ['eu-west-1a', 'eu-west-1b'],
    flowLogRetentionDays: 7,
  },
  kafka: {
    mode: 'create',
    kafkaVersion: '3.9.x',
    brokerInstanceType: 'kafka.t3.small',
    brokersPerZone: 1,
    volumeSizeGiB: 20,
    brokerLogRetentionDays: 7,
    enhancedMonitoring: 'DEFAULT',
    topics: { partitions: 6, replicationFactor: 2 },
  },
  database: {
    mysqlVersion: '8.4.8',
    instanceType: 't4g.micro',
    allocatedStorageGiB: 20,
    maxAllocatedStorageGiB: 50,
    multiAz: false,
    deletionProtection: false,
    backupRetentionDays: 1,
    removalPolicy: 'destroy',
    databaseName: 'lambda_realtime',
    secretRotationDays: 30,
    proxy: false,
    functionAuth: 'secret',
    logExports: ['error'],
    logRetentionDays: 7,
    slowQuerySeconds: 1,
    monitoringIntervalSeconds: 0,
  },
  functions: {
    memoryMiB: 512,
    timeoutSeconds: 60,
    logLevel: 'DEBUG',
    logRetentionDays: 7,
    databasePoolSize: 2,
  },
  eventSources: {
    user: { startingPosition: 'LATEST', provisionedPollers: { minimum: 1, maximum: 2 } },
    order: { startingPosition: 'LATEST', provisionedPollers: { minimum: 1, maximum: 2 } },
    product: { startingPosition: 'LATEST', provisionedPollers: { minimum: 1, maximum: 2 } },
  },
  alarms: {
    periodSeconds: 300,
    evaluationPeriods: 3,
    datapointsToAlarm: 2,
    errorRatePercent: 10,
    maxOffsetLag: 50_000,
    stalledConsumerMinutes: 15,
    maxEventAgeSeconds: 1_800,
    throttles: 10,
    durationPercentOfTimeout: 90,
    deadLetters: 100,
    databaseCpuPercent: 90,
    databaseFreeStorageGiB: 2,
    // db.t4g.micro (1 GiB): MySQL's max_connections is under 85.
    databaseConnections: 60,
    proxyBorrowLatencyMs: 100,
    kafkaDiskUsedPercent: 85,
    notificationEmails: [],
  },
};

const test: EnvironmentInput = {
  ...dev,
  name: 'test',
  network: { ...dev.network, mode: 'create', cidr: '10.41.0.0/16', flowLogRetentionDays: 30 },
  database: {
    ...dev.database,
    instanceType: 't4g.small',
    backupRetentionDays: 3,
    removalPolicy: 'snapshot',
    logExports: ['error', 'slowquery'],
    logRetentionDays: 30,
  },
  functions: {
    memoryMiB: 1024,
    timeoutSeconds: 60,
    logLevel: 'INFO',
    logRetentionDays: 30,
    databasePoolSize: 2,
  },
  // Tests replay topics from the start, like production does after a new deployment.
  eventSources: {},
  alarms: {
    ...dev.alarms,
    errorRatePercent: 5,
    maxOffsetLag: 10_000,
    maxEventAgeSeconds: 600,
    deadLetters: 10,
    // db.t4g.small (2 GiB): MySQL's max_connections is under 170.
    databaseConnections: 120,
  },
};

const prod: EnvironmentInput = {
  name: 'prod',
  region: 'eu-west-1',
  network: {
    mode: 'create',
    cidr: '10.42.0.0/16',
    availabilityZones: ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'],
    flowLogRetentionDays: 90,
  },
  kafka: {
    mode: 'create',
    kafkaVersion: '3.9.x',
    brokerInstanceType: 'kafka.m7g.large',
    brokersPerZone: 1,
    volumeSizeGiB: 500,
    brokerLogRetentionDays: 90,
    enhancedMonitoring: 'PER_TOPIC_PER_PARTITION',
    topics: { partitions: 12, replicationFactor: 3 },
  },
  database: {
    mysqlVersion: '8.4.8',
    instanceType: 'r7g.large',
    allocatedStorageGiB: 100,
    maxAllocatedStorageGiB: 1_000,
    multiAz: true,
    deletionProtection: true,
    backupRetentionDays: 14,
    removalPolicy: 'retain',
    databaseName: 'lambda_realtime',
    secretRotationDays: 30,
    proxy: true,
    // The functions sign in to the proxy with IAM tokens and hold no password.
    functionAuth: 'iam',
    // The error log and statements slower than 1 s, kept as long as the functions' logs.
    logExports: ['error', 'slowquery'],
    logRetentionDays: 90,
    slowQuerySeconds: 1,
    // OS metrics (CPU steal, memory, processes) beside the CPU alarm's hypervisor view.
    monitoringIntervalSeconds: 60,
  },
  functions: {
    memoryMiB: 1024,
    timeoutSeconds: 120,
    logLevel: 'INFO',
    logRetentionDays: 90,
    databasePoolSize: 2,
  },
  eventSources: {
    user: {
      batchSize: 500,
      maximumBatchingWindowInSeconds: 1,
      provisionedPollers: { minimum: 2, maximum: 12 },
    },
    order: {
      batchSize: 500,
      maximumBatchingWindowInSeconds: 1,
      provisionedPollers: { minimum: 2, maximum: 12 },
    },
    product: {
      batchSize: 500,
      maximumBatchingWindowInSeconds: 1,
      provisionedPollers: { minimum: 2, maximum: 12 },
    },
  },
  alarms: {
    periodSeconds: 60,
    evaluationPeriods: 5,
    datapointsToAlarm: 3,
    errorRatePercent: 1,
    maxOffsetLag: 10_000,
    // Ten minutes without a poll: well over twice the 2-minute function timeout.
    stalledConsumerMinutes: 10,
    maxEventAgeSeconds: 300,
    throttles: 0,
    durationPercentOfTimeout: 80,
    deadLetters: 0,
    databaseCpuPercent: 80,
    databaseFreeStorageGiB: 10,
    // db.r7g.large (16 GiB): MySQL's max_connections is under 1,365.
    databaseConnections: 1_000,
    proxyBorrowLatencyMs: 50,
    kafkaDiskUsedPercent: 75,
    notificationEmails: [],
  },
};

const ENVIRONMENTS: Record<EnvironmentName, EnvironmentInput> = { dev, test, prod };

export function isEnvironmentName(name: string): name is EnvironmentName {
  return (ENVIRONMENT_NAMES as readonly string[]).includes(name);
}

/** The validated settings of `name`, with `overrides` (e.g. from tests) merged over the top level. */
export function environmentConfig(
  name: string,
  overrides: Partial<EnvironmentInput> = {},
): EnvironmentConfig {
  if (!isEnvironmentName(name)) {
    throw new Error(`unknown environment "${name}": use -c env=${ENVIRONMENT_NAMES.join('|')}`);
  }
  return parseEnvironment({ ...ENVIRONMENTS[name], ...overrides });
}
