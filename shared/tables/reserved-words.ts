/**
 * Words a table or column may not be named (defineTable refuses them). The sink quotes every
 * identifier it sends (shared/tables/dialect.ts), but people, migrations, dimension reads and ad hoc
 * queries write names bare, and a reserved word used bare is a syntax error — on the server that
 * reserves it, perhaps only after an upgrade. So the names stay plain.
 *
 * MySQL 8.4's reserved words: the words marked (R) in "Keywords and Reserved Words in MySQL 8.4"
 * (https://dev.mysql.com/doc/mysqld-version-reference/en/keywords-8-4.html; the 8.4 manual, 11.3
 * "Keywords and Reserved Words", https://dev.mysql.com/doc/refman/8.4/en/keywords.html), which adds
 * MANUAL, PARALLEL, QUALIFY and TABLESAMPLE to 8.0's list and no longer reserves MASTER_BIND and
 * MASTER_SSL_VERIFY_SERVER_CERT. (information_schema.KEYWORDS is not a reliable source: 8.4 marks
 * CUBE, MANUAL, PARALLEL, QUALIFY and TABLESAMPLE unreserved, https://bugs.mysql.com/bug.php?id=114874.)
 * The local and test server is MariaDB 10.11, so its own reserved words are refused too
 * (https://mariadb.com/kb/en/reserved-words/).
 */

const MYSQL_8_4 = `
accessible add all alter analyze and as asc asensitive
before between bigint binary blob both by
call cascade case change char character check collate column condition constraint continue convert
create cross cube cume_dist current_date current_time current_timestamp current_user cursor
database databases day_hour day_microsecond day_minute day_second dec decimal declare default
delayed delete dense_rank desc describe deterministic distinct distinctrow div double drop dual
each else elseif empty enclosed escaped except exists exit explain
false fetch first_value float float4 float8 for force foreign from fulltext function
generated get grant group grouping groups
having high_priority hour_microsecond hour_minute hour_second
if ignore in index infile inner inout insensitive insert int int1 int2 int3 int4 int8 integer
intersect interval into io_after_gtids io_before_gtids is iterate
join json_table
key keys kill
lag last_value lateral lead leading leave left like limit linear lines load localtime
localtimestamp lock long longblob longtext loop low_priority
manual match maxvalue mediumblob mediumint mediumtext middleint minute_microsecond minute_second
mod modifies
natural not no_write_to_binlog nth_value ntile null numeric
of on optimize optimizer_costs option optionally or order out outer outfile over
parallel partition percent_rank precision primary procedure purge
qualify
range rank read reads read_write real recursive references regexp release rename repeat replace
require resignal restrict return revoke right rlike row rows row_number
schema schemas second_microsecond select sensitive separator set show signal smallint spatial
specific sql sqlexception sqlstate sqlwarning sql_big_result sql_calc_found_rows sql_small_result
ssl starting stored straight_join system
table tablesample terminated then tinyblob tinyint tinytext to trailing trigger true
undo union unique unlock unsigned update usage use using utc_date utc_time utc_timestamp
values varbinary varchar varcharacter varying virtual
when where while window with write
xor
year_month
zerofill
_filename
`;

/** MariaDB 10.11's reserved words that MySQL 8.4 does not reserve. */
const MARIADB_10_11 = `
current_role delete_domain_id do_domain_ids general ignore_domain_ids ignore_server_ids
master_heartbeat_period master_ssl_verify_server_cert offset page_checksum parse_vcol_expr
ref_system_id returning slow stats_auto_recalc stats_persistent stats_sample_pages
`;

const words = (list: string) => list.trim().split(/\s+/);

/** MySQL 8.4's reserved words, lower case. */
export const MYSQL_RESERVED_WORDS: ReadonlySet<string> = new Set(words(MYSQL_8_4));

/** Every word refused as a name: MySQL 8.4's reserved words and MariaDB 10.11's, lower case. */
export const RESERVED_WORDS: ReadonlySet<string> = new Set([...words(MYSQL_8_4), ...words(MARIADB_10_11)]);

export function isReservedWord(name: string): boolean {
  return RESERVED_WORDS.has(name.toLowerCase());
}
