/**
 * What every reliability scenario runs on: its own topics and a fresh, migrated and seeded schema;
 * a database user of its own whose credentials the functions read from the AWS emulator (Secrets
 * Manager, as in AWS); local event source mappings with the real functions in child processes
 * (test/support/esm-runner-process.ts), which can be killed and restarted; a producer that tags
 * every record so it can be found again; the wait until every function's consumer group has
 * committed everything; the topic and its on-failure destination read back; and control over the
 * native services this checkout started (a real restart of the broker or of MariaDB).
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createWriteStream, existsSync, readFileSync, type WriteStream } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  DescribeSecretCommand,
  PutSecretValueCommand,
  type SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { Admin, Consumer, Producer } from '@platformatic/kafka';
import { type Connection, createConnection } from 'mysql2/promise';
import { seed } from '../../db/migrate.ts';
import { demoStream } from '../../scripts/local/demo-stream.ts';
import type { ServiceEndpoints } from '../../scripts/services/find-services.ts';
import { DOMAIN_NAMES, type DomainName } from '../../shared/domains/registry.ts';
import type { PermanentReason } from '../../shared/pipeline/errors.ts';
import { configVariables } from '../../shared/runtime/config.ts';
import { freshDatabase, type TestDatabase } from '../support/database.ts';
import { uniqueName } from '../support/services.ts';
import { type DimensionEpoch, type ProducedEvent, readDimensions } from './expected-state.ts';

const run = promisify(execFile);
export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const RUNNER_SCRIPT = join(ROOT, 'test', 'support', 'esm-runner-process.ts');
/** The header that numbers every produced record (its index in `ScenarioRun.specs`). */
export const SEQ_HEADER = 'lrt-seq';
const PARTITIONS = 3;
/** Topics take values a bit over 1 MiB (the oversize bad input); the broker's default is 1 MB. */
const MAX_MESSAGE_BYTES = 4 * 1024 * 1024;

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** What the pipeline must do with a record (docs/architecture.md, "Nothing lost"; README failure outcomes). */
export type Expectation =
  /**
   * A valid event of `domain`: its wide-table row, once per eventId (later copies are absorbed).
   * `event` is the event as produced, from which the state tables are recomputed (./expected-state.ts).
   */
  | { kind: 'event'; eventId: string; domain: DomainName; event: ProducedEvent }
  /** Permanently bad: one event_dead_letter row (with this reason, when given). */
  | { kind: 'dead-letter'; reason?: PermanentReason };

export interface RecordSpec {
  /** null: no key. Keys are entity ids (an entity's events share a partition). */
  key: string | null;
  /** JSON text, raw bytes, or null (a tombstone). */
  value: string | Buffer | null;
  /** Headers besides the sequence header. */
  headers?: Array<[string, Buffer]>;
  /** false: no sequence header; the record is found again by its key, which must be unique. */
  seqHeader?: boolean;
  expect: Expectation;
  /** The bad-input case it belongs to. */
  label?: string;
}

/** A record as it is in the topic: where it landed and what was produced. */
export interface TopicRecord {
  partition: number;
  offset: number;
  seq: number;
  spec: RecordSpec;
}

