/**
 * Replays the on-failure destination topic: AWS's failure documents, one per record the event
 * source mapping gave up on (docs.aws.amazon.com/lambda/latest/dg/kafka-on-failure-destination.html,
 * ../local/on-failure.ts). Each document's original record — `payload.records["<topic>-<partition>"]`,
 * base64 key and value, headers as arrays of (signed) byte values — is published again to its own
 * topic and partition (or another topic), byte for byte, and the document is committed in the
 * consumer group. The run stops when the group has caught up with the end offsets it saw on
 * joining, or after `max` documents. A document that is not one (not JSON, no record, bad base64) is
 * reported and committed past, never replayed and never fatal.
 */
import { Consumer, ListOffsetTimestamps, type Message, type Producer } from '@platformatic/kafka';
import { isBase64 } from './dead-letters.ts';
import { type KafkaConnection, type RawRecord, Republisher } from './kafka.ts';

export const DEFAULT_REPLAY_GROUP = 'lambda-realtime-replay';

export interface OnFailureReplayOptions {
  connection: KafkaConnection;
  /** Not needed for a dry run. */
  producer?: Producer;
  /** The failure topic. */
  from: string;
  /** Publish every record here instead of its own topic. */
  to?: string;
  groupId?: string;
  /** At most this many documents. */
  max?: number;
  /** List, publish nothing, commit nothing. */
  dryRun?: boolean;
  /** Documents per send. */
  batchSize?: number;
  /** Give up when nothing arrives this long while the group is behind (ms, default 60 s). */
  idleTimeoutMs?: number;
  out?: (line: string) => void;
}

export interface OnFailureReplayResult {
  documents: number;
  published: number;
  skipped: Array<{ at: string; why: string }>;
  error?: string;
}

/** The original records a failure document holds, or why it holds none. */
export function recordsOfDocument(
  value: Buffer | null | undefined,
):
  | { records: Array<Omit<RawRecord, 'topic'> & { offset: string }>; condition: string }
  | { malformed: string } {
  if (!value || value.length === 0) return { malformed: 'empty message' };
  let document: unknown;
  try {
    document = JSON.parse(value.toString('utf8'));
  } catch {
    return { malformed: 'not JSON' };
  }
  const records = (document as { payload?: { records?: unknown } } | null)?.payload?.records;
  if (records === null || typeof records !== 'object' || Array.isArray(records)) {
    return { malformed: 'no payload.records object' };
  }
  const out: Array<Omit<RawRecord, 'topic'> & { offset: string }> = [];
  for (const [partitionKey, list] of Object.entries(records)) {
    if (!Array.isArray(list) || list.length === 0)
      return { malformed: `payload.records["${partitionKey}"] is empty` };
    for (const [i, raw] of list.entries()) {
      const where = `payload.records["${partitionKey}"][${i}]`;
      const r = (raw ?? {}) as Record<string, unknown>;
      if (typeof r.topic !== 'string' || r.topic === '') return { malformed: `${where}.topic missing` };
      if (!Number.isInteger(r.partition) || (r.partition as number) < 0) {
        return { malformed: `${where}.partition missing` };
      }
      if (r.value !== null && (typeof r.value !== 'string' || !isBase64(r.value))) {
        return { malformed: `${where}.value is neither base64 nor null` };
      }
      if (r.key !== undefined && r.key !== null && (typeof r.key !== 'string' || !isBase64(r.key))) {
        return { malformed: `${where}.key is not base64` };
      }
      const headers = decodeEventHeaders(r.headers);
      if (typeof headers === 'string') return { malformed: `${where}.headers: ${headers}` };
      out.push({
        sourceTopic: r.topic,
        sourcePartition: r.partition as number,
        offset: String(r.offset ?? '?'),
        key: typeof r.key === 'string' ? Buffer.from(r.key, 'base64') : null,
        value: typeof r.value === 'string' ? Buffer.from(r.value, 'base64') : null,
        headers,
      });
    }
  }
  if (out.length === 0) return { malformed: 'payload.records holds no record' };
  const condition = (document as { requestContext?: { condition?: unknown } }).requestContext?.condition;
  return { records: out, condition: typeof condition === 'string' ? condition : '?' };
}

/**
 * Lambda's header form: a list of one-key objects, each value an array of byte values (signed, as
 * Java's byte[] serialises, or unsigned). Returns why it is not one.
 */
