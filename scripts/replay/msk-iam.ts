/**
 * Amazon MSK's IAM authentication over SASL/OAUTHBEARER, which @platformatic/kafka speaks: the
 * bearer token is a SigV4-presigned `kafka-cluster:Connect` URL for `kafka.<region>.amazonaws.com`,
 * base64url without padding — what AWS's own signer libraries produce (aws-msk-iam-sasl-signer-js,
 * …-python), built here from the SDK's SigV4 signer and default credential chain, which the project
 * already ships, rather than adding that library and its copy of the SDK.
 *
 * Not exercised against a real MSK cluster by this repository's tests (they have none); the unit
 * test checks the token's form and signature inputs.
 */
import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider, SourceData } from '@smithy/types';

/** Token lifetime: AWS's signers use 900 s (never beyond the credentials' own expiry). */
const TOKEN_SECONDS = 900;

function bytes(data: SourceData): string | Uint8Array {
  if (typeof data === 'string') return data;
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return new Uint8Array(data);
}

/** SHA-256 and HMAC-SHA-256 as the SigV4 signer wants them, from node:crypto. */
class Sha256 {
  readonly #hash: Hash | Hmac;
  constructor(secret?: SourceData) {
    this.#hash = secret === undefined ? createHash('sha256') : createHmac('sha256', bytes(secret));
  }
  update(data: SourceData): void {
    this.#hash.update(bytes(data));
  }
  async digest(): Promise<Uint8Array> {
    return this.#hash.digest();
  }
}

/** AWS's query encoding: RFC 3986 unreserved characters stay, everything else is %XX. */
function uriEscape(text: string): string {
  return encodeURIComponent(text).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

export async function mskIamToken(options: {
  region: string;
  credentials?: AwsCredentialIdentityProvider | AwsCredentialIdentity;
  now?: Date;
}): Promise<string> {
  const provider = options.credentials ?? defaultProvider();
  const credentials = typeof provider === 'function' ? await provider() : provider;
  const hostname = `kafka.${options.region}.amazonaws.com`;
  const signer = new SignatureV4({
    service: 'kafka-cluster',
    region: options.region,
    credentials,
    sha256: Sha256,
    applyChecksum: false,
  });
  const now = options.now ?? new Date();
  const expiresIn = credentials.expiration
    ? Math.max(
        1,
        Math.min(TOKEN_SECONDS, Math.floor((credentials.expiration.getTime() - now.getTime()) / 1000)),
      )
    : TOKEN_SECONDS;
  const signed = await signer.presign(
    {
      method: 'GET',
      protocol: 'https:',
      hostname,
      path: '/',
      headers: { host: hostname },
      query: { Action: 'kafka-cluster:Connect' },
    },
    { expiresIn, signingDate: now },
  );
  const query = { ...signed.query, 'User-Agent': 'lambda-realtime-replay' } as Record<string, string>;
  const url = `https://${hostname}/?${Object.keys(query)
    .sort()
    .map((name) => `${uriEscape(name)}=${uriEscape(query[name]!)}`)
    .join('&')}`;
  return Buffer.from(url, 'utf8').toString('base64url');
}
