/**
 * Intake, the first part of the local ESM: the Kafka consumer in the function's consumer group, its
 * message stream, commits, lag, and what a rebalance does.
 *
 * The consumer uses Kafka's classic group protocol with eager rebalancing (`@platformatic/kafka`'s
 * default): at every rebalance a member gives up all its partitions and gets a new assignment. The
 * client calls `protocolsMetadata` before each JoinGroup request and waits for the promise it
 * returns; that is the runner's `onPartitionsRevoked`: it stops starting batches, lets the in-flight
 * ones finish and settle, commits what they did (the group is preparing a rebalance and still accepts
 * the current generation's commits), and forgets the records it held. Only then does the member
 * rejoin, so the next owner of a partition starts where this one stopped. The client does not
 * heartbeat while it waits, so the wait is bounded below the session timeout (the runner abandons
 * what has not finished by then; those records come again to the next owner).
 *
 * After each assignment (`consumer:group:join`) intake opens a new message stream, which starts each
 * assigned partition at its committed offset, and closes the previous one: a fetch that was in flight
 * across the rebalance can only deliver to the old stream, whose messages are ignored.
 *
 * A message stream that fails is opened again the same way, with backoff; the partition queues drop
 * what the new one repeats of what the runner holds. (After a broker restart the client keeps
 * fetching with the partitions' old leader epoch, the broker answers FENCED_LEADER_EPOCH, and the
 * client gives the stream up; a new stream starts without an epoch. AWS's mapping rides out a broker
 * restart, so the runner must too.) Only a stream that cannot be opened again is fatal.
 */
import { Consumer, type ConsumerOptions, type Message, type MessagesStream } from '@platformatic/kafka';

export type KafkaMessage = Message<Buffer, Buffer, Buffer, Buffer>;

export interface CommitOffset {
  topic: string;
  partition: number;
  /** The next offset to read. */
  offset: bigint;
  leaderEpoch: number;
}

export interface IntakeListener {
  /** A record of an assigned partition; per partition in offset order (repeats possible after a rebalance). */
  message(message: KafkaMessage): void;
  /** Before the member rejoins its group: every partition is given up; finish, commit, forget. */
  revoke(): Promise<void>;
  /** The group's new assignment (`<topic>-<partition>`); reading resumes at the committed offsets. */
  assigned(partitions: string[]): void;
  /** The message stream failed: the runner cannot go on. */
  fatal(error: unknown): void;
  /** Something went wrong that the runner survives. */
  error(what: string, error: unknown): void;
}

/** Reopening a failed message stream: delays from `initialMs` doubling to `maxMs`; fatal after `attempts` failed opens in a row. */
export interface ReopenOptions {
  initialMs: number;
  maxMs: number;
  attempts: number;
}

const DEFAULT_REOPEN: ReopenOptions = { initialMs: 500, maxMs: 5_000, attempts: 60 };

type BufferConsumer = Consumer<Buffer, Buffer, Buffer, Buffer>;

export interface IntakeOptions {
  brokers: string[];
  groupId: string;
  clientId: string;
  topics: string[];
  startingPosition: 'LATEST' | 'TRIM_HORIZON';
  /** How long a fetch waits for records (bounded by the batching window). */
  maxWaitTimeMs: number;
  sessionTimeoutMs: number;
  listener: IntakeListener;
  /** Default: 500 ms doubling to 5 s, fatal after 60 failed opens in a row (about five minutes). */
  reopen?: ReopenOptions;
  /** The Kafka consumer (default @platformatic/kafka's; tests give a stand-in). */
  createConsumer?: (options: ConsumerOptions<Buffer, Buffer, Buffer, Buffer>) => BufferConsumer;
}

