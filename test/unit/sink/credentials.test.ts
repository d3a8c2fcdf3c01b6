/** IAM database authentication's credentials: auth tokens made, reused and renewed (DB_AUTH=iam). */
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  AUTH_TOKEN_REUSE_MS,
  type AuthTokenSigner,
  IamAuthCredentials,
} from '../../../shared/sink/credentials.ts';

const ENDPOINT = {
  host: 'lrt-proxy.proxy-abc123.eu-west-1.rds.amazonaws.com',
  port: 3306,
  user: 'lrt_app',
  database: 'lambda_realtime',
  region: 'eu-west-1',
};
const ROLE = {
  accessKeyId: 'ASIAEXAMPLEKEY',
  secretAccessKey: 'role-secret-never-in-a-token',
  sessionToken: 'session-token',
};

/** A signer that counts its tokens, each one different; `gate` holds the next signing back. */
function countingSigner(): AuthTokenSigner & { made: number; gate?: Promise<void> } {
  const signer = {
    made: 0,
    gate: undefined as Promise<void> | undefined,
    async getAuthToken() {
      await signer.gate;
      signer.made++;
      return `token-${signer.made}`;
    },
  };
  return signer;
}

describe('IamAuthCredentials', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("signs a connect request for the endpoint and user with the role's credentials (AWS's RDS signer)", async () => {
    vi.useFakeTimers({ now: new Date('2026-03-01T12:34:56Z'), toFake: ['Date'] });
    const credentials = await new IamAuthCredentials({ ...ENDPOINT, credentials: ROLE }).get();
    expect(credentials).toMatchObject({
      host: ENDPOINT.host,
      port: 3306,
      user: 'lrt_app',
      database: 'lambda_realtime',
      authToken: true,
    });
    const token = credentials.password;
    // host:port/?Action=connect&DBUser=…&X-Amz-…, no scheme: what RDS and RDS Proxy take as the password.
    expect(token.startsWith(`${ENDPOINT.host}:3306/?Action=connect&DBUser=lrt_app&X-Amz-`)).toBe(true);
    const query = new URLSearchParams(token.slice(token.indexOf('?') + 1));
    expect(Object.fromEntries(query)).toMatchObject({
      Action: 'connect',
      DBUser: 'lrt_app',
      'X-Amz-Algorithm': 'AWS4-HMAC-SHA256',
      'X-Amz-Credential': 'ASIAEXAMPLEKEY/20260301/eu-west-1/rds-db/aws4_request',
      'X-Amz-Date': '20260301T123456Z',
      'X-Amz-Expires': '900',
      'X-Amz-SignedHeaders': 'host',
      'X-Amz-Security-Token': 'session-token',
    });
    expect(query.get('X-Amz-Signature')).toMatch(/^[0-9a-f]{64}$/);
    expect(token).not.toContain(ROLE.secretAccessKey);
  });

  it('signs the same request the same way: the token depends on the endpoint, user, time and role only', async () => {
    vi.useFakeTimers({ now: new Date('2026-03-01T12:34:56Z'), toFake: ['Date'] });
    const a = await new IamAuthCredentials({ ...ENDPOINT, credentials: ROLE }).get();
    const b = await new IamAuthCredentials({ ...ENDPOINT, credentials: ROLE }).get();
    const other = await new IamAuthCredentials({ ...ENDPOINT, user: 'lrt_other', credentials: ROLE }).get();
    expect(a.password).toBe(b.password);
    expect(other.password).not.toBe(a.password);
  });

  it('reuses a token for new connections for 10 minutes, well inside its 15, then makes another', async () => {
    let now = 1_000_000;
    const signer = countingSigner();
    const provider = new IamAuthCredentials({ ...ENDPOINT, signer, now: () => now });
    expect((await provider.get()).password).toBe('token-1');
    now += AUTH_TOKEN_REUSE_MS - 1;
    expect((await provider.get()).password).toBe('token-1');
    now += 1;
    expect((await provider.get()).password).toBe('token-2');
    expect(AUTH_TOKEN_REUSE_MS).toBe(10 * 60_000);
  });

  it('makes one token for callers that ask at once', async () => {
    const signer = countingSigner();
    let open: () => void = () => {};
    signer.gate = new Promise((resolve) => {
      open = resolve;
    });
    const provider = new IamAuthCredentials({ ...ENDPOINT, signer });
    const asked = Promise.all([provider.get(), provider.get(), provider.get()]);
    open();
    expect((await asked).map((c) => c.password)).toEqual(['token-1', 'token-1', 'token-1']);
    expect(signer.made).toBe(1);
  });

  it('makes a fresh token after a refusal, once for concurrent refusals of the same token', async () => {
    const signer = countingSigner();
    const provider = new IamAuthCredentials({ ...ENDPOINT, signer });
    const refused = await provider.get();
    const [a, b] = await Promise.all([provider.rotated(refused), provider.rotated(refused)]);
    expect(a.password).toBe('token-2');
    expect(b.password).toBe('token-2');
    // A caller still holding the first token gets the newer one, not a third.
    expect((await provider.rotated(refused)).password).toBe('token-2');
    expect(signer.made).toBe(2);
    // The newer one refused too: another.
    expect((await provider.rotated(a)).password).toBe('token-3');
    expect((await provider.get()).password).toBe('token-3');
  });

  it('says which login it could not make a token for, without the credentials', async () => {
    const provider = new IamAuthCredentials({
      ...ENDPOINT,
      signer: {
        getAuthToken: () => Promise.reject(new Error('Could not load credentials from any providers')),
      },
    });
    await expect(provider.get()).rejects.toThrow(
      `no IAM auth token for lrt_app@${ENDPOINT.host}:3306: Could not load credentials from any providers`,
    );
  });

  it('refuses to reuse a token for its whole lifetime or longer', () => {
    expect(() => new IamAuthCredentials({ ...ENDPOINT, reuseMs: 15 * 60_000 })).toThrow(RangeError);
  });
});
