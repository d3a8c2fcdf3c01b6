/** The function bundles' stand-in for the SDK's default credential chain: the environment only. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { defaultProvider } from '../../../shared/runtime/env-credentials.ts';

describe('defaultProvider (function bundles)', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('reads the credentials Lambda puts in the environment, when asked', async () => {
    const provider = defaultProvider();
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'AKIDEXAMPLE');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'secret');
    vi.stubEnv('AWS_SESSION_TOKEN', 'token');
    vi.stubEnv('AWS_CREDENTIAL_EXPIRATION', '2030-01-01T00:00:00Z');
    await expect(provider()).resolves.toEqual({
      accessKeyId: 'AKIDEXAMPLE',
      secretAccessKey: 'secret',
      sessionToken: 'token',
      expiration: new Date('2030-01-01T00:00:00Z'),
    });
  });

  it('fails, naming the variables, when they are missing: no files, no metadata endpoints', async () => {
    vi.stubEnv('AWS_ACCESS_KEY_ID', '');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', '');
    await expect(defaultProvider()()).rejects.toThrow(/AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY/);
  });
});