export class KafkaIntake {
  readonly #options: IntakeOptions;
  readonly #consumer: BufferConsumer;
  #stream: MessagesStream<Buffer, Buffer, Buffer, Buffer> | undefined;
  /** Streams replaced after a rebalance, still closing. */
  readonly #stale = new Set<MessagesStream<Buffer, Buffer, Buffer, Buffer>>();
  #joined = false;
  #closing = false;
  /** Counts the streams opened after rebalances and failures: only the newest one is kept. */
  #generation = 0;
  /** Streams that failed since one last delivered a message (the reopening backoff grows with it). */
  #streamFailures = 0;
  #started = false;

  constructor(options: IntakeOptions) {
    this.#options = options;
    const consumerOptions: ConsumerOptions<Buffer, Buffer, Buffer, Buffer> = {
      clientId: options.clientId,
      groupId: options.groupId,
      bootstrapBrokers: options.brokers,
      sessionTimeout: options.sessionTimeoutMs,
      heartbeatInterval: Math.min(1_000, Math.floor(options.sessionTimeoutMs / 3)),
      maxWaitTime: options.maxWaitTimeMs,
      // The revocation hook: the client awaits it before every JoinGroup (see above).
      protocolsMetadata: async () => {
        await this.#beforeJoin();
        return Buffer.alloc(0);
      },
    };
    this.#consumer = options.createConsumer?.(consumerOptions) ?? new Consumer(consumerOptions);
    this.#consumer.on('consumer:group:join', () => this.#afterJoin());
    this.#consumer.on('error', (error: unknown) => options.listener.error('consumer', error));
  }

  /** Joins the group and starts reading; resolves once the assigned partitions' start offsets are known. */
  async start(): Promise<void> {
    const stream = await this.#consume();
    this.#stream = stream;
    await withTimeout(
      new Promise<void>((resolve, reject) => {
        const check = () => {
          const assignments = this.#consumer.assignments;
          if (assignments?.every((a) => a.partitions.length === 0)) resolve();
        };
        stream.once('offsets', () => resolve());
        stream.once('error', reject);
        check();
      }),
      30_000,
      `no assignment from group ${this.#options.groupId}`,
    );
    this.#started = true;
    // Failed in the moment between its start and now: reopen it as any other failure.
    if (stream.errored && stream === this.#stream) this.#reopen(stream, stream.errored);
  }

  /** The partitions assigned now, as `<topic>-<partition>`. */
  get assignments(): string[] {
    return (this.#consumer.assignments ?? []).flatMap((a) => a.partitions.map((p) => `${a.topic}-${p}`));
  }

  isAssigned(topic: string, partition: number): boolean {
    return (this.#consumer.assignments ?? []).some(
      (a) => a.topic === topic && a.partitions.includes(partition),
    );
  }

  get paused(): boolean {
    return this.#stream?.isPaused() ?? false;
  }

  pause(): void {
    if (!this.paused) this.#stream?.pause();
  }

  resume(): void {
    if (this.paused) this.#stream?.resume();
  }

  /** Commits the given positions for the group (the next offsets to read). */
  async commit(offsets: readonly CommitOffset[]): Promise<void> {
    if (offsets.length === 0) return;
    await this.#consumer.commit({
      offsets: offsets.map(({ topic, partition, offset, leaderEpoch }) => ({
        topic,
        partition,
        offset,
        leaderEpoch,
      })),
    });
  }

