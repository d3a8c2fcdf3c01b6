/**
 * The fault scenarios and the load scenario. Each fault hits a demo stream (scripts/local/demo-stream.ts:
 * the nine event types, order lifecycles, duplicates, out-of-order events, malformed records) while
 * it flows through the local event source mappings and the real functions; the suite then accounts
 * for every record (./accounting.ts).
 */
import { eventTables, domain as registryDomain } from '../../shared/domains/registry.ts';
import { TcpProxy } from '../support/tcp-proxy.ts';
import { badInput } from './bad-input.ts';
import { readDimensions } from './expected-state.ts';
import {
  demoRecords,
  nativeService,
  type RunnerProcess,
  restartNative,
  type ScenarioDefinition,
  type ScenarioRun,
  type Size,
  sleep,
} from './harness.ts';

/** How long a scenario may take before it is declared hung (a guard, not a performance bound). */
const DRAIN_TIMEOUT_MS = 15 * 60_000;

interface FaultOptions {
  runners?: number;
  /** The stream lasts at least this long at the size's rate (a fault that needs time to unfold). */
  minSeconds?: number;
  runnerOptions?: Parameters<ScenarioRun['startRunner']>[0];
  /** The fault, injected once a quarter of the stream is out and rows are being written; returns notes. */
  inject(run: ScenarioRun, runners: RunnerProcess[]): Promise<string[]>;
}

/** A demo stream at the size's rate through the runners, with the fault injected mid-stream. */
async function faultRun(run: ScenarioRun, size: Size, options: FaultOptions): Promise<string[]> {
  const runners = Array.from({ length: options.runners ?? 1 }, () => run.startRunner(options.runnerOptions));
  await Promise.all(runners.map((r) => r.started()));
  let produced = 0;
  const records = Math.max(size.faultRecords, size.faultRate * (options.minSeconds ?? 0));
  const producing = run.produce(demoRecords(run, records, { seed: 7 }), {
    ratePerSecond: size.faultRate,
    chunk: Math.max(10, Math.round(size.faultRate / 10)),
    onProgress: (n) => {
      produced = n;
    },
  });
  let failed: { error: unknown } | undefined;
  producing.catch((error: unknown) => {
    failed = { error };
  });
  while (produced < records / 4) {
    if (failed) throw failed.error;
    run.checkRunners();
    await sleep(50);
  }
  await run.written(1);
  const notes = await options.inject(run, runners);
  await producing;
  await run.drained(DRAIN_TIMEOUT_MS);
  await run.stopRunners();
  const retried = run.runners.reduce((sum, r) => sum + r.reportedForRetry, 0);
  const errors = run.runners.reduce((sum, r) => sum + r.errors, 0);
  const firstError = run.runners.find((r) => r.firstError)?.firstError;
  return [
    ...notes,
    `${retried} records reported for retry by the functions`,
    ...(errors > 0 ? [`${errors} runner errors survived (first: ${firstError})`] : []),
  ];
}

const mysqlOutage: ScenarioDefinition = {
  name: 'mysql-outage',
  what: "MySQL unreachable for 10 s: every connection cut and new ones refused at a TCP proxy the functions use as their database endpoint, then this checkout's native MariaDB really restarted (its process stopped, scripts/services.sh up); without native MySQL the scenario fails",
  async run(run, size) {
    const { db } = run.ctx.endpoints;
    const native = nativeService('mysql', db.port);
    if (!('pid' in native)) {
      throw new Error(
        `mysql-outage needs the native MariaDB this checkout started (scripts/services.sh up), to restart it for real after the cut at the proxy; the MySQL at ${db.host}:${db.port} (services via ${run.ctx.endpoints.source}) is not one: ${native.why}. Without it the scenario would be a proxy-only outage. Run the suite with the native services (scripts/services.sh up; eval "$(scripts/services.sh env)"; LRT_SERVICES_DIR names their state directory when another checkout started them).`,
      );
    }
    const proxy = new TcpProxy(db);
    await proxy.up();
    try {
      return await faultRun(run, size, {
        // The stream still flows after the cut and the restart (about 15 s from a quarter in).
        minSeconds: 28,
        runnerOptions: {
          // The proxy as the database endpoint (an RDS Proxy endpoint overrides the secret's host the same way).
          functionEnv: { DB_HOST: '127.0.0.1', DB_PORT: String(proxy.port), DB_CONNECT_TIMEOUT_MS: '2000' },
        },
        async inject(run) {
          await proxy.down();
          run.ctx.log('  MySQL path cut at the proxy for 10 s');
          await sleep(10_000);
          await proxy.up();
          await sleep(3_000);
          // Found again: the pid checked before the stream began must still be the server's.
          const now = nativeService('mysql', db.port);
          if (!('pid' in now)) throw new Error(`mysql-outage: the native MariaDB went away: ${now.why}`);
          const away = await restartNative('mysql', now.pid, run.ctx.log);
          await run.reconnect();
          return [
            'cut at the proxy for 10 s',
            `native MariaDB stopped and started again (${(away / 1000).toFixed(1)} s away)`,
          ];
        },
      });
    } finally {
      await proxy.down();
    }
  },
};

