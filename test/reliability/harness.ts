/**
 * What every reliability scenario runs on: its own topics (./topics.ts) and a fresh, migrated and
 * seeded schema; a database user of its own whose credentials the functions read from the AWS
 * emulator (Secrets Manager, as in AWS); runner processes with the real functions
 * (./processes.ts), which can be killed and restarted; a producer that tags every record so it can
 * be found again; the wait until every function's consumer group has committed everything; and the
 * topic and its on-failure destination read back. ./processes.ts also restarts the native services
 * this checkout started.
 */
import { join } from 'node:path';
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  DescribeSecretCommand,
  PutSecretValueCommand,
  type SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { type Connection, createConnection } from 'mysql2/promise';
import { seed } from '../../db/migrate.ts';
import { demoStream } from '../../scripts/local/demo-stream.ts';
import type { ServiceEndpoints } from '../../scripts/services/find-services.ts';
import { DOMAIN_NAMES } from '../../shared/domains/registry.ts';
import { configVariables } from '../../shared/runtime/config.ts';
import { freshDatabase, type TestDatabase } from '../support/database.ts';
import { uniqueName } from '../support/services.ts';
import { type DimensionEpoch, readDimensions } from './expected-state.ts';
import { RunnerProcess, sleep } from './processes.ts';
import type { FailureDoc, RecordSpec, TopicRecord } from './records.ts';
import { RetryingProducer, Topics } from './topics.ts';

export { nativeService, ROOT, RunnerProcess, restartNative, sleep } from './processes.ts';
export type { Expectation, FailureDoc, RecordSpec, TopicRecord } from './records.ts';

/** The header that numbers every produced record (its index in `ScenarioRun.specs`). */
export const SEQ_HEADER = 'lrt-seq';
const PARTITIONS = 3;

export interface SuiteContext {
  endpoints: ServiceEndpoints;
  secrets: SecretsManagerClient;
  /** Short id of this suite run, in every name it creates. */
  runId: string;
  logDir: string;
  /** Keep schemas, topics, users and secrets after each scenario (for a look afterwards). */
  keep: boolean;
  log: (line: string) => void;
}

export interface RunnerOptions {
  /** Variables for the functions, besides the secret and the AWS endpoint (DB_HOST/DB_PORT override, DIM_*, …). */
  functionEnv?: Record<string, string>;
  functionTimeoutSeconds?: number;
  /** test/support/esm-runner-process.ts's ESM_SLOW_MS: each invocation answers this much later. */
  slowMs?: number;
}

/** The retry backoff of the runners: 10 retries span about a minute, as a fault of seconds needs. */
const BACKOFF_MS = '500,10000';

export class ScenarioRun {
  readonly ctx: SuiteContext;
  readonly name: string;
  readonly topic: string;
  readonly failureTopic: string;
  readonly db: TestDatabase;
  /** The suite's connection to the scenario's schema (replaced by `reconnect()` after a restart). */
  conn: Connection;
  readonly dbUser: string;
  readonly secretId: string;
  readonly specs: RecordSpec[] = [];
  readonly runners: RunnerProcess[] = [];
  /** What a scenario's checks observed, for the notes under the table. */
  readonly notes: string[] = [];
  /** Positions in `specs` a scenario noted (where a fault began, say). */
  readonly marks = new Map<string, number>();
  /**
   * The dimension rows the functions enrich from: as seeded (from record 0), then each change a
   * scenario made and the record from which every function is certain to see it.
   */
  readonly dimensions: DimensionEpoch[] = [];
  /** Records handed to the producer again after a failed send (they may be in the topic twice). */
  resent = 0;
  readonly #producer: RetryingProducer;
  readonly #topics: Topics;
  #runnerCount = 0;
  readonly #byKey = new Map<string, number>();

