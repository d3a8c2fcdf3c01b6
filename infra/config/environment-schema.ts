/**
 * The typed, validated settings of one deployment environment (dev / test / prod): sizes,
 * retention, resilience, which resources the stack creates and which it imports, and alarm
 * thresholds. `infra/config/environments.ts` holds the values; a bad value fails synthesis with
 * every offending path named.
 */
import { z } from 'zod';
import { DOMAINS, type Domain, type EventSourceInput, eventSourceSchema } from './event-sources.ts';

export const ENVIRONMENT_NAMES = ['dev', 'test', 'prod'] as const;
export type EnvironmentName = (typeof ENVIRONMENT_NAMES)[number];

const awsRegion = z.string().regex(/^[a-z]{2}(-gov)?-[a-z]+-\d$/, 'an AWS region such as eu-west-1');
const awsAccount = z.string().regex(/^\d{12}$/, 'a 12-digit AWS account id');
/** CloudWatch Logs accepts only these retention periods. */
const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
];
/** RDS Enhanced Monitoring accepts only these intervals, in seconds (0: off). */
const MONITORING_INTERVALS = [0, 1, 5, 10, 15, 30, 60];
const days = z
  .number()
  .int()
  .refine((d) => LOG_RETENTION_DAYS.includes(d), `one of ${LOG_RETENTION_DAYS.join(', ')}`);

/** A new VPC with private isolated subnets only: nothing here needs the internet. */
const createdNetwork = z
  .object({
    mode: z.literal('create'),
    cidr: z.string().regex(/^\d+\.\d+\.\d+\.\d+\/\d+$/),
    /** One private subnet per zone; MSK needs one broker subnet per zone (2 or 3). */
    availabilityZones: z.array(z.string().min(1)).min(2).max(3),
    flowLogRetentionDays: days,
  })
  .strict();

/** An existing VPC, named by id so that synthesis needs no AWS lookup. */
const importedNetwork = z
  .object({
    mode: z.literal('import'),
    vpcId: z.string().regex(/^vpc-[0-9a-f]+$/),
    vpcCidr: z.string().regex(/^\d+\.\d+\.\d+\.\d+\/\d+$/),
    availabilityZones: z.array(z.string().min(1)).min(2).max(3),
    /** Private subnets, one per availability zone, in the same order. */
    privateSubnetIds: z
      .array(z.string().regex(/^subnet-[0-9a-f]+$/))
      .min(2)
      .max(3),
    /** False when the VPC already has a Secrets Manager interface endpoint (or a NAT route). */
    createSecretsManagerEndpoint: z.boolean(),
  })
  .strict()
  .refine((n) => n.privateSubnetIds.length === n.availabilityZones.length, {
    message: 'give one private subnet per availability zone',
    path: ['privateSubnetIds'],
  });

const topicSettings = z
  .object({
    partitions: z.number().int().min(1),
    replicationFactor: z.number().int().min(1).max(3),
  })
  .strict();

/** A new provisioned MSK cluster with IAM authentication and TLS only. */
const createdKafka = z
  .object({
    mode: z.literal('create'),
    kafkaVersion: z.string().min(1),
    brokerInstanceType: z.string().regex(/^kafka\.[a-z0-9]+\.[a-z0-9]+$/),
    brokersPerZone: z.number().int().min(1),
    volumeSizeGiB: z.number().int().min(1).max(16_384),
    brokerLogRetentionDays: days,
    enhancedMonitoring: z.enum(['DEFAULT', 'PER_BROKER', 'PER_TOPIC_PER_BROKER', 'PER_TOPIC_PER_PARTITION']),
    topics: topicSettings,
  })
  .strict();

/** An existing MSK cluster (IAM authentication enabled) in the imported VPC. */
const importedKafka = z
  .object({
    mode: z.literal('import'),
    clusterArn: z
      .string()
      .regex(/^arn:aws[a-z-]*:kafka:[a-z0-9-]+:\d{12}:cluster\/[^/]+\/[^/]+$/, 'an MSK cluster ARN'),
    /** The brokers' security group: the stack lets the functions in on port 9098. */
    brokerSecurityGroupId: z.string().regex(/^sg-[0-9a-f]+$/),
    /** Create the source and failure topics, or leave them to whoever owns the cluster. */
    topics: topicSettings.nullable(),
  })
  .strict();