export function decodeEventHeaders(headers: unknown): Array<[Buffer, Buffer]> | string {
  if (headers === undefined || headers === null) return [];
  if (!Array.isArray(headers)) return 'not an array';
  const out: Array<[Buffer, Buffer]> = [];
  for (const header of headers) {
    if (header === null || typeof header !== 'object' || Array.isArray(header))
      return 'not a list of objects';
    for (const [name, bytes] of Object.entries(header)) {
      if (!Array.isArray(bytes) || !bytes.every((b) => Number.isInteger(b) && b >= -128 && b <= 255)) {
        return `"${name}" is not a list of byte values`;
      }
      out.push([Buffer.from(name, 'utf8'), Buffer.from(bytes.map((b: number) => b & 0xff))]);
    }
  }
  return out;
}

interface Pending {
  message: Message<Buffer, Buffer, Buffer, Buffer>;
  at: string;
}

export async function replayOnFailure(options: OnFailureReplayOptions): Promise<OnFailureReplayResult> {
  const out = options.out ?? ((line: string) => console.log(line));
  if (!options.dryRun && !options.producer) throw new Error('a producer is needed unless it is a dry run');
  const publisher = options.producer && new Republisher(options.producer);
  const max = options.max ?? Number.POSITIVE_INFINITY;
  const batchSize = options.batchSize ?? 200;
  const result: OnFailureReplayResult = { documents: 0, published: 0, skipped: [] };
  const { consumer, stream } = await openFrom(options);
  const buffered: Pending[] = [];
  let streamError: Error | undefined;
  try {
    stream.on('data', (message: Message<Buffer, Buffer, Buffer, Buffer>) => {
      buffered.push({ message, at: `${message.topic}-${message.partition}@${message.offset}` });
      if (buffered.length >= batchSize * 5) stream.pause();
    });
    stream.on('error', (error: Error) => {
      streamError = error;
    });
    const joined = await waitFor(
      () => (consumer.assignments?.length ?? 0) > 0 || streamError !== undefined,
      30_000,
    );
    if (streamError) throw streamError;
    if (!joined) throw new Error(`no partition of ${options.from} was assigned to the group within 30 s`);

    const behind = await partitionsBehind(consumer, options.from);
    const lag = [...behind.values()].reduce((n, p) => n + Number(p.end - p.next), 0);
    out(
      `${options.dryRun ? 'dry run: ' : ''}group ${options.groupId ?? DEFAULT_REPLAY_GROUP} on ${options.from}: ` +
        `${lag} document(s) to read${Number.isFinite(max) ? ` (at most ${max})` : ''}`,
    );

    const idleTimeoutMs = options.idleTimeoutMs ?? 60_000;
    while (behind.size > 0 && result.documents < max) {
      if (buffered.length === 0) {
        const arrived = await waitFor(() => buffered.length > 0 || streamError !== undefined, idleTimeoutMs);
        if (streamError) throw streamError;
        if (!arrived) {
          result.error = `nothing arrived for ${idleTimeoutMs / 1000} s while partitions ${[...behind.keys()].join(', ')} are behind`;
          break;
        }
      }
      const batch = takeBatch(buffered, behind, Math.min(batchSize, max - result.documents));
      if (stream.isPaused() && buffered.length < batchSize) stream.resume();
      if (batch.length === 0) continue;

      const toPublish = recordsOfBatch(batch, options, result, out);
      if (!options.dryRun && publisher && toPublish.length > 0) {
        const failed = await publisher.publish(toPublish);
        if (failed) {
          result.error = `publishing failed, nothing of this batch committed (${batch[0]!.at} onwards): ${failed}`;
          break;
        }
        result.published += toPublish.length;
      }
      result.documents += batch.length;
      await commitPast(batch, behind, options.dryRun);
    }
    return result;
  } finally {
    await stream.close().catch(() => {});
    await consumer.close(true).catch(() => {});
  }
}