  private constructor(ctx: SuiteContext, name: string, db: TestDatabase, user: string) {
    this.ctx = ctx;
    this.name = name;
    this.topic = `rel-${ctx.runId}-${name}`;
    this.failureTopic = `${this.topic}-failures`;
    this.db = db;
    this.conn = db.conn;
    this.dbUser = user;
    this.secretId = `lambda-realtime/reliability/${ctx.runId}/${name}`;
    this.#topics = new Topics(ctx.endpoints.kafkaBrokers);
    this.#producer = new RetryingProducer(ctx.endpoints.kafkaBrokers, ctx.log);
  }

  /** A fresh schema (migrated, dimension seed loaded), a user of its own, its secret, its topics. */
  static async create(ctx: SuiteContext, name: string): Promise<ScenarioRun> {
    const db = await freshDatabase(
      `rel_${ctx.runId}_${name.replaceAll('-', '_')}`.slice(0, 40),
      ctx.endpoints.db,
    );
    await seed(db.conn);
    const user = uniqueName('rel').slice(0, 32);
    const password = `pw-${Math.random().toString(36).slice(2)}-A1`;
    await db.conn.query(`CREATE USER '${user}'@'%' IDENTIFIED BY ?`, [password]);
    await db.conn.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON ${db.name}.* TO '${user}'@'%'`);
    const scenario = new ScenarioRun(ctx, name, db, user);
    scenario.dimensions.push({ from: 0, rows: await readDimensions(db.conn) });
    await ctx.secrets.send(
      new CreateSecretCommand({ Name: scenario.secretId, SecretString: scenario.secretValue(password) }),
    );
    await scenario.#topics.create(scenario.topic, PARTITIONS);
    await scenario.#topics.create(scenario.failureTopic, 1);
    return scenario;
  }

  /** The RDS-format secret of the scenario's user (host and port of the real database). */
  secretValue(password: string): string {
    const { db } = this.ctx.endpoints;
    return JSON.stringify({
      engine: 'mysql',
      username: this.dbUser,
      password,
      host: db.host,
      port: db.port,
      dbname: this.db.name,
    });
  }

  /** A new connection to the schema, after the database went away. */
  async reconnect(): Promise<void> {
    await this.conn.end().catch(() => {});
    this.conn = await createConnection({
      ...this.ctx.endpoints.db,
      database: this.db.name,
      timezone: 'Z',
      supportBigNumbers: true,
      bigNumberStrings: true,
    });
  }

  /** Consumer group of a domain's function in this scenario. */
  group(domain: string): string {
    return `${this.topic}-${domain}`;
  }

  // ------------------------------------------------------------------------------- runners

  /** A runner process with one local ESM per function (all three domains), joining their groups. */
  startRunner(options: RunnerOptions = {}): RunnerProcess {
    const index = ++this.#runnerCount;
    const { endpoints } = this.ctx;
    const env: NodeJS.ProcessEnv = { ...process.env };
    // The functions read only what is given here: not the suite's own DB_* endpoint variables.
    for (const name of configVariables()) delete env[name];
    Object.assign(env, {
      ESM_BROKERS: endpoints.kafkaBrokers.join(','),
      ESM_TOPIC: this.topic,
      ESM_GROUP: this.group('{domain}'),
      ESM_DOMAINS: DOMAIN_NAMES.join(','),
      ESM_BACKOFF_MS: BACKOFF_MS,
      ...(options.functionTimeoutSeconds
        ? { ESM_FUNCTION_TIMEOUT_SECONDS: String(options.functionTimeoutSeconds) }
        : {}),
      ...(options.slowMs ? { ESM_SLOW_MS: String(options.slowMs) } : {}),
      DB_SECRET_ID: this.secretId,
      ...endpoints.dbTls,
      AWS_ENDPOINT_URL: endpoints.aws.endpoint,
      AWS_REGION: endpoints.aws.region,
      AWS_ACCESS_KEY_ID: endpoints.aws.accessKeyId,
      AWS_SECRET_ACCESS_KEY: endpoints.aws.secretAccessKey,
      POWERTOOLS_LOG_LEVEL: 'WARN',
      ...options.functionEnv,
    });
    const runner = new RunnerProcess(
      `runner${index}`,
      env,
      join(this.ctx.logDir, `${this.name}-runner${index}`),
    );
    this.runners.push(runner);
    return runner;
  }

  /** Stops every live runner (in-flight batches finish and commit), then waits for them to exit. */
  async stopRunners(): Promise<void> {
    await Promise.all(this.runners.filter((r) => r.alive).map((r) => r.stop()));
  }

  /** Fails when a runner died without being told to. */
  checkRunners(): void {
    for (const runner of this.runners) {
      if (!runner.alive && !runner.stopRequested) {
        throw new Error(`${runner.name} exited on its own (code ${runner.exitCode}): ${runner.tail()}`);
      }
    }
  }

  // ------------------------------------------------------------------------------ producing

  /**
   * Publishes `specs` (appended to this run's records) in chunks, at about `ratePerSecond` (0: as fast as
   * it can). A send that fails (the broker away) is retried on a new producer until it succeeds; a
   * record may then be in the topic twice, which the accounting sees (two records, one eventId).
   */
  async produce(
    specs: Iterable<RecordSpec>,
    options: { ratePerSecond?: number; chunk?: number; onProgress?: (produced: number) => void } = {},
  ): Promise<number> {
    const chunkSize = options.chunk ?? 500;
    const started = Date.now();
    let produced = 0;
    let chunk: number[] = [];
    const flush = async () => {
      if (chunk.length === 0) return;
      await this.#send(chunk);
      produced += chunk.length;
      chunk = [];
      options.onProgress?.(produced);
      if (options.ratePerSecond) {
        const due = started + (produced / options.ratePerSecond) * 1_000;
        if (due > Date.now()) await sleep(due - Date.now());
      }
    };
    for (const spec of specs) {
      const seq = this.specs.push(spec) - 1;
      if (spec.seqHeader === false) {
        if (spec.key === null || this.#byKey.has(spec.key)) {
          throw new Error(`a record without a sequence header needs a unique key (${spec.label})`);
        }
        this.#byKey.set(spec.key, seq);
      }
      chunk.push(seq);
      if (chunk.length >= chunkSize) await flush();
    }
    await flush();
    return produced;
  }

  async #send(seqs: number[]): Promise<void> {
    const messages = seqs.map((seq) => {
      const spec = this.specs[seq]!;
      const headers = new Map<Buffer, Buffer>();
      if (spec.seqHeader !== false) headers.set(Buffer.from(SEQ_HEADER), Buffer.from(String(seq)));
      for (const [name, value] of spec.headers ?? []) headers.set(Buffer.from(name), value);
      return {
        topic: this.topic,
        ...(spec.key === null ? {} : { key: Buffer.from(spec.key) }),
        // A tombstone: no value at all (undefined reaches the broker as a null value).
        value: (spec.value === null ? undefined : Buffer.from(spec.value)) as Buffer,
        headers,
      };
    });
    this.resent += await this.#producer.send(messages);
  }

  // ------------------------------------------------------------------------------- waiting

  /** Σ over the functions' groups and partitions of high watermark − committed offset. */
  lag(): Promise<number> {
    return this.#topics.lag(
      this.topic,
      PARTITIONS,
      DOMAIN_NAMES.map((d) => this.group(d)),
    );
  }

  /**
   * Waits until every function's group committed every record of the topic (each one written,
   * dead-lettered, skipped or sent to the on-failure destination), failing if a runner dies or
   * `timeoutMs` passes (a hang guard, not a performance bound).
   */
  async drained(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last = -1;
    let lastPrinted = 0;
    for (;;) {
      this.checkRunners();
      let lag: number | undefined;
      try {
        lag = await this.lag();
      } catch (error) {
        this.ctx.log(`  lag: ${(error as Error).message}`);
      }
      if (lag === 0) return;
      if (
        lag !== undefined &&
        (lag !== last || Date.now() - lastPrinted > 15_000) &&
        Date.now() - lastPrinted > 5_000
      ) {
        this.ctx.log(`  waiting: lag ${lag} over the functions' groups`);
        lastPrinted = Date.now();
        last = lag;
      }
      if (Date.now() > deadline) {
        throw new Error(
          `not drained after ${Math.round(timeoutMs / 1000)} s (lag ${lag}); runners: ${this.runners.map((r) => `${r.name} ${r.tail()}`).join(' | ')}`,
        );
      }
      await sleep(1_000);
    }
  }

  /** Resolves once the runners together have written at least `rows` event rows. */
  async written(rows: number, timeoutMs = 300_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while ((await this.eventRows()) < rows) {
      this.checkRunners();
      if (Date.now() > deadline)
        throw new Error(`fewer than ${rows} rows written after ${timeoutMs / 1000} s`);
      await sleep(200);
    }
  }

  async eventRows(): Promise<number> {
    const [[row]] = (await this.conn.query(
      'SELECT (SELECT COUNT(*) FROM user_event_wide) + (SELECT COUNT(*) FROM order_event_wide) + (SELECT COUNT(*) FROM product_event_wide) AS n',
    )) as unknown as [[{ n: string }]];
    return Number(row.n);
  }

  // ---------------------------------------------------------------------------- reading back

  /** Every record in the topic, with the spec it was produced from. */
  async readTopic(): Promise<TopicRecord[]> {
    const out: TopicRecord[] = [];
    for (const message of await this.#topics.readAll(this.topic, PARTITIONS)) {
      const seqHeader = message.headers.find(([name]) => name === SEQ_HEADER)?.[1];
      const seq = seqHeader !== undefined ? Number(seqHeader.toString()) : this.#byKey.get(message.key ?? '');
      const spec = seq === undefined ? undefined : this.specs[seq];
      if (seq === undefined || !spec) {
        throw new Error(
          `${this.topic}-${message.partition}@${message.offset}: a record this run did not produce`,
        );
      }
      out.push({ partition: message.partition, offset: message.offset, seq, spec });
    }
    return out;
  }

  /** The failure documents the functions' mappings sent to the on-failure destination. */
  async readFailures(): Promise<FailureDoc[]> {
    return (await this.#topics.readAll(this.failureTopic, 1)).map((message) => {
      const doc = JSON.parse(message.value?.toString() ?? 'null') as {
        requestContext: { functionArn: string; condition: string };
        payload: { records: Record<string, Array<{ topic: string; partition: number; offset: number }>> };
      };
      const record = Object.values(doc.payload.records)[0]![0]!;
      return {
        partition: record.partition,
        offset: record.offset,
        functionArn: doc.requestContext.functionArn,
        condition: doc.requestContext.condition,
      };
    });
  }

  // ---------------------------------------------------------------------------------- rotation

  /**
   * Rotates the user's password as AWS's rotation functions do: the new password is put as a new
   * secret version with AWSPENDING, set in the database (live sessions ended, as a failover or an
   * idle timeout would), and, after `pendingMs`, AWSCURRENT moves to it.
   */
  async rotatePassword(pendingMs: number): Promise<void> {
    const next = `pw-${Math.random().toString(36).slice(2)}-B2`;
    const { secrets } = this.ctx;
    await secrets.send(
      new PutSecretValueCommand({
        SecretId: this.secretId,
        SecretString: this.secretValue(next),
        VersionStages: ['AWSPENDING'],
      }),
    );
    await this.conn.query(`ALTER USER '${this.dbUser}'@'%' IDENTIFIED BY ?`, [next]);
    await this.killSessions();
    await sleep(pendingMs);
    const { VersionIdsToStages } = await secrets.send(new DescribeSecretCommand({ SecretId: this.secretId }));
    const versionWith = (stage: string) =>
      Object.entries(VersionIdsToStages ?? {}).find(([, stages]) => stages.includes(stage))?.[0];
    await secrets.send(
      new UpdateSecretVersionStageCommand({
        SecretId: this.secretId,
        VersionStage: 'AWSCURRENT',
        MoveToVersionId: versionWith('AWSPENDING'),
        RemoveFromVersionId: versionWith('AWSCURRENT'),
      }),
    );
  }

  /** Ends every session of the scenario's user. */
  async killSessions(): Promise<number> {
    const [sessions] = (await this.conn.query(
      'SELECT id FROM information_schema.processlist WHERE user = ?',
      [this.dbUser],
    )) as unknown as [Array<{ id: number }>];
    for (const { id } of sessions) await this.conn.query(`KILL ${Number(id)}`).catch(() => {});
    return sessions.length;
  }

  // ----------------------------------------------------------------------------------- cleanup

  async close(): Promise<void> {
    for (const runner of this.runners) if (runner.alive) runner.kill('SIGKILL');
    await Promise.all(this.runners.map((r) => r.exited));
    await this.#producer.close();
    if (!this.ctx.keep) {
      await this.#topics.delete([this.topic, this.failureTopic]).catch(() => {});
      await this.ctx.secrets
        .send(new DeleteSecretCommand({ SecretId: this.secretId, ForceDeleteWithoutRecovery: true }))
        .catch(() => {});
      await this.conn.query(`DROP USER IF EXISTS '${this.dbUser}'@'%'`).catch(() => {});
      await this.conn.query(`DROP DATABASE IF EXISTS ${this.db.name}`).catch(() => {});
    }
    await this.conn.end().catch(() => {});
    await this.#topics.close().catch(() => {});
  }
}

