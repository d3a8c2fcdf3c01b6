/**
 * The MySQL server settings every environment pins, one source for two places: the RDS parameter
 * group (infra/lib/database/instance.ts, which adds the log settings of each environment) and the local
 * MariaDB start-up (scripts/services.sh), which mirrors them so tests run under the same rules.
 * Names and values are MySQL 8.4's as an RDS for MySQL parameter group takes them (`1` for ON);
 * a local server that spells one differently (MariaDB 10.11 knows `transaction_isolation` as
 * `tx_isolation`) maps the name, not the value.
 *
 * Why each, and what depends on it:
 * - `sql_mode`: strict. The handler dead-letters a value the database refuses; without strict mode
 *   MySQL truncates or zeroes it with a warning and stores it (docs/architecture.md, "Nothing
 *   lost"). MySQL 8.4's own default is this list plus ONLY_FULL_GROUP_BY, which we leave out: it
 *   constrains ad hoc queries, not what the sink writes, and MariaDB's default lacks it too.
 * - `character_set_server`, `collation_server`: utf8mb4 and the collation the schema's tables
 *   name as their default (db/migrations: `COLLATE=utf8mb4_unicode_ci`; every key column names its
 *   own `_bin` collation). MySQL 8.4's default, utf8mb4_0900_ai_ci, exists in neither MariaDB 10.11
 *   nor the schema, so a table or database created without a collation would differ between
 *   production and tests.
 * - `binlog_format`: ROW. READ COMMITTED refuses to write statement-based binary logs
 *   (https://dev.mysql.com/doc/refman/8.4/en/innodb-transaction-isolation-levels.html). RDS's
 *   default is ROW already; pinned so that nobody's parameter change breaks every write. The
 *   variable is deprecated since MySQL 8.0.34 but still read by 8.4.
 * - `transaction_isolation`: READ-COMMITTED, the level the sink's locking is designed for, so
 *   the functions need not SET it per session (a session SET pins the connection in RDS Proxy:
 *   https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/rds-proxy-pinning.html).
 * - `time_zone`: UTC, for the same reason (TIMESTAMP/NOW() in UTC without a session SET). RDS
 *   takes named zones here: https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/MySQL.Concepts.LocalTimeZone.html
 * - `require_secure_transport`: 1, the value an RDS for MySQL parameter group takes ("set the
 *   require_secure_transport parameter to 1 (ON)":
 *   https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/mysql-ssl-connections.require-ssl.html).
 *   The functions connect with DB_TLS=rds.
 */
export const MYSQL_SERVER_SETTINGS = {
  sql_mode:
    'STRICT_TRANS_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION',
  character_set_server: 'utf8mb4',
  collation_server: 'utf8mb4_unicode_ci',
  binlog_format: 'ROW',
  transaction_isolation: 'READ-COMMITTED',
  time_zone: 'UTC',
  require_secure_transport: '1',
} as const satisfies Record<string, string>;

export type MysqlServerSetting = keyof typeof MYSQL_SERVER_SETTINGS;