/** One failure document in the on-failure destination: the record it names and who sent it. */
export interface FailureDoc {
  partition: number;
  offset: number;
  functionArn: string;
  condition: string;
}

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
  #producer: Producer | undefined;
  #admin: Admin;
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
    this.#admin = new Admin({
      clientId: 'lrt-reliability-admin',
      bootstrapBrokers: ctx.endpoints.kafkaBrokers,
    });
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
    await scenario.#admin.createTopics({
      topics: [scenario.topic],
      partitions: PARTITIONS,
      replicas: 1,
      configs: [{ name: 'max.message.bytes', value: String(MAX_MESSAGE_BYTES) }],
    });
    await scenario.#admin.createTopics({
      topics: [scenario.failureTopic],
      partitions: 1,
      replicas: 1,
      configs: [{ name: 'max.message.bytes', value: String(MAX_MESSAGE_BYTES) }],
    });
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
    for (let attempt = 1; ; attempt++) {
      try {
        this.#producer ??= new Producer({
          clientId: 'lrt-reliability-producer',
          bootstrapBrokers: this.ctx.endpoints.kafkaBrokers,
          idempotent: true,
        });
        await this.#producer.send({ messages });
        return;
      } catch (error) {
        if (attempt === 1 || attempt % 10 === 0) {
          this.ctx.log(`  producer: send failed (${(error as Error).message}); retrying`);
        }
        const old = this.#producer;
        this.#producer = undefined;
        await old?.close().catch(() => {});
        this.resent += messages.length;
        if (attempt > 600) throw error;
        await sleep(1_000);
      }
    }
  }

  // ------------------------------------------------------------------------------- waiting

  /** Σ over the functions' groups and partitions of high watermark − committed offset. */
  lag(): Promise<number> {
    return this.#withAdmin(() => this.#lag());
  }

  /** An admin call; when it fails (the broker restarted, say), the next one gets a new client. */
  async #withAdmin<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      const old = this.#admin;
      this.#admin = new Admin({
        clientId: 'lrt-reliability-admin',
        bootstrapBrokers: this.ctx.endpoints.kafkaBrokers,
      });
      await old.close().catch(() => {});
      throw error;
    }
  }

  /** The next offset of each partition of `topic` (its high watermark), retried on a new client. */
  async #ends(topic: string, partitions: number): Promise<Map<number, bigint>> {
    for (let attempt = 1; ; attempt++) {
      try {
        const ends = await this.#withAdmin(() =>
          this.#admin.listOffsets({
            topics: [
              {
                name: topic,
                partitions: Array.from({ length: partitions }, (_, p) => ({
                  partitionIndex: p,
                  timestamp: -1n,
                })),
              },
            ],
          }),
        );
        return new Map((ends[0]?.partitions ?? []).map((p) => [p.partitionIndex, p.offset]));
      } catch (error) {
        if (attempt >= 10) throw error;
        await sleep(1_000);
      }
    }
  }

  async #lag(): Promise<number> {
    const end = await this.#ends(this.topic, PARTITIONS);
    const groups = await this.#admin.listConsumerGroupOffsets({
      groups: DOMAIN_NAMES.map((d) => this.group(d)),
    });
    let lag = 0;
    for (const domain of DOMAIN_NAMES) {
      const group = groups.find((g) => g.groupId === this.group(domain));
      for (let p = 0; p < PARTITIONS; p++) {
        const committed = group?.topics
          .find((t) => t.name === this.topic)
          ?.partitions.find((x) => x.partitionIndex === p)?.committedOffset;
        const done = committed === undefined || committed < 0n ? 0n : committed;
        lag += Number((end.get(p) ?? 0n) - done);
      }
    }
    return lag;
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
    for (const message of await this.#readAll(this.topic, PARTITIONS)) {
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
    return (await this.#readAll(this.failureTopic, 1)).map((message) => {
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

  async #readAll(
    topic: string,
    partitions: number,
  ): Promise<
    Array<{
      partition: number;
      offset: number;
      key: string | undefined;
      value: Buffer | undefined;
      headers: Array<[string, Buffer]>;
    }>
  > {
    const want = new Map<number, number>();
    for (const [partition, end] of await this.#ends(topic, partitions)) {
      if (end > 0n) want.set(partition, Number(end));
    }
    const total = [...want.values()].reduce((a, b) => a + b, 0);
    if (total === 0) return [];
    const consumer = new Consumer({
      clientId: 'lrt-reliability-reader',
      groupId: uniqueName('lrt-reliability-reader'),
      bootstrapBrokers: this.ctx.endpoints.kafkaBrokers,
    });
    const stream = await consumer.consume({ topics: [topic], mode: 'earliest', autocommit: false });
    const out: Array<{
      partition: number;
      offset: number;
      key: string | undefined;
      value: Buffer | undefined;
      headers: Array<[string, Buffer]>;
    }> = [];
    const seen = new Set<string>();
    try {
      await withTimeout(
        (async () => {
          for await (const m of stream) {
            const id = `${m.partition}:${m.offset}`;
            if (seen.has(id)) continue;
            seen.add(id);
            out.push({
              partition: m.partition,
              offset: Number(m.offset),
              key: m.key?.toString(),
              value: m.value ?? undefined,
              headers: m.headerEntries.map(([k, v]) => [k.toString(), v]),
            });
            if (out.length >= total) break;
          }
        })(),
        120_000,
        () => `read ${out.length} of ${total} records of ${topic}`,
      );
    } finally {
      await stream.close().catch(() => {});
      await consumer.close(true).catch(() => {});
    }
    return out;
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
    await this.#producer?.close().catch(() => {});
    if (!this.ctx.keep) {
      await this.#admin.deleteTopics({ topics: [this.topic, this.failureTopic] }).catch(() => {});
      await this.ctx.secrets
        .send(new DeleteSecretCommand({ SecretId: this.secretId, ForceDeleteWithoutRecovery: true }))
        .catch(() => {});
      await this.conn.query(`DROP USER IF EXISTS '${this.dbUser}'@'%'`).catch(() => {});
      await this.conn.query(`DROP DATABASE IF EXISTS ${this.db.name}`).catch(() => {});
    }
    await this.conn.end().catch(() => {});
    await this.#admin.close().catch(() => {});
  }
}

