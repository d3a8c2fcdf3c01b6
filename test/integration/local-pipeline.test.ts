/**
 * `npm run local`, the README's main command, end to end against the real services; and the check
 * it ends with (scripts/local/placement.ts), which names every record not in its expected place.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { DEMO_PERSONAL_DATA } from '../../scripts/local/demo-stream.ts';
import {
  type DeadLetterAt,
  type EventRowAt,
  type FailureAt,
  type PublishedRecord,
  placeRecords,
} from '../../scripts/local/placement.ts';
import { endpointsToEnv } from '../../scripts/services/find-services.ts';
import { services } from '../support/services.ts';

const run = promisify(execFile);

function withoutAwsCredentials(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const {
    AWS_ACCESS_KEY_ID,
    AWS_SECRET_ACCESS_KEY,
    AWS_SESSION_TOKEN,
    AWS_REGION,
    AWS_DEFAULT_REGION,
    ...rest
  } = env;
  return rest;
}

it('publishes a demo stream, accounts for every record, and logs no secret and no payload', async () => {
  const logDir = mkdtempSync(join(tmpdir(), 'lrt-logs-'));
  try {
    const { stdout, stderr } = await run(
      process.execPath,
      ['scripts/local/pipeline.ts', '--events', '400', '--timeout', '90'],
      {
        // As on a fresh machine: no AWS credentials or region in the environment.
        env: withoutAwsCredentials({ ...process.env, ...endpointsToEnv(services()), LRT_LOG_DIR: logDir }),
        timeout: 120_000,
      },
    );
    console.log(stdout);
    expect(stderr).toContain('event source mappings started');
    expect(stdout).toContain('every published record is accounted for, each in its expected place');
    expect(stdout).toMatch(/event_dead_letter rows\s+\d+/);

    // Every line the functions logged: dead letters were logged (so the scan saw them), and no line
    // carries the database password or a payload value — the malformed records' personal data
    // included, though it sits in event_dead_letter's raw bytes.
    const lines = readdirSync(logDir).flatMap((file) =>
      readFileSync(join(logDir, file), 'utf8').split('\n').filter(Boolean),
    );
    expect(lines.some((line) => line.includes('dead-lettering record'))).toBe(true);
    const everything = [stdout, stderr, ...lines].join('\n');
    expect(everything).not.toContain(services().db.password);
    for (const personal of DEMO_PERSONAL_DATA) expect(everything).not.toContain(personal);
    for (const payloadValue of [
      '"device"',
      '"ip"',
      '"loginTime"',
      '"payMethod"',
      '"keyword"',
      'changed mind',
    ]) {
      expect(lines.filter((line) => line.includes(payloadValue))).toEqual([]);
    }
  } finally {
    rmSync(logDir, { recursive: true, force: true });
  }
}, 150_000);

it('on one shared topic, each record has one owner: the others skip it by its event-domain header', async () => {
  const logDir = mkdtempSync(join(tmpdir(), 'lrt-logs-'));
  try {
    const events = 300;
    const { stdout } = await run(
      process.execPath,
      ['scripts/local/pipeline.ts', '--events', String(events), '--topology', 'shared', '--timeout', '90'],
      { env: { ...process.env, ...endpointsToEnv(services()), LRT_LOG_DIR: logDir }, timeout: 120_000 },
    );
    expect(stdout).toContain('every published record is accounted for');
    // Every mapping polled the whole topic…
    expect(stdout).toMatch(new RegExp(`PolledEventCount\\s+${events}\\s+${events}\\s+${events}`));
    // …and every record was skipped by exactly the two functions that do not own it — the malformed
    // ones too, which no function could have read a domain from: the header alone decided.
    const skipped = readdirSync(logDir)
      .flatMap((file) => readFileSync(join(logDir, file), 'utf8').split('\n').filter(Boolean))
      .map((line) => JSON.parse(line) as { message?: string; skippedOtherDomain?: number })
      .filter((line) => line.message === 'batch done')
      .reduce((sum, line) => sum + (line.skippedOtherDomain ?? 0), 0);
    expect(skipped).toBe(2 * events);
  } finally {
    rmSync(logDir, { recursive: true, force: true });
  }
}, 150_000);

describe('record placement (the check `npm run local` ends with)', () => {
  const T = 'business-events-user';
  const O = 'business-events-order';
  const record = (seq: number, over: Partial<PublishedRecord>): PublishedRecord => ({
    seq,
    topic: T,
    partition: 0,
    offset: seq,
    owner: 'user',
    expect: 'event',
    readers: ['user'],
    ...over,
  });
  const records: PublishedRecord[] = [
    record(0, { eventId: 'e0' }),
    record(1, { eventId: 'e0', expect: 'duplicate' }),
    record(2, { expect: 'dead-letter', reason: 'not_json' }),
    record(3, { topic: O, owner: 'order', eventId: 'e3', readers: ['order'] }),
    record(4, { expect: 'on-failure', readers: ['user', 'order'] }),
  ];
  const row = (seq: number, over: Partial<EventRowAt> = {}): EventRowAt => {
    const r = records[seq]!;
    return {
      domain: r.owner,
      table: `${r.owner}_event_wide`,
      eventId: r.eventId!,
      topic: r.topic,
      partition: r.partition,
      offset: r.offset,
      ...over,
    };
  };
  const rows = [row(0), row(3)];
  const deadLetters: DeadLetterAt[] = [
    { topic: T, partition: 0, offset: 2, reason: 'not_json', domain: 'user' },
  ];
  const failures: FailureAt[] = [
    { topic: T, partition: 0, offset: 4, domain: 'user' },
    { topic: T, partition: 0, offset: 4, domain: 'order' },
  ];
  const tablesOf = new Map([
    ['user', ['user_event_wide']],
    ['order', ['order_event_wide']],
  ]);
  const place = (over: { rows?: EventRowAt[]; deadLetters?: DeadLetterAt[]; failures?: FailureAt[] } = {}) =>
    placeRecords({ records, rows, deadLetters, failures, tablesOf, ...over });

  it('places each record where it belongs', () => {
    expect(place()).toEqual({
      placed: { written: 2, absorbed: 1, deadLettered: 1, onFailure: 1 },
      mismatches: 0,
      problems: [],
    });
  });

  it.each([
    {
      what: 'a dead letter with another reason',
      over: { deadLetters: [{ ...deadLetters[0]!, reason: 'schema' }] },
      says: 'record 2 (dead-letter, user) at business-events-user-0@2: expected a dead letter (not_json, by user); found a dead letter (schema, by user)',
    },
    {
      what: 'a dead letter written by a function that does not own the record',
      over: { deadLetters: [{ ...deadLetters[0]!, domain: 'order' }] },
      says: 'found a dead letter (not_json, by order)',
    },
    {
      what: 'one dead letter more than expected, where nothing was published',
      over: { deadLetters: [...deadLetters, { ...deadLetters[0]!, offset: 99 }] },
      says: 'a dead letter (not_json) at business-events-user-0@99, where the run published nothing',
    },
    {
      what: 'an event dead-lettered besides its row',
      over: { deadLetters: [...deadLetters, { ...deadLetters[0]!, offset: 3, topic: O, domain: 'order' }] },
      says: 'record 3 (event e3, order) at business-events-order-0@3: expected its order_event_wide row (e3), or absorbed as a duplicate; found a order_event_wide row (e3), a dead letter',
    },
    {
      what: "an event's row in another domain's table",
      over: { rows: [row(0), row(3, { domain: 'user', table: 'user_event_wide' })] },
      says: 'record 3 (event e3, order)',
    },
    {
      what: 'a row with another eventId at the record',
      over: { rows: [row(0, { eventId: 'e9' }), row(3)] },
      says: 'found a user_event_wide row (e9)',
    },
    {
      what: 'a duplicate whose event has no row',
      over: { rows: [row(3)] },
      says: 'record 1 (duplicate e0, user) at business-events-user-0@1: expected its user_event_wide row (e0), or absorbed as a duplicate; found nothing, and no row of its eventId',
    },
    {
      what: 'a record sent to the on-failure topic by only one of the mappings reading it',
      over: { failures: [failures[0]!] },
      says: 'expected a failure document from each of user, order; found a failure document (by user)',
    },
  ])('names $what', ({ over, says }) => {
    const result = place(over as Parameters<typeof place>[0]);
    expect(result.mismatches).toBeGreaterThan(0);
    expect(result.problems.join('\n')).toContain(says);
  });
});