/** The replay group's consumer of `options.from`, reading from its committed offsets. */
async function openFrom(options: OnFailureReplayOptions) {
  const consumer = new Consumer({
    clientId: 'lrt-replay',
    groupId: options.groupId ?? DEFAULT_REPLAY_GROUP,
    ...options.connection,
    sessionTimeout: 10_000,
    heartbeatInterval: 1_000,
    maxWaitTime: 500,
  });
  // A topic that does not exist would leave the consumer waiting for it.
  try {
    await consumer.metadata({ topics: [options.from], autocreateTopics: false, retries: 1 });
  } catch (error) {
    await consumer.close(true).catch(() => {});
    throw new Error(
      `cannot read topic ${options.from} (is Kafka reachable, does the topic exist?): ${(error as Error).message}`,
    );
  }
  const stream = await consumer.consume({
    topics: [options.from],
    mode: 'committed',
    fallbackMode: 'earliest',
    autocommit: false,
  });
  return { consumer, stream };
}

/** Up to `size` buffered messages still to handle, each partition's progress moved past them. */
function takeBatch(buffered: Pending[], behind: Map<number, { next: bigint; end: bigint }>, size: number) {
  const batch: Pending[] = [];
  while (buffered.length > 0 && batch.length < size) {
    const next = buffered.shift()!;
    const progress = behind.get(next.message.partition);
    // Already handled (a re-delivery), or past the end this run aims at.
    if (!progress || next.message.offset < progress.next || next.message.offset >= progress.end) continue;
    progress.next = next.message.offset + 1n;
    batch.push(next);
  }
  return batch;
}

/** Commits past the batch (the last message of each partition); a partition at its end is done. */
async function commitPast(
  batch: readonly Pending[],
  behind: Map<number, { next: bigint; end: bigint }>,
  dryRun: boolean | undefined,
): Promise<void> {
  const lastOf = new Map<number, Pending>();
  for (const pending of batch) lastOf.set(pending.message.partition, pending);
  for (const [partition, { message }] of lastOf) {
    if (!dryRun) await message.commit();
    if (message.offset + 1n >= behind.get(partition)!.end) behind.delete(partition);
  }
}

/**
 * Where the group must get to: for each assigned partition of `topic` not caught up yet, the next
 * offset to handle and the end of the partition as it is now.
 */
async function partitionsBehind(
  consumer: Consumer<Buffer, Buffer, Buffer, Buffer>,
  topic: string,
): Promise<Map<number, { next: bigint; end: bigint }>> {
  const assigned = (consumer.assignments ?? []).flatMap((a) => (a.topic === topic ? a.partitions : []));
  const ends = (await consumer.listOffsets({ topics: [topic] })).get(topic) ?? [];
  const starts =
    (await consumer.listOffsets({ topics: [topic], timestamp: ListOffsetTimestamps.EARLIEST })).get(topic) ??
    [];
  const committed =
    (await consumer.listCommittedOffsets({ topics: [{ topic, partitions: assigned }] })).get(topic) ?? [];
  const behind = new Map<number, { next: bigint; end: bigint }>();
  for (const partition of assigned) {
    const end = ends[partition] ?? 0n;
    const start = starts[partition] ?? 0n;
    const done = committed[partition] ?? -1n;
    const next = done > start ? done : start;
    if (next < end) behind.set(partition, { next, end });
  }
  return behind;
}

/** The original records of a batch's documents, each said; malformed documents are skipped (said too). */
function recordsOfBatch(
  batch: readonly Pending[],
  options: OnFailureReplayOptions,
  result: OnFailureReplayResult,
  out: (line: string) => void,
): RawRecord[] {
  const records: RawRecord[] = [];
  for (const { message, at } of batch) {
    const parsed = recordsOfDocument(message.value);
    if ('malformed' in parsed) {
      result.skipped.push({ at, why: parsed.malformed });
      out(`skip ${at}: not a failure document (${parsed.malformed})`);
      continue;
    }
    for (const record of parsed.records) {
      const topic = options.to ?? record.sourceTopic;
      records.push({ ...record, topic });
      out(
        `${options.dryRun ? 'would replay' : 'replaying'} ${at}: ` +
          `${record.sourceTopic}-${record.sourcePartition}@${record.offset}` +
          ` condition=${parsed.condition}` +
          ` value=${record.value === null ? 'null' : `${record.value.length}B`}` +
          (topic === record.sourceTopic ? '' : ` to=${topic}`),
      );
    }
  }
  return records;
}

/** Resolves true once `condition` holds, false after `timeoutMs`. */
async function waitFor(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return true;
}