// ------------------------------------------------------------------------------------ runners

type RunnerLine = {
  type: string;
  domain?: string;
  requestId?: string;
  size?: number;
  partitions?: Record<string, number[]>;
  failed?: number;
  reason?: string;
  message?: string;
};

/** One runner process (test/support/esm-runner-process.ts): its events, in-flight batches, log. */
export class RunnerProcess {
  readonly name: string;
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
  exitCode: number | null = null;
  alive = true;
  stopRequested = false;
  /** Batches invoked and not settled: requestId → function and records. */
  readonly inFlight = new Map<
    string,
    { domain: string; size: number; partitions: Record<string, number[]>; since: number }
  >();
  /** Records handed to the functions (a record delivered again counts again). */
  invokedRecords = 0;
  /** Records the functions reported for retry (or in failed invocations). */
  reportedForRetry = 0;
  invocations = 0;
  /** Invocations the runner ended at the function timeout. */
  timeouts = 0;
  /** The runners' `error` events (a failed commit, a consumer error): survived, but worth a note. */
  errors = 0;
  firstError: string | undefined;
  /** How often each warning or error message of the functions was logged. */
  readonly messages = new Map<string, number>();
  /** Functions whose runner joined its group. */
  readonly startedDomains = new Set<string>();
  readonly #recent: string[] = [];
  readonly #log: WriteStream;

