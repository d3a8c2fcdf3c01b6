/** `npm run local`, the README's main command, end to end against the real services. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';
import { endpointsToEnv } from '../../scripts/services/find-services.ts';
import { services } from '../support/services.ts';

const run = promisify(execFile);

it('publishes a demo stream and accounts for every record', async () => {
  const { stdout, stderr } = await run(
    process.execPath,
    ['scripts/local/pipeline.ts', '--events', '400', '--timeout', '90'],
    {
      env: { ...process.env, ...endpointsToEnv(services()) },
      timeout: 120_000,
    },
  );
  console.log(stdout);
  expect(stderr).toContain('event source mappings started');
  expect(stdout).toContain('every published record is accounted for');
  expect(stdout).toMatch(/event_dead_letter rows\s+\d+/);
}, 150_000);
