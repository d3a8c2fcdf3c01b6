/** `npm run local`, the README's main command, end to end against the real services. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';
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

it('publishes a demo stream and accounts for every record', async () => {
  const { stdout, stderr } = await run(
    process.execPath,
    ['scripts/local/pipeline.ts', '--events', '400', '--timeout', '90'],
    {
      // As on a fresh machine: no AWS credentials or region in the environment.
      env: withoutAwsCredentials({ ...process.env, ...endpointsToEnv(services()) }),
      timeout: 120_000,
    },
  );
  console.log(stdout);
  expect(stderr).toContain('event source mappings started');
  expect(stdout).toContain('every published record is accounted for');
  expect(stdout).toMatch(/event_dead_letter rows\s+\d+/);
}, 150_000);