  constructor(name: string, env: NodeJS.ProcessEnv, logBase: string) {
    this.name = name;
    this.#log = createWriteStream(`${logBase}.log`, { flags: 'a' });
    this.child = spawn(process.execPath, [RUNNER_SCRIPT], {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    createInterface({ input: this.child.stdout! }).on('line', (line) => this.#line(line));
    createInterface({ input: this.child.stderr! }).on('line', (line) => {
      this.#log.write(`${line}\n`);
      // Function logs at warn and above, and crashes; EMF metric lines are only logged.
      if (line.startsWith('{"_aws"')) return;
      const message = logMessage(line);
      if (message !== undefined) this.messages.set(message, (this.messages.get(message) ?? 0) + 1);
      else {
        this.#recent.push(line.slice(0, 300));
        if (this.#recent.length > 6) this.#recent.shift();
      }
    });
    this.exited = new Promise((resolve) => {
      this.child.on('exit', (code) => {
        this.alive = false;
        this.exitCode = code;
        this.#log.end();
        resolve(code);
      });
    });
  }

  #line(text: string): void {
    this.#log.write(`[event] ${text}\n`);
    let line: RunnerLine;
    try {
      line = JSON.parse(text) as RunnerLine;
    } catch {
      return;
    }
    if (line.type === 'started') this.startedDomains.add(line.domain ?? '');
    if (line.type === 'invoke' && line.requestId) {
      this.inFlight.set(line.requestId, {
        domain: line.domain ?? '',
        size: line.size ?? 0,
        partitions: line.partitions ?? {},
        since: Date.now(),
      });
      this.invocations += 1;
      this.invokedRecords += line.size ?? 0;
    } else if (line.type === 'result' && line.requestId) {
      this.inFlight.delete(line.requestId);
      this.reportedForRetry += line.failed ?? 0;
      if (line.reason?.includes('Task timed out')) this.timeouts += 1;
    } else if (
      line.type === 'error' ||
      line.type === 'fatal' ||
      line.type === 'revoked' ||
      line.type === 'assigned'
    ) {
      if (line.type === 'error') {
        this.errors += 1;
        this.firstError ??= `${line.domain}: ${line.message}`.slice(0, 200);
      }
      this.#recent.push(text.slice(0, 300));
      if (this.#recent.length > 6) this.#recent.shift();
    }
  }

  /** Resolves once every runner of the process joined its group. */
  async started(ms = 120_000): Promise<void> {
    const deadline = Date.now() + ms;
    while (this.startedDomains.size < DOMAIN_NAMES.length) {
      if (!this.alive) throw new Error(`${this.name} exited before it started: ${this.tail()}`);
      if (Date.now() > deadline)
        throw new Error(`${this.name} did not join its groups within ${ms / 1000} s`);
      await sleep(100);
    }
  }

  /** Resolves once a batch has been in flight in this process for `forMs`. */
  async midBatch(forMs: number, ms = 120_000): Promise<void> {
    const deadline = Date.now() + ms;
    while (![...this.inFlight.values()].some((b) => Date.now() - b.since >= forMs)) {
      if (!this.alive) throw new Error(`${this.name} exited: ${this.tail()}`);
      if (Date.now() > deadline) throw new Error(`${this.name} had no batch in flight within ${ms / 1000} s`);
      await sleep(5);
    }
  }

  /** Any signal sent here is intended: the process exiting is then no failure. */
  kill(signal: NodeJS.Signals): void {
    this.stopRequested = true;
    this.child.kill(signal);
  }

  async stop(): Promise<void> {
    this.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 60_000);
    await this.exited;
    clearTimeout(timer);
  }

  tail(): string {
    return this.#recent.join(' ');
  }
}

// ---------------------------------------------------------------------------- native services

/**
 * The native service of this checkout behind `port`, if scripts/services.sh started it here: its
 * pid file names a live process, and that process serves `port`. Another checkout's service on
 * another port, a testcontainer or an adopted service is never touched.
 */
export function nativeService(service: 'kafka' | 'mysql', port: number): { pid: number } | { why: string } {
  const state = servicesState();
  const pidFile = join(state, service, 'pid');
  if (!existsSync(pidFile))
    return { why: `${pidFile} does not exist (scripts/services.sh up did not start it here)` };
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  try {
    process.kill(pid, 0);
  } catch {
    return { why: `the process in ${pidFile} (${pid}) is not running` };
  }
  const serves =
    service === 'kafka'
      ? readFileSync(join(state, 'kafka', 'server.properties'), 'utf8').includes(
          `PLAINTEXT://127.0.0.1:${port},`,
        )
      : readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes(`--port=${port}`);
  if (!serves)
    return { why: `the ${service} this checkout started (pid ${pid}) does not serve port ${port}` };
  return { pid };
}

/** The native services' state directory: LRT_SERVICES_DIR (as scripts/services.sh reads it), else this checkout's. */
function servicesState(): string {
  return process.env.LRT_SERVICES_DIR ?? join(ROOT, '.services');
}

/**
 * The scripts/services.sh that owns the state directory: that of the checkout whose `.services` it
 * is (a git worktree using its main checkout's services restarts them as that checkout does), else
 * this one's.
 */
function servicesScript(): string {
  const state = servicesState();
  const owner = join(state, '..', 'scripts', 'services.sh');
  return basename(state) === '.services' && existsSync(owner) ? owner : join(ROOT, 'scripts', 'services.sh');
}

/**
 * Stops this checkout's native `service` (its process group, as `scripts/services.sh down` does) and
 * starts it again with `scripts/services.sh up`, which starts only what is not running. Returns how
 * long it was away.
 */
export async function restartNative(
  service: 'kafka' | 'mysql',
  pid: number,
  log: (line: string) => void,
  downMs = 0,
): Promise<number> {
  const stopped = Date.now();
  log(`  stopping the native ${service} (pid ${pid})`);
  try {
    process.kill(-pid, 'SIGTERM');
  } catch {
    process.kill(pid, 'SIGTERM');
  }
  const deadline = Date.now() + 60_000;
  while (alive(pid)) {
    if (Date.now() > deadline) {
      process.kill(-pid, 'SIGKILL');
      break;
    }
    await sleep(100);
  }
  if (downMs > 0) await sleep(downMs);
  log(`  ${service} stopped; scripts/services.sh up`);
  try {
    const script = servicesScript();
    await run('bash', [script, 'up'], { cwd: join(dirname(script), '..'), timeout: 10 * 60_000 });
  } catch (error) {
    throw new Error(`scripts/services.sh up failed: ${(error as { stderr?: string }).stderr ?? error}`);
  }
  return Date.now() - stopped;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function withTimeout<T>(promise: Promise<T>, ms: number, message: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(message())), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
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

/** The message of a function's JSON log line (Powertools' keys, in whatever order), if it is one. */
function logMessage(line: string): string | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    const entry = JSON.parse(line) as { level?: unknown; message?: unknown };
    return typeof entry.level === 'string' && typeof entry.message === 'string' ? entry.message : undefined;
  } catch {
    return undefined;
  }
}
