/**
 * Database credentials: an IAM auth token made for the function's role (DB_AUTH=iam, through RDS
 * Proxy), or a password from Secrets Manager (an RDS secret, cached with a TTL), or from DB_*
 * variables for local work. After an access-denied error the caller asks for `rotated()`: a new
 * token is made, or the secret is read again — AWSCURRENT, then AWSPENDING when AWSCURRENT still
 * holds the password that was just refused (a rotation in progress has changed the database but not
 * the stage yet).
 */
import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { Signer } from '@aws-sdk/rds-signer';
import type { AwsCredentialIdentity } from '@smithy/types';
import * as z from '../events/zod.ts';

export interface DbCredentials {
  host: string;
  port: number;
  user: string;
  /** The password, or with `authToken` an IAM auth token. */
  password: string;
  database: string;
  /**
   * `password` is an IAM auth token: the server takes it in clear text (mysql_clear_password), so
   * it is sent over TLS only (shared/sink/database.ts, connectionSecurity).
   */
  authToken?: true;
}

export interface CredentialsProvider {
  /** Current credentials (cached). */
  get(): Promise<DbCredentials>;
  /** Credentials after `refused` was rejected by the server; undefined when nothing newer exists. */
  rotated(refused: DbCredentials): Promise<DbCredentials | undefined>;
}

export class StaticCredentials implements CredentialsProvider {
  readonly #credentials: DbCredentials;

  constructor(credentials: DbCredentials) {
    this.#credentials = credentials;
  }

  async get(): Promise<DbCredentials> {
    return this.#credentials;
  }

  async rotated(): Promise<undefined> {
    return undefined;
  }
}

/** The RDS secret format (`{username,password,host,port,dbname}`, engine and others ignored). */
const rdsSecretSchema = z.object({
  username: z.string().check(z.minLength(1)),
  password: z.string().check(z.minLength(1)),
  host: z.optional(z.string().check(z.minLength(1))),
  port: z.optional(z.coerce.number().check(z.int(), z.positive())),
  dbname: z.optional(z.string().check(z.minLength(1))),
});

export interface SecretCredentialsOptions {
  client: SecretsManagerClient;
  secretId: string;
  ttlMs: number;
  /** Overrides for what the secret lacks or what differs locally (an RDS Proxy endpoint, DB_NAME). */
  host?: string;
  port?: number;
  database?: string;
  now?: () => number;
}

export class SecretsManagerCredentials implements CredentialsProvider {
  readonly #options: SecretCredentialsOptions;
  #cached: { credentials: DbCredentials; expiresAt: number } | undefined;
  #inflight: Promise<DbCredentials> | undefined;

  constructor(options: SecretCredentialsOptions) {
    this.#options = options;
  }

  async get(): Promise<DbCredentials> {
    const now = (this.#options.now ?? Date.now)();
    if (this.#cached && this.#cached.expiresAt > now) return this.#cached.credentials;
    this.#inflight ??= this.#fetch('AWSCURRENT').finally(() => {
      this.#inflight = undefined;
    });
    return this.#inflight;
  }

  async rotated(refused: DbCredentials): Promise<DbCredentials | undefined> {
    const current = await this.#fetch('AWSCURRENT');
    if (!sameLogin(current, refused)) return current;
    const pending = await this.#fetch('AWSPENDING').catch(() => undefined);
    if (!pending || sameLogin(pending, refused)) return undefined;
    // Until the rotation moves AWSCURRENT, the pending password is the one that works.
    this.#cached = {
      credentials: pending,
      expiresAt: (this.#options.now ?? Date.now)() + this.#options.ttlMs,
    };
    return pending;
  }

  async #fetch(stage: 'AWSCURRENT' | 'AWSPENDING'): Promise<DbCredentials> {
    const { client, secretId } = this.#options;
    const result = await client.send(new GetSecretValueCommand({ SecretId: secretId, VersionStage: stage }));
    const credentials = this.#parse(result.SecretString);
    if (stage === 'AWSCURRENT') {
      this.#cached = { credentials, expiresAt: (this.#options.now ?? Date.now)() + this.#options.ttlMs };
    }
    return credentials;
  }

  #parse(secretString: string | undefined): DbCredentials {
    const { secretId } = this.#options;
    let json: unknown;
    try {
      json = JSON.parse(secretString ?? '');
    } catch {
      throw new Error(
        `secret ${secretId} is not JSON in the RDS format {username,password,host,port,dbname}`,
      );
    }
    const parsed = rdsSecretSchema.safeParse(json);
    if (!parsed.success) {
      const fields = parsed.error.issues.map((issue) => issue.path.join('.')).join(', ');
      throw new Error(`secret ${secretId} lacks or has bad fields: ${fields} (values not shown)`);
    }
    const secret = parsed.data;
    const host = this.#options.host ?? secret.host;
    const database = this.#options.database ?? secret.dbname;
    if (!host || !database) {
      throw new Error(
        `secret ${secretId} has no ${host ? 'dbname' : 'host'}; set ${host ? 'DB_NAME' : 'DB_HOST'}`,
      );
    }
    return {
      host,
      port: this.#options.port ?? secret.port ?? 3306,
      user: secret.username,
      password: secret.password,
      database,
    };
  }
}

