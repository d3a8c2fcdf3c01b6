/**
 * `npm run replay` — put records that were not processed back into the pipeline, after a fix.
 *
 *   npm run replay -- dead-letters [--reason R]... [--id N]... [--domain D] [--since ISO]
 *                                  [--all] [--topic T] [--limit N] [--dry-run] [--allow-truncated-keys]
 *   npm run replay -- on-failure   [--from business-events-failures] [--to business-events]
 *                                  [--group lambda-realtime-replay] [--max N] [--dry-run]
 *
 * `dead-letters` publishes chosen rows of `event_dead_letter` again exactly as they arrived (value,
 * key and header bytes) to their own topic and partition (or `--topic`), then deletes the rows whose
 * publish was acknowledged: a record that fails again is dead-lettered again under its new
 * coordinates. Selectors combine (a row must match all given; `--reason` and `--id` repeat); without
 * one the tool refuses, and `--all` replays every row. `--dry-run` lists the rows (coordinates,
 * reason, domain, event id, sizes; never payload bytes) and changes nothing.
 *
 * `on-failure` reads AWS's failure documents from the event source mappings' on-failure topic in
 * consumer group `lambda-realtime-replay` (or `--group`), publishes each document's original
 * record to its own topic and partition (or `--to`), commits, and stops when the group has caught
 * up (or after `--max` documents). Documents that are not failure documents are reported and
 * skipped. The functions write by `eventId` exactly once, so replaying an event twice is harmless.
 *
 * Where it connects: the database through the variables the functions read (DB_HOST, DB_PORT,
 * DB_USER, DB_PASSWORD, DB_NAME, or DB_SECRET_ID through Secrets Manager; db/connection.ts); Kafka
 * through KAFKA_BROKERS (comma-separated). With neither given it finds the local services as the
 * other local tools do (scripts/services/find-services.ts).
 *
 * In AWS it runs from a host that reaches both the MSK cluster and the database (in the VPC, e.g. a
 * bastion or an SSM session on an instance in the private subnets, with the functions' security
 * group rules). The deployed cluster accepts IAM authentication only (port 9098, TLS);
 * KAFKA_AUTH=msk-iam makes the tool sign in that way (see scripts/replay/kafka.ts and
 * docs/operations.md, "Where the replay tool runs").
 *
 * Exit status: 0 every chosen record replayed; 1 stopped by an error (what was published is said);
 * 2 bad usage; 3 finished, but some rows or documents were skipped (listed).
 */
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { Producer } from '@platformatic/kafka';
import { connectionFromEnv } from '../db/connection.ts';
import { DEFAULT_FAILURE_TOPIC } from '../infra/config/event-sources.ts';
import { type DeadLetterSelection, replayDeadLetters, SelectionError } from './replay/dead-letters.ts';
import { type KafkaConnection, kafkaConnectionFromEnv, rawProducer } from './replay/kafka.ts';
import { DEFAULT_REPLAY_GROUP, replayOnFailure } from './replay/on-failure.ts';
import { endpointsToEnv, findServices } from './services/find-services.ts';

const USAGE = `usage:
  npm run replay -- dead-letters [--reason R]... [--id N]... [--domain D] [--since ISO] [--all]
                                 [--topic T] [--limit N] [--dry-run] [--allow-truncated-keys]
  npm run replay -- on-failure   [--from ${DEFAULT_FAILURE_TOPIC}] [--to TOPIC (default: its source topic)]
                                 [--group ${DEFAULT_REPLAY_GROUP}] [--max N] [--dry-run]`;

class UsageError extends Error {
  override readonly name = 'UsageError';
}

function positiveInt(value: string | undefined, option: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) < 1 || !Number.isSafeInteger(Number(value))) {
    throw new UsageError(`${option} must be a positive integer, not ${JSON.stringify(value)}`);
  }
  return Number(value);
}

/** Where the tool connects: the environment's settings, else the local services. */
async function connect(
  env: NodeJS.ProcessEnv,
): Promise<{ kafka: KafkaConnection; env: NodeJS.ProcessEnv; stop: () => Promise<void> }> {
  if (env.KAFKA_BROKERS) return { kafka: kafkaConnectionFromEnv(env), env, stop: async () => {} };
  const found = await findServices(env);
  const merged = { ...env, ...endpointsToEnv(found.endpoints) };
  return { kafka: kafkaConnectionFromEnv(merged), env: merged, stop: () => found.stop() };
}

/** A producer for `run` unless it is a dry run, closed when `run` is done. */
async function withProducer<T>(
  kafka: KafkaConnection,
  clientId: string,
  dryRun: boolean,
  run: (producer: Producer | undefined) => Promise<T>,
): Promise<T> {
  const producer = dryRun ? undefined : rawProducer(kafka, clientId);
  try {
    return await run(producer);
  } finally {
    await producer?.close().catch(() => {});
  }
}