const kafkaRestart: ScenarioDefinition = {
  name: 'kafka-restart',
  what: "the Kafka broker really restarted mid-stream: this checkout's native broker stopped (SIGTERM to its process group) and started again with scripts/services.sh up",
  async run(run, size) {
    const broker = run.ctx.endpoints.kafkaBrokers[0]!;
    const port = Number(broker.split(':').at(-1));
    const native = nativeService('kafka', port);
    if (!('pid' in native)) {
      throw new Error(
        `kafka-restart needs the native broker this checkout started (scripts/services.sh up), to restart it for real; the broker at ${broker} (services via ${run.ctx.endpoints.source}) is not one: ${native.why}. Run the suite with the native services (scripts/services.sh up; eval "$(scripts/services.sh env)").`,
      );
    }
    return faultRun(run, size, {
      async inject(run) {
        const away = await restartNative('kafka', native.pid, run.ctx.log, 2_000);
        const again = nativeService('kafka', port);
        return [
          `broker pid ${native.pid} stopped, ${'pid' in again ? `pid ${again.pid}` : 'a new broker'} serving after ${(away / 1000).toFixed(1)} s`,
          ...(run.resent > 0 ? [`${run.resent} records sent again by the producer`] : []),
        ];
      },
    });
  },
};

const runnerKill: ScenarioDefinition = {
  name: 'runner-sigkill',
  what: 'two runner processes per consumer group; each in turn killed with SIGKILL in the middle of a batch (50 ms into it; ESM_SLOW_MS=100 holds each answer 100 ms after the write), then started again',
  async run(run, size) {
    const options = { slowMs: 100 };
    return faultRun(run, size, {
      runners: 2,
      // Each replacement joins only once the group gave up on the killed member (its 10 s session).
      minSeconds: 45,
      runnerOptions: options,
      async inject(run, runners) {
        const notes: string[] = [];
        for (const victim of runners) {
          await victim.midBatch(50);
          victim.kill('SIGKILL');
          await victim.exited;
          const batches = await Promise.all(
            [...victim.inFlight.values()].map(async (b) => {
              const rows = await rowsAt(run, b.domain, b.partitions);
              return `${b.domain}: ${b.size} records, ${rows} of its rows already written`;
            }),
          );
          const line = `${victim.name} killed with ${batches.length} batch(es) in flight (${batches.join('; ')})`;
          run.ctx.log(`  ${line}`);
          notes.push(line);
          if (batches.length === 0)
            throw new Error(`${victim.name} was killed between batches, not mid-batch`);
          await sleep(2_000);
          const replacement = run.startRunner(options);
          await replacement.started();
          await sleep(3_000);
        }
        return notes;
      },
    });
  },
};