const database = z
  .object({
    /**
     * The RDS for MySQL version a new instance starts on, e.g. 8.4.8: major version 8.4, pinned
     * (another major is a deliberate upgrade, not a setting). It is a floor, not the running
     * version: automatic minor version upgrades are on, so RDS moves the instance to newer 8.4
     * minors in its maintenance window, and CloudFormation, which sends EngineVersion only when
     * this value changes, leaves it there. To bump it, set it to the version the instance runs
     * now or a newer one, never an older one (RDS refuses a downgrade): infra/README.md, "Engine
     * version". The major version picks the parameter group family.
     */
    mysqlVersion: z.string().regex(/^8\.4\.\d+$/, 'a MySQL 8.4 version such as 8.4.8'),
    instanceType: z.string().regex(/^[a-z0-9]+\.[a-z0-9]+$/, 'an instance type without the db. prefix'),
    allocatedStorageGiB: z.number().int().min(20),
    maxAllocatedStorageGiB: z.number().int().min(20),
    multiAz: z.boolean(),
    deletionProtection: z.boolean(),
    backupRetentionDays: z.number().int().min(1).max(35),
    /** What CloudFormation does with the instance when it leaves the stack. */
    removalPolicy: z.enum(['destroy', 'snapshot', 'retain']),
    databaseName: z.string().regex(/^[a-z][a-z0-9_]*$/),
    secretRotationDays: z.number().int().min(1).max(365),
    /** Put RDS Proxy between the functions and MySQL (connection pooling across containers). */
    proxy: z.boolean(),
    /**
     * How the domain functions sign in to MySQL. `secret`: the app user's rotated password, read
     * from Secrets Manager (DB_SECRET_ID). `iam`: an IAM authentication token for the app user
     * (`rds-db:connect`), so the functions hold no password at all; RDS Proxy only (it requires
     * IAM from clients and signs in to MySQL with the app secret itself).
     */
    functionAuth: z.enum(['iam', 'secret']),
    /**
     * MySQL logs RDS exports to CloudWatch Logs (log groups `/aws/rds/instance/<id>/<log>`, created
     * by the stack with `logRetentionDays`). `slowquery` also turns the slow query log on
     * (`slow_query_log=1`, `log_output=FILE`); `general` logs every statement: debugging only.
     */
    logExports: z
      .array(z.enum(['error', 'slowquery', 'general']))
      .refine((logs) => new Set(logs).size === logs.length, 'lists a log twice'),
    logRetentionDays: days,
    /** `long_query_time`: statements slower than this go to the slow query log (when exported). */
    slowQuerySeconds: z.number().positive().max(3_600),
    /** Enhanced Monitoring (OS metrics) interval; 0 turns it off. */
    monitoringIntervalSeconds: z
      .number()
      .int()
      .refine((s) => MONITORING_INTERVALS.includes(s), `one of ${MONITORING_INTERVALS.join(', ')}`),
  })
  .strict()
  .refine((d) => d.maxAllocatedStorageGiB >= d.allocatedStorageGiB, {
    message: 'must be at least allocatedStorageGiB',
    path: ['maxAllocatedStorageGiB'],
  })
  .refine((d) => d.functionAuth !== 'iam' || d.proxy, {
    message: 'iam needs database.proxy: the functions sign in to RDS Proxy with IAM',
    path: ['functionAuth'],
  });

const functions = z
  .object({
    memoryMiB: z.number().int().min(128).max(10_240),
    timeoutSeconds: z.number().int().min(1).max(900),
    logLevel: z.enum(['DEBUG', 'INFO', 'WARN', 'ERROR']),
    /** Also the retention of the rotation functions' and the CDK trigger provider's logs. */
    logRetentionDays: days,
    /**
     * MySQL connections each warm function container keeps (DB_POOL_SIZE, 1–50 as the handler
     * accepts). Connections to MySQL (or to the proxy) grow with the pollers' concurrency times this.
     */
    databasePoolSize: z.number().int().min(1).max(50),
  })
  .strict();

