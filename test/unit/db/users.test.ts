/** What the database users may do, derived from the registry (db/users.ts), and their names. */
import { describe, expect, it } from 'vitest';
import {
  appTablePrivileges,
  MAX_CLONE_NAME_LENGTH,
  MIGRATOR_PRIVILEGES,
  rotationPair,
  UsersError,
} from '../../../db/users.ts';
import { DIMENSIONS, TABLES } from '../../../shared/domains/registry.ts';

describe('appTablePrivileges', () => {
  const grants = appTablePrivileges(TABLES, DIMENSIONS);

  it('covers every table of the registry, one entry each', () => {
    expect([...grants.keys()].sort()).toEqual(TABLES.map((t) => t.name).sort());
  });

  it('lets the functions only read the dimension tables', () => {
    for (const { table } of DIMENSIONS) expect(grants.get(table.name)).toEqual(['SELECT']);
  });

  it('lets them read, insert and update every other table (wide, state, dead letters), never delete', () => {
    const dimensionTables = new Set(DIMENSIONS.map((d) => d.table.name));
    const written = TABLES.filter((t) => !dimensionTables.has(t.name));
    expect(written.map((t) => t.name)).toContain('event_dead_letter');
    for (const table of written) expect(grants.get(table.name)).toEqual(['SELECT', 'INSERT', 'UPDATE']);
  });

  it('follows the registry: a new table or dimension gets its grant without a list to edit', () => {
    const more = appTablePrivileges(
      [...TABLES, { name: 'user_signup_wide' }],
      [...DIMENSIONS, { table: { name: 'dim_store' } }],
    );
    expect(more.get('user_signup_wide')).toEqual(['SELECT', 'INSERT', 'UPDATE']);
    expect(more.get('dim_store')).toEqual(['SELECT']);
  });
});

describe('the migrator', () => {
  it('changes the schema, and never manages users or grants', () => {
    expect(MIGRATOR_PRIVILEGES).toEqual(expect.arrayContaining(['CREATE', 'ALTER', 'INDEX', 'DROP']));
    for (const never of ['GRANT OPTION', 'CREATE USER', 'SUPER', 'ALL PRIVILEGES', 'FILE', 'PROCESS']) {
      expect(MIGRATOR_PRIVILEGES).not.toContain(never);
    }
  });
});

describe('rotationPair', () => {
  it("names the user and the twin Secrets Manager's alternating-users rotation creates, from either", () => {
    expect(rotationPair('lrt_app')).toEqual(['lrt_app', 'lrt_app_clone']);
    expect(rotationPair('lrt_app_clone')).toEqual(['lrt_app', 'lrt_app_clone']);
  });

  it('refuses names that would need quoting', () => {
    for (const bad of ["lrt'app", 'lrt-app', '1app', '']) expect(() => rotationPair(bad)).toThrow(/must be/);
  });

  it('refuses a name whose twin the pinned rotation functions would refuse (over 16 characters), saying why', () => {
    expect(MAX_CLONE_NAME_LENGTH).toBe(16);
    expect(rotationPair('a'.repeat(10))[1]).toHaveLength(16);
    expect(() => rotationPair('a'.repeat(11))).toThrow(UsersError);
    expect(() => rotationPair('lrt_migrator')).toThrow(
      /"lrt_migrator" is too long: its rotation twin "lrt_migrator_clone" has 18 characters, and the pinned Secrets Manager rotation functions refuse clone names over 16 \(at most 10 characters before _clone\)/,
    );
    // Either name of the pair is checked the same way.
    expect(() => rotationPair('lrt_migrator_clone')).toThrow(/too long/);
  });
});
