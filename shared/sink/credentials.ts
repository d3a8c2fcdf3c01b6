/**
 * Database credentials: from Secrets Manager (an RDS secret, cached with a TTL) in AWS, or from
 * DB_* variables for local work. After an access-denied error the caller asks for `rotated()`:
 * the secret is read again — AWSCURRENT, then AWSPENDING when AWSCURRENT still holds the password
 * that was just refused (a rotation in progress has changed the database but not the stage yet).
 */
import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import * as z from '../events/zod.ts';

export interface DbCredentials {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
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