  /** Per `<topic>-<partition>` of the topics: high watermark − the group's committed offset. */
  async lag(): Promise<Record<string, number>> {
    const topics = this.#options.topics;
    const ends = await this.#consumer.listOffsets({ topics });
    const committed = await this.#consumer.listCommittedOffsets({
      topics: topics.map((topic) => ({
        topic,
        partitions: (ends.get(topic) ?? []).map((_, partition) => partition),
      })),
    });
    const lag: Record<string, number> = {};
    for (const [topic, partitions] of ends) {
      partitions.forEach((end, partition) => {
        const done = committed.get(topic)?.[partition] ?? -1n;
        lag[`${topic}-${partition}`] = Number(end - (done < 0n ? 0n : done));
      });
    }
    return lag;
  }

  /** Closes the streams and leaves the group (the other members rebalance at once). */
  async close(): Promise<void> {
    this.#closing = true;
    const streams = [...this.#stale, ...(this.#stream ? [this.#stream] : [])];
    this.#stream = undefined;
    await Promise.all(streams.map((s) => s.close().catch(() => {})));
    await this.#consumer.close(true).catch(() => {});
  }

  async #consume(): Promise<MessagesStream<Buffer, Buffer, Buffer, Buffer>> {
    const stream = await this.#consumer.consume({
      topics: this.#options.topics,
      mode: 'committed',
      fallbackMode: this.#options.startingPosition === 'LATEST' ? 'latest' : 'earliest',
      autocommit: false,
    });
    stream.on('data', (message: KafkaMessage) => {
      if (stream !== this.#stream) return;
      this.#streamFailures = 0;
      this.#options.listener.message(message);
    });
    stream.on('error', (error: Error) => {
      // Before start() resolved, its promise fails instead.
      if (stream === this.#stream && this.#started && !this.#closing) this.#reopen(stream, error);
    });
    return stream;
  }

  /**
   * The stream gave up (a fetch failed past the client's retries): a new one reads again from the
   * committed offsets, after a backoff; only when no stream can be opened, `attempts` times in a
   * row, does the runner stop.
   */
  #reopen(failed: MessagesStream<Buffer, Buffer, Buffer, Buffer>, error: Error): void {
    this.#options.listener.error('message stream failed; reading again from the committed offsets', error);
    this.#stream = undefined;
    this.#stale.add(failed);
    const { initialMs, maxMs, attempts } = this.#options.reopen ?? DEFAULT_REOPEN;
    const generation = ++this.#generation;
    const failures = ++this.#streamFailures;
    const attempt = (n: number) => {
      if (this.#closing || generation !== this.#generation) return;
      this.#consume().then(
        (stream) => {
          this.#adopt(stream, generation);
        },
        (reason: unknown) => {
          if (n >= attempts) return this.#options.listener.fatal(reason);
          this.#options.listener.error('reopening the message stream', reason);
          setTimeout(() => attempt(n + 1), Math.min(maxMs, initialMs * 2 ** (failures + n - 1)));
        },
      );
    };
    setTimeout(() => attempt(1), Math.min(maxMs, initialMs * 2 ** (failures - 1)));
  }

  /**
   * Makes a freshly opened stream the current one and closes the stale ones — unless the intake is
   * closing or a newer open superseded it, when the new stream is closed instead. True if adopted.
   */
  #adopt(stream: MessagesStream<Buffer, Buffer, Buffer, Buffer>, generation: number): boolean {
    if (this.#closing || generation !== this.#generation) {
      void stream.close().catch(() => {});
      return false;
    }
    this.#stream = stream;
    for (const stale of this.#stale) {
      this.#stale.delete(stale);
      void stale.close().catch(() => {});
    }
    return true;
  }

  async #beforeJoin(): Promise<void> {
    if (!this.#joined || this.#closing) return; // the first join: nothing held yet
    // From here until the new assignment, nothing this stream delivers is taken.
    const stream = this.#stream;
    if (stream) {
      this.#stale.add(stream);
      stream.pause();
    }
    await this.#options.listener.revoke();
  }

  #afterJoin(): void {
    const first = !this.#joined;
    this.#joined = true;
    if (first || this.#closing) return; // start() opens the first stream
    const old = this.#stream;
    if (old) this.#stale.add(old);
    this.#stream = undefined;
    const generation = ++this.#generation;
    this.#consume().then(
      (stream) => {
        if (this.#adopt(stream, generation)) this.#options.listener.assigned(this.assignments);
      },
      (error: unknown) => this.#options.listener.fatal(error),
    );
  }
}

async function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(message)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