/** Rows of `domain`'s event table written from these records (`<topic>-<partition>` → offsets). */
async function rowsAt(
  run: ScenarioRun,
  domain: string,
  partitions: Record<string, number[]>,
): Promise<number> {
  let rows = 0;
  for (const table of eventTables(registryDomain(domain))) {
    for (const [key, offsets] of Object.entries(partitions)) {
      const [[row]] = (await run.conn.query(
        `SELECT COUNT(*) AS n FROM ${table.name} WHERE kafka_topic = ? AND kafka_partition = ? AND kafka_offset IN (?)`,
        [run.topic, Number(key.slice(key.lastIndexOf('-') + 1)), offsets],
      )) as unknown as [[{ n: string }]];
      rows += Number(row.n);
    }
  }
  return rows;
}

const REFRESHED = 'database access denied; credentials refreshed, pool rebuilt, retrying once';

const secretRotation: ScenarioDefinition = {
  name: 'secret-rotation',
  what: "the database password rotated twice through the AWS emulator: new secret version AWSPENDING, ALTER USER and the user's sessions ended, 3 s later AWSCURRENT moved to it",
  async run(run, size) {
    return faultRun(run, size, {
      async inject(run) {
        await run.rotatePassword(3_000);
        await sleep(4_000);
        await run.rotatePassword(3_000);
        await sleep(2_000);
        const refreshed = run.runners.reduce((sum, r) => sum + (r.messages.get(REFRESHED) ?? 0), 0);
        return [`2 rotations; the functions logged "${REFRESHED}" ${refreshed} times`];
      },
    });
  },
  async verify(run) {
    const refreshed = run.runners.reduce(
      (sum, r) =>
        sum +
        (r.messages.get('database access denied; credentials refreshed, pool rebuilt, retrying once') ?? 0),
      0,
    );
    return refreshed > 0 ? [] : ['no function met the rotated password (no "credentials refreshed")'];
  },
};

const CHANGED_USERS = ['u001', 'u002', 'u003', 'u004', 'u005'];
const DELETED_USER = 'u006';
const ADDED_USER = 'u045';
const CHANGED_PRODUCT = 'p001';

const dimensionChange: ScenarioDefinition = {
  name: 'dimension-change',
  what: `dimension rows changed mid-stream (5 users renamed, ${DELETED_USER} deleted, ${ADDED_USER} added, ${CHANGED_PRODUCT} renamed; cache TTL 2 s, no stale window): every event published 3 s later carries the new values`,
  async run(run, size) {
    return faultRun(run, size, {
      runnerOptions: {
        functionEnv: {
          DIM_USER_TTL_SECONDS: '2',
          DIM_USER_STALE_SECONDS: '0',
          DIM_USER_NEGATIVE_TTL_SECONDS: '2',
          DIM_PRODUCT_TTL_SECONDS: '2',
          DIM_PRODUCT_STALE_SECONDS: '0',
          DIM_PRODUCT_NEGATIVE_TTL_SECONDS: '2',
        },
      },
      async inject(run) {
        await run.conn.query(
          `UPDATE dim_user SET user_name = CONCAT('renamed ', user_id), region = 'moved' WHERE user_id IN (?)`,
          [CHANGED_USERS],
        );
        await run.conn.query('DELETE FROM dim_user WHERE user_id = ?', [DELETED_USER]);
        await run.conn.query(
          `INSERT INTO dim_user (user_id, user_name, user_level, region) VALUES (?, 'added mid-stream', 'new', 'west')`,
          [ADDED_USER],
        );
        await run.conn.query(`UPDATE dim_product SET product_name = 'renamed product' WHERE product_id = ?`, [
          CHANGED_PRODUCT,
        ]);
        const changed = await readDimensions(run.conn);
        await sleep(3_000);
        run.marks.set('changed', run.specs.length);
        // Records published from now on carry the new rows; earlier ones may carry either.
        run.dimensions.push({ from: run.specs.length, rows: changed });
        return [`dimension rows changed; ${run.specs.length} records out 3 s later, the rest checked`];
      },
    });
  },
  async verify(run) {
    const later = run.specs
      .slice(run.marks.get('changed'))
      .flatMap((s) => (s.expect.kind === 'event' ? [s.expect.eventId] : []));
    const failures: string[] = [];
    const wantUser = (userId: string | null) =>
      userId === null
        ? undefined
        : CHANGED_USERS.includes(userId)
          ? `renamed ${userId}`
          : userId === DELETED_USER
            ? null
            : userId === ADDED_USER
              ? 'added mid-stream'
              : undefined;
    let checked = 0;
    for (const table of ['user_event_wide', 'order_event_wide', 'product_event_wide']) {
      const [rows] = (await run.conn.query(
        `SELECT event_id, user_id, user_name, product_id, product_name FROM ${table} WHERE event_id IN (?)`,
        [later.length ? later : ['-']],
      )) as unknown as [Array<Record<string, string | null>>];
      for (const row of rows) {
        const user = wantUser(row.user_id ?? null);
        if (user !== undefined) {
          checked += 1;
          if (row.user_name !== user)
            failures.push(
              `${table} ${row.event_id}: user ${row.user_id} is ${JSON.stringify(row.user_name)}`,
            );
        }
        if (row.product_id === CHANGED_PRODUCT && row.product_name !== 'renamed product') {
          failures.push(
            `${table} ${row.event_id}: product ${row.product_id} is ${JSON.stringify(row.product_name)}`,
          );
        }
      }
    }
    if (checked === 0) failures.push('no event after the change involved a changed dimension row');
    run.notes.push(
      `${checked} rows of events published after the change checked against the changed dimension rows`,
    );
    return failures.slice(0, 10);
  },
};

