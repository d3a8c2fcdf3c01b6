/**
 * The local MySQL's settings (scripts/services/mysql-server.cnf, both the native and the Docker
 * path) are the ones RDS's parameter group pins (infra/config/mysql-server-settings.ts): tests run
 * under production's rules. The file spells names its own way (dashes, MariaDB's older names).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MYSQL_SERVER_SETTINGS } from '../../../infra/config/mysql-server-settings.ts';

/** The option file's name for each pinned setting, and how its value reads as the setting's. */
const IN_FILE: Record<keyof typeof MYSQL_SERVER_SETTINGS, { option: string; value?: (v: string) => string }> =
  {
    sql_mode: { option: 'sql-mode' },
    character_set_server: { option: 'character-set-server' },
    collation_server: { option: 'collation-server' },
    binlog_format: { option: 'binlog-format' },
    transaction_isolation: { option: 'transaction-isolation' },
    // No time zone tables are loaded locally: UTC as its offset.
    time_zone: { option: 'default-time-zone', value: (v) => (v === '+00:00' ? 'UTC' : v) },
    require_secure_transport: { option: 'require-secure-transport', value: (v) => (v === 'ON' ? '1' : v) },
  };

describe('the local MySQL settings', () => {
  it('are the parameter group’s, every one of them', () => {
    const file = readFileSync(new URL('../../../scripts/services/mysql-server.cnf', import.meta.url), 'utf8');
    const options = new Map(
      file
        .split('\n')
        .filter((line) => /^[a-z-]+=/.test(line))
        .map((line) => line.split('=', 2) as [string, string]),
    );
    for (const [name, wanted] of Object.entries(MYSQL_SERVER_SETTINGS)) {
      const { option, value = (v: string) => v } = IN_FILE[name as keyof typeof MYSQL_SERVER_SETTINGS];
      expect(options.has(option), `${option} in mysql-server.cnf`).toBe(true);
      expect(value(options.get(option)!), name).toBe(wanted);
    }
  });
});
