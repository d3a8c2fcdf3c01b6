/**
 * Two local event source mappings in one consumer group, each in its own process with the real user
 * function: the second one joining makes the group rebalance (the first finishes its in-flight
 * batches, commits and gives partitions up), then one is killed with SIGKILL in the middle of a batch
 * whose rows it had written. The survivor takes its partitions over from the committed offsets, the
 * batch comes again and the sink absorbs it: every event is in the database once and the profile
 * counters equal a recount of the event rows.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { Admin, Producer } from '@platformatic/kafka';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { EsmRunnerEvent } from '../../local-esm/index.ts';
import { freshDatabase, type TestDatabase } from '../support/database.ts';
import { businessEvent, type Json } from '../support/events.ts';
import { services, uniqueName } from '../support/services.ts';

type Line = EsmRunnerEvent | { type: 'hanging'; requestId: string };

interface RunnerProcess {
  name: string;
  child: ChildProcess;
  lines: Line[];
  exited: Promise<number | null>;
}

let db: TestDatabase;
const children: RunnerProcess[] = [];

beforeAll(async () => {
  db = await freshDatabase();
});
afterAll(async () => {
  for (const { child } of children) if (child.exitCode === null) child.kill('SIGKILL');
  await db?.drop();
});

function startRunner(name: string, env: Record<string, string>): RunnerProcess {
  const child = spawn(process.execPath, ['test/support/esm-runner-process.ts'], {
    env: { ...process.env, ...db.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: Line[] = [];
  createInterface({ input: child.stdout! }).on('line', (line) => {
    try {
      lines.push(JSON.parse(line) as Line);
    } catch {
      // not ours
    }
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4_000);
  });
  const exited = new Promise<number | null>((resolve) => {
    child.on('exit', (code) => {
      if (code !== 0 && code !== null) console.error(`${name} exited ${code}:\n${stderr}`);
      resolve(code);
    });
  });
  const runner = { name, child, lines, exited };
  children.push(runner);
  return runner;
}

async function until(condition: () => boolean | Promise<boolean>, timeoutMs: number, what: string) {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) {
      const tail = children.map(
        (c) =>
          `${c.name}: ${c.lines
            .slice(-8)
            .map((l) => JSON.stringify(l))
            .join('\n  ')}`,
      );
      throw new Error(`timed out waiting for ${what}\n${tail.join('\n')}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function count(sql: string): Promise<number> {
  const [[row]] = (await db.conn.query(sql)) as unknown as [[{ n: number }]];
  return Number(row.n);
}

it('two runner processes in one group, one killed mid-batch: every event once, counters exact', async () => {
  const brokers = services().kafkaBrokers;
  const topic = uniqueName('esm_group');
  const groupId = uniqueName('esm_group_g');
  const admin = new Admin({ clientId: 'esm-group-admin', bootstrapBrokers: brokers });
  await admin.createTopics({ topics: [topic, `${topic}-failures`], partitions: 4, replicas: 1 });

  const types = ['user_login', 'user_view', 'user_purchase'];
  const events: Json[] = Array.from({ length: 600 }, (_, i) =>
    businessEvent(types[i % 3]!, {}, { userId: `u${i % 12}`, amount: '1.5' }),
  );
  const sent = [...events, ...events.slice(0, 30)]; // a producer's retries: 30 duplicates
  const producer = new Producer({
    clientId: 'esm-group-producer',
    bootstrapBrokers: brokers,
    idempotent: true,
  });
  await producer.send({
    messages: sent.map((e) => ({
      topic,
      key: Buffer.from(String((e.payload as { userId: string }).userId)),
      value: Buffer.from(JSON.stringify(e)),
    })),
  });
  await producer.close();

  const common = {
    ESM_BROKERS: brokers.join(','),
    ESM_TOPIC: topic,
    ESM_GROUP: groupId,
    ESM_BATCH_SIZE: '5',
  };
  // The first is the slower (about 50 records/s over its four partitions), so that the second, which
  // starts and joins in a few seconds, still finds records left in its partitions to reach its
  // third invocation: with 150 ms the first could consume nearly all before the rebalance.
  const first = startRunner('first', { ...common, ESM_SLOW_MS: '400' });
  await until(() => first.lines.some((l) => l.type === 'invoke'), 30_000, 'the first runner to invoke');
  // The second joins while the first has batches in flight; it hangs in its third invocation.
  const second = startRunner('second', { ...common, ESM_SLOW_MS: '150', ESM_HANG_ON: '3' });
  await until(
    () => first.lines.some((l) => l.type === 'revoked'),
    30_000,
    'the first runner to give partitions up',
  );
  await until(
    () => second.lines.some((l) => l.type === 'hanging'),
    30_000,
    'the second runner to hang mid-batch',
  );
  const hanging = second.lines.find((l) => l.type === 'hanging')!;
  const killedBatch = second.lines.find(
    (l): l is Extract<EsmRunnerEvent, { type: 'invoke' }> =>
      l.type === 'invoke' && 'requestId' in l && l.requestId === (hanging as { requestId: string }).requestId,
  )!;
  second.child.kill('SIGKILL');
  await second.exited;

  // The survivor gets every partition back (after the group notices the dead member) and finishes.
  const committed = async () => {
    const [group] = await admin.listConsumerGroupOffsets({ groups: [groupId] });
    return (group?.topics ?? [])
      .filter((t) => t.name === topic)
      .flatMap((t) => t.partitions)
      .reduce((sum, p) => sum + Math.max(0, Number(p.committedOffset)), 0);
  };
  await until(async () => (await committed()) === sent.length, 90_000, 'every record committed');
  first.child.kill('SIGTERM');
  expect(await first.exited).toBe(0);
  await admin.close();

  const flow = (r: RunnerProcess) =>
    r.lines
      .filter((l) => ['started', 'revoked', 'assigned', 'hanging'].includes(l.type))
      .map((l) => JSON.stringify(l))
      .join('\n  ');
  console.log(`first:\n  ${flow(first)}\nsecond:\n  ${flow(second)}`);

  // The killed batch was delivered again, to the survivor.
  const redelivered = first.lines
    .filter((l): l is Extract<EsmRunnerEvent, { type: 'invoke' }> => l.type === 'invoke')
    .flatMap((l) => Object.entries(l.partitions));
  for (const [partition, offsets] of Object.entries(killedBatch.partitions)) {
    const again = redelivered.filter(([k]) => k === partition).flatMap(([, o]) => o);
    for (const offset of offsets) expect(again).toContain(offset);
  }
  // The first runner went through two rebalances: the second joining, then the second dying.
  expect(first.lines.filter((l) => l.type === 'revoked').length).toBeGreaterThanOrEqual(2);
  expect(first.lines.filter((l) => l.type === 'error')).toEqual([]);

  // Every event once; the counters equal a recount of the event rows.
  expect(await count('SELECT COUNT(*) AS n FROM user_event_wide')).toBe(events.length);
  expect(await count('SELECT COUNT(DISTINCT event_id) AS n FROM user_event_wide')).toBe(events.length);
  const [profiles] = (await db.conn.query(
    'SELECT user_id, login_count, view_count, purchase_count, purchase_amount FROM user_profile_wide ORDER BY user_id',
  )) as unknown as [Array<Record<string, string>>];
  const [recount] = (await db.conn.query(
    `SELECT user_id,
            SUM(event_type = 'user_login') AS login_count,
            SUM(event_type = 'user_view') AS view_count,
            SUM(event_type = 'user_purchase') AS purchase_count,
            SUM(CASE WHEN event_type = 'user_purchase' THEN amount ELSE 0 END) AS purchase_amount
       FROM user_event_wide GROUP BY user_id ORDER BY user_id`,
  )) as unknown as [Array<Record<string, string>>];
  expect(profiles).toHaveLength(12);
  expect(
    profiles.map((p) => [p.user_id, p.login_count, p.view_count, p.purchase_count, p.purchase_amount]),
  ).toEqual(
    recount.map((r) => [r.user_id, r.login_count, r.view_count, r.purchase_count, r.purchase_amount]),
  );
}, 180_000);