/** The exit status of a finished run (the header's list); says the error that stopped it. */
function exitStatus(
  result: { error?: string; skipped: readonly unknown[] },
  out: (line: string) => void,
): number {
  if (result.error) {
    out(`error: ${result.error}`);
    return 1;
  }
  return result.skipped.length > 0 ? 3 : 0;
}

/** Runs the tool; returns the exit status. */
export async function main(
  argv: string[],
  env: NodeJS.ProcessEnv = process.env,
  out: (line: string) => void = (line) => console.log(line),
  err: (line: string) => void = (line) => console.error(line),
): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (command === 'dead-letters') return await deadLetters(rest, env, out);
    if (command === 'on-failure') return await onFailure(rest, env, out);
    throw new UsageError(command ? `unknown command ${command}` : 'which replay?');
  } catch (error) {
    if (error instanceof UsageError || error instanceof SelectionError) {
      err(`replay: ${error.message}\n${USAGE}`);
      return 2;
    }
    err(`replay failed: ${(error as Error).message}`);
    return 1;
  }
}

/** parseArgs's complaints (unknown option, missing value) are usage errors. */
function asUsage<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

async function deadLetters(
  args: string[],
  env: NodeJS.ProcessEnv,
  out: (line: string) => void,
): Promise<number> {
  const { values } = asUsage(() =>
    parseArgs({
      args,
      options: {
        reason: { type: 'string', multiple: true },
        id: { type: 'string', multiple: true },
        domain: { type: 'string' },
        since: { type: 'string' },
        all: { type: 'boolean' },
        topic: { type: 'string' },
        limit: { type: 'string' },
        'dry-run': { type: 'boolean' },
        'allow-truncated-keys': { type: 'boolean' },
      },
    }),
  );
  const since = values.since === undefined ? undefined : new Date(values.since);
  if (since && Number.isNaN(since.getTime())) {
    throw new UsageError(`--since must be an ISO time (2025-01-31T12:00:00Z), not ${values.since}`);
  }
  const selection: DeadLetterSelection = {
    ...(values.all ? { all: true } : {}),
    ...(values.reason ? { reasons: values.reason } : {}),
    ...(values.id ? { ids: values.id.map((id) => positiveInt(id, '--id')!) } : {}),
    ...(values.domain ? { domain: values.domain } : {}),
    ...(since ? { since } : {}),
  };
  const limit = positiveInt(values.limit, '--limit');
  const dryRun = values['dry-run'] === true;

  const services = await connect(env);
  const conn = await connectionFromEnv(services.env);
  try {
    await conn.query("SET time_zone = '+00:00'");
    const result = await withProducer(services.kafka, 'lrt-replay-dead-letters', dryRun, (producer) =>
      replayDeadLetters({
        conn,
        ...(producer ? { producer } : {}),
        selection,
        ...(values.topic ? { topic: values.topic } : {}),
        ...(limit ? { limit } : {}),
        dryRun,
        allowTruncatedKeys: values['allow-truncated-keys'] === true,
        out,
      }),
    );
    out(
      dryRun
        ? `dry run: ${result.selected - result.skipped.length} dead letter(s) would be replayed, ` +
            `${result.skipped.length} skipped; nothing published or deleted`
        : `${result.selected} selected, ${result.published} published, ${result.deleted} deleted, ` +
            `${result.skipped.length} skipped`,
    );
    return exitStatus(result, out);
  } finally {
    await conn.end().catch(() => {});
    await services.stop();
  }
}

async function onFailure(
  args: string[],
  env: NodeJS.ProcessEnv,
  out: (line: string) => void,
): Promise<number> {
  const { values } = asUsage(() =>
    parseArgs({
      args,
      options: {
        from: { type: 'string', default: DEFAULT_FAILURE_TOPIC },
        to: { type: 'string' },
        group: { type: 'string', default: DEFAULT_REPLAY_GROUP },
        max: { type: 'string' },
        'dry-run': { type: 'boolean' },
      },
    }),
  );
  const max = positiveInt(values.max, '--max');
  const dryRun = values['dry-run'] === true;
  const services = await connect(env);
  try {
    const result = await withProducer(services.kafka, 'lrt-replay-on-failure', dryRun, (producer) =>
      replayOnFailure({
        connection: services.kafka,
        ...(producer ? { producer } : {}),
        from: values.from,
        ...(values.to ? { to: values.to } : {}),
        groupId: values.group,
        ...(max ? { max } : {}),
        dryRun,
        out,
      }),
    );
    out(
      dryRun
        ? `dry run: ${result.documents} document(s) read, ${result.skipped.length} malformed; ` +
            'nothing published or committed'
        : `${result.documents} document(s) read, ${result.published} record(s) published, ` +
            `${result.skipped.length} malformed skipped`,
    );
    return exitStatus(result, out);
  } finally {
    await services.stop();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  process.exitCode = await main(process.argv.slice(2));
}