function sameLogin(a: DbCredentials, b: DbCredentials): boolean {
  return a.user === b.user && a.password === b.password;
}

/** What makes IAM auth tokens: `@aws-sdk/rds-signer`'s Signer, or a stand-in in tests. */
export interface AuthTokenSigner {
  getAuthToken(): Promise<string>;
}

/** An IAM auth token is accepted for 15 minutes after it is made (RDS, "IAM database authentication"). */
export const AUTH_TOKEN_LIFETIME_MS = 15 * 60_000;
/** How long a token is reused for new connections: well inside its lifetime. */
export const AUTH_TOKEN_REUSE_MS = 10 * 60_000;

export interface IamAuthOptions {
  /** The endpoint connected to (RDS Proxy's), for which the token is signed. */
  host: string;
  port: number;
  user: string;
  database: string;
  /** The region the endpoint is in; with `credentials`, what a Signer is made with. */
  region: string;
  /** The role's credentials; unset: the SDK's chain (in the function bundles, the environment). */
  credentials?: AwsCredentialIdentity;
  /** A signer of one's own (tests); by default `@aws-sdk/rds-signer`'s for host, port, user, region. */
  signer?: AuthTokenSigner;
  /** How long a token is reused; default AUTH_TOKEN_REUSE_MS, less than AUTH_TOKEN_LIFETIME_MS. */
  reuseMs?: number;
  now?: () => number;
}

/**
 * IAM database authentication: the password is an auth token — a SigV4-presigned
 * `host:port/?Action=connect&DBUser=…` request for the `rds-db` service, made locally from the role's
 * credentials, no call to AWS — that the server (RDS Proxy) accepts for 15 minutes. A token is only
 * checked when a connection logs in, so one is reused for new connections for `reuseMs` (10
 * minutes), and a fresh one made after a refusal: a pool that outlived its token has its next login
 * refused, and the caller's `rotated()` builds it again with a new token.
 */
export class IamAuthCredentials implements CredentialsProvider {
  readonly #options: IamAuthOptions;
  readonly #signer: AuthTokenSigner;
  #cached: { credentials: DbCredentials; expiresAt: number } | undefined;
  #inflight: Promise<DbCredentials> | undefined;

  constructor(options: IamAuthOptions) {
    if ((options.reuseMs ?? AUTH_TOKEN_REUSE_MS) >= AUTH_TOKEN_LIFETIME_MS) {
      throw new RangeError('an IAM auth token must be reused for less than its 15-minute lifetime');
    }
    this.#options = options;
    this.#signer =
      options.signer ??
      new Signer({
        hostname: options.host,
        port: options.port,
        username: options.user,
        region: options.region,
        ...(options.credentials ? { credentials: options.credentials } : {}),
      });
  }

  async get(): Promise<DbCredentials> {
    if (this.#cached && this.#cached.expiresAt > this.#now()) return this.#cached.credentials;
    return this.#sign();
  }

  /** A new token, unless one newer than `refused` was made meanwhile (a concurrent refusal). */
  async rotated(refused: DbCredentials): Promise<DbCredentials> {
    const current = this.#cached?.credentials;
    if (current && current.password !== refused.password && this.#cached!.expiresAt > this.#now()) {
      return current;
    }
    return this.#sign();
  }

  #sign(): Promise<DbCredentials> {
    this.#inflight ??= (async () => {
      const madeAt = this.#now();
      const { host, port, user, database } = this.#options;
      let token: string;
      try {
        token = await this.#signer.getAuthToken();
      } catch (error) {
        throw new Error(`no IAM auth token for ${user}@${host}:${port}: ${(error as Error).message}`, {
          cause: error,
        });
      }
      const credentials: DbCredentials = { host, port, user, password: token, database, authToken: true };
      this.#cached = { credentials, expiresAt: madeAt + (this.#options.reuseMs ?? AUTH_TOKEN_REUSE_MS) };
      return credentials;
    })().finally(() => {
      this.#inflight = undefined;
    });
    return this.#inflight;
  }

  #now(): number {
    return (this.#options.now ?? Date.now)();
  }
}
