/** `npm run local`, the README's main command, end to end against the real services. */
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';
import { DEMO_PERSONAL_DATA } from '../../scripts/local/demo-stream.ts';
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
    expect(stdout).toContain('every published record is accounted for');
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
