/**
 * How connections are secured (DB_TLS, DB_AUTH): the mysql2 options, and what a refused or
 * unverifiable connection counts as.
 */
import { describe, expect, it } from 'vitest';
import { isDatabaseConfigError } from '../../../shared/pipeline/errors.ts';
import type { DbCredentials } from '../../../shared/sink/credentials.ts';
import { connectionSecurity, plainLoginRefused, RDS_TLS, sslOptions } from '../../../shared/sink/database.ts';
import { classifyDbError } from '../../../shared/sink/db-errors.ts';

const LOGIN: DbCredentials = { host: 'db', port: 3306, user: 'app', password: 'pw', database: 'd' };
const TOKEN: DbCredentials = { ...LOGIN, password: 'db:3306/?Action=connect&DBUser=app', authToken: true };

describe('sslOptions', () => {
  it('verifies the chain and the host name whenever TLS is on', () => {
    expect(sslOptions('off')).toBeUndefined();
    expect(sslOptions(undefined)).toBeUndefined();
    expect(sslOptions('rds')).toEqual({ rejectUnauthorized: true, verifyIdentity: true });
    expect(sslOptions('rds')).toBe(RDS_TLS);
    expect(sslOptions({ ca: 'PEM' })).toEqual({ ca: 'PEM', rejectUnauthorized: true, verifyIdentity: true });
  });
});

describe('connectionSecurity', () => {
  it('sends a password as mysql2 does by default', () => {
    expect(connectionSecurity(LOGIN, 'off')).toEqual({});
    expect(connectionSecurity(LOGIN, 'rds')).toEqual({ ssl: RDS_TLS });
  });

  it("sends an IAM auth token with mysql2's clear-text plugin, over TLS only", () => {
    expect(connectionSecurity(TOKEN, 'rds')).toEqual({ ssl: RDS_TLS, enableCleartextPlugin: true });
    expect(connectionSecurity(TOKEN, { ca: 'PEM' })).toMatchObject({ enableCleartextPlugin: true });
    let refused: unknown;
    try {
      connectionSecurity(TOKEN, 'off');
    } catch (error) {
      refused = error;
    }
    expect(isDatabaseConfigError(refused)).toBe(true);
    expect((refused as Error).message).toContain('only over TLS');
  });
});

describe('refused and unverifiable connections', () => {
  const mysql2 = (code: string, message: string, errno?: number) =>
    Object.assign(new Error(message), { code, ...(errno ? { errno } : {}) });

  it('counts a certificate that does not verify, or names another host, as set up wrongly', () => {
    for (const message of [
      "Hostname/IP does not match certificate's altnames: Host: db.example. is not in the cert's altnames: DNS:localhost, IP Address:127.0.0.1",
      'self-signed certificate in certificate chain',
      'unable to verify the first certificate',
      'certificate has expired',
    ]) {
      expect(classifyDbError(mysql2('HANDSHAKE_SSL_ERROR', message))).toBe('configuration');
    }
    expect(
      classifyDbError(mysql2('HANDSHAKE_NO_SSL_SUPPORT', 'Server does not support secure connection')),
    ).toBe('configuration');
  });

  it('counts a connection lost during the TLS handshake as lost', () => {
    expect(
      classifyDbError(
        mysql2(
          'HANDSHAKE_SSL_ERROR',
          'Client network socket disconnected before secure TLS connection was established',
        ),
      ),
    ).toBe('connection');
  });

  it("keeps MySQL's insecure-transport refusal, and MariaDB's access denied, as they were", () => {
    expect(
      classifyDbError(
        mysql2('ER_SECURE_TRANSPORT_REQUIRED', 'Connections using insecure transport are prohibited', 3159),
      ),
    ).toBe('configuration');
    expect(
      classifyDbError(mysql2('ER_ACCESS_DENIED_ERROR', "Access denied for user 'app'@'127.0.0.1'", 1045)),
    ).toBe('access_denied');
  });

  it('explains a login refused over a plain connection: DB_TLS first, then the credentials', () => {
    const error = plainLoginRefused(mysql2('ER_ACCESS_DENIED_ERROR', "Access denied for user 'app'", 1045));
    expect(isDatabaseConfigError(error)).toBe(true);
    expect(error.message).toMatch(
      /plain connection \(DB_TLS=off\).*set DB_TLS to rds or verify.*credentials/,
    );
  });
});