// ---------------------------------------------------------------------------------- scenarios

/** The demo stream as records to produce; event ids start with the run's and scenario's id. */
export function* demoRecords(
  run: ScenarioRun,
  events: number,
  options: { seed?: number; duplicateRate?: number; malformedRate?: number } = {},
): Generator<RecordSpec> {
  for (const record of demoStream({
    events,
    runId: `${run.ctx.runId}${abbreviation(run.name)}`,
    ...options,
  })) {
    yield {
      key: record.key,
      value: record.value,
      expect:
        record.expect === 'dead-letter'
          ? // Published without an event-domain header, on the topic every function reads.
            { kind: 'dead-letter', reason: record.reason!.unrouted }
          : {
              kind: 'event',
              eventId: record.eventId!,
              domain: record.domain as 'user' | 'order' | 'product',
              event: record.event!,
            },
    };
  }
}

function abbreviation(name: string): string {
  return name
    .split('-')
    .map((w) => w[0])
    .join('');
}

export interface Size {
  name: 'full' | 'ci';
  /** Records of the load scenario. */
  loadRecords: number;
  /** Records of each fault scenario's stream, and its rate (records/s). */
  faultRecords: number;
  faultRate: number;
  /** Demo records around the bad input. */
  background: number;
}

export interface ScenarioDefinition {
  name: string;
  /** How the fault is injected (or what the scenario is), for the table's notes. */
  what: string;
  /**
   * Runs the scenario up to the point where every function's group committed every record and the
   * runners stopped; returns what it observed on the way (one line each).
   */
  run(run: ScenarioRun, size: Size): Promise<string[]>;
  /** Checks of its own after the accounting; returns what failed. */
  verify?(run: ScenarioRun, records: readonly TopicRecord[]): Promise<string[]>;
  /** Lines printed after the summary table (the bad input's outcomes). */
  report?(
    run: ScenarioRun,
    records: readonly TopicRecord[],
    placeOf: ReadonlyArray<{ place: string; detail: string }>,
  ): string[];
}