const alarms = z
  .object({
    /** Length of one evaluation period. */
    periodSeconds: z
      .number()
      .int()
      .refine((s) => s % 60 === 0 && s > 0, 'a positive multiple of 60'),
    /** An alarm fires when `datapointsToAlarm` of the last `evaluationPeriods` periods breach. */
    evaluationPeriods: z.number().int().min(1),
    datapointsToAlarm: z.number().int().min(1),
    /** Errors / Invocations, in percent. */
    errorRatePercent: z.number().positive().max(100),
    /** Records the consumer group is behind (Lambda's OffsetLag, Maximum). */
    maxOffsetLag: z.number().int().min(1),
    /**
     * How long a mapping may go without polling at all (its PolledEventCount, which Lambda emits
     * on every poll, empty ones included, is missing) before the stalled-consumer alarm fires: a
     * multiple of periodSeconds, longer than two function timeouts (a batch in flight).
     */
    stalledConsumerMinutes: z.number().int().min(1).max(1_440),
    /** Age of the oldest record in a batch (handler metric EventAgeMs, Maximum), in seconds. */
    maxEventAgeSeconds: z.number().int().min(1),
    /** Throttled invocations per period above which to alarm (0: any throttle). */
    throttles: z.number().int().min(0),
    /** Maximum duration as a share of the timeout, in percent. */
    durationPercentOfTimeout: z.number().positive().max(100),
    /** Records written to event_dead_letter per period above which to alarm (0: any). */
    deadLetters: z.number().int().min(0),
    /** RDS CPUUtilization (Average) above which to alarm, in percent. */
    databaseCpuPercent: z.number().positive().max(100),
    /** RDS FreeStorageSpace (Minimum) below which to alarm, in GiB; under database.allocatedStorageGiB. */
    databaseFreeStorageGiB: z.number().positive(),
    /**
     * RDS DatabaseConnections (Maximum) above which to alarm. MySQL's default max_connections is
     * DBInstanceClassMemory / 12582880 (about 85 per GiB of the class), so set this below that.
     */
    databaseConnections: z.number().int().min(1),
    /** RDS Proxy DatabaseConnectionsBorrowLatency (Average) above which to alarm, in ms (proxy only). */
    proxyBorrowLatencyMs: z.number().positive(),
    /** MSK KafkaDataLogsDiskUsed (Maximum, per broker) above which to alarm, in percent (created cluster only). */
    kafkaDiskUsedPercent: z.number().positive().max(100),
    /** Optional e-mail subscribers of the alarm topic. */
    notificationEmails: z.array(z.email()),
  })
  .strict()
  .refine((a) => a.datapointsToAlarm <= a.evaluationPeriods, {
    message: 'must not exceed evaluationPeriods',
    path: ['datapointsToAlarm'],
  });

export const environmentSchema = z
  .object({
    name: z.enum(ENVIRONMENT_NAMES),
    /** Target account; unset = the CLI's account (CDK_DEFAULT_ACCOUNT), or none for offline synth. */
    account: awsAccount.optional(),
    region: awsRegion,
    network: z.discriminatedUnion('mode', [createdNetwork, importedNetwork]),
    kafka: z.discriminatedUnion('mode', [createdKafka, importedKafka]),
    database,
    functions,
    /** Per-domain overrides of infra/config/event-sources.ts (the same ones the local runner uses). */
    eventSources: z.partialRecord(z.enum(DOMAINS), z.custom<EventSourceInput>()),
    alarms,
  })
  .strict()
  .superRefine((env, ctx) => {
    if (env.kafka.mode === 'import' && env.network.mode !== 'import') {
      ctx.addIssue({
        code: 'custom',
        message: 'an imported MSK cluster lives in an existing VPC: import that VPC too',
        path: ['network', 'mode'],
      });
    }
    if (env.alarms.databaseFreeStorageGiB >= env.database.allocatedStorageGiB) {
      ctx.addIssue({
        code: 'custom',
        message: 'must be below database.allocatedStorageGiB',
        path: ['alarms', 'databaseFreeStorageGiB'],
      });
    }
    const stalledSeconds = env.alarms.stalledConsumerMinutes * 60;
    if (
      stalledSeconds % env.alarms.periodSeconds !== 0 ||
      stalledSeconds < 2 * env.functions.timeoutSeconds
    ) {
      ctx.addIssue({
        code: 'custom',
        message: 'must be a multiple of alarms.periodSeconds and at least twice functions.timeoutSeconds',
        path: ['alarms', 'stalledConsumerMinutes'],
      });
    }
    if (env.kafka.mode === 'create' && env.kafka.topics.replicationFactor > env.kafka.brokersPerZone * 3) {
      ctx.addIssue({ code: 'custom', message: 'exceeds the broker count', path: ['kafka', 'topics'] });
    }
    for (const domain of DOMAINS) {
      const result = eventSourceSchema.safeParse(env.eventSources[domain] ?? {});
      for (const issue of result.error?.issues ?? []) {
        ctx.addIssue({
          code: 'custom',
          message: issue.message,
          path: ['eventSources', domain, ...issue.path],
        });
      }
    }
  });

export type EnvironmentInput = z.input<typeof environmentSchema>;
export type EnvironmentConfig = z.output<typeof environmentSchema>;
export type { Domain };

/** Validates an environment's settings, naming every bad value in one error. */
export function parseEnvironment(input: EnvironmentInput): EnvironmentConfig {
  const result = environmentSchema.safeParse(input);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `  ${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new Error(`invalid settings for environment "${input.name}":\n${problems.join('\n')}`);
  }
  return result.data;
}