const slowDatabase: ScenarioDefinition = {
  name: 'slow-database',
  what: 'the database slower than the function timeout: 1.5 s added to every packet each way at the TCP proxy for 12 s, function timeout 3 s (the runner ends those invocations and retries their batches)',
  async run(run, size) {
    const proxy = new TcpProxy(run.ctx.endpoints.db);
    await proxy.up();
    try {
      return await faultRun(run, size, {
        runnerOptions: {
          functionTimeoutSeconds: 3,
          functionEnv: { DB_HOST: '127.0.0.1', DB_PORT: String(proxy.port) },
        },
        async inject(run, runners) {
          proxy.latencyMs = 1_500;
          run.ctx.log('  1.5 s latency each way at the proxy for 12 s');
          await sleep(12_000);
          proxy.latencyMs = 0;
          return [
            `${runners.reduce((n, r) => n + r.timeouts, 0)} invocations had timed out when the latency was lifted`,
          ];
        },
      });
    } finally {
      await proxy.down();
    }
  },
  async verify(run) {
    const timeouts = run.runners.reduce((sum, r) => sum + r.timeouts, 0);
    return timeouts > 0 ? [] : ['no invocation reached the function timeout'];
  },
};

const load: ScenarioDefinition = {
  name: 'load',
  what: 'demo stream with 5 % duplicates and 1 % poison, published as fast as the producer goes, through two runner processes per consumer group',
  async run(run, size) {
    const runners = [run.startRunner(), run.startRunner()];
    await Promise.all(runners.map((r) => r.started()));
    const started = Date.now();
    await run.produce(
      demoRecords(run, size.loadRecords, { seed: 11, duplicateRate: 0.05, malformedRate: 0.01 }),
      {
        chunk: 1_000,
      },
    );
    const published = Date.now();
    await run.drained(DRAIN_TIMEOUT_MS * 2);
    const drained = Date.now();
    await run.stopRunners();
    const eventIds = run.specs.flatMap((s) => (s.expect.kind === 'event' ? [s.expect.eventId] : []));
    const duplicates = eventIds.length - new Set(eventIds).size;
    const poison = run.specs.length - eventIds.length;
    const seconds = (drained - started) / 1000;
    return [
      `${duplicates} duplicates (${((100 * duplicates) / run.specs.length).toFixed(2)} %), ${poison} poison (${((100 * poison) / run.specs.length).toFixed(2)} %)`,
      `published in ${((published - started) / 1000).toFixed(1)} s; all committed after ${seconds.toFixed(1)} s: ${Math.round(run.specs.length / seconds)} records/s through three functions`,
    ];
  },
};

export const SCENARIOS: readonly ScenarioDefinition[] = [
  mysqlOutage,
  kafkaRestart,
  runnerKill,
  secretRotation,
  dimensionChange,
  slowDatabase,
  badInput,
  load,
];
