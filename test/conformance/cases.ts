/**
 * The conformance cases: Flink SQL statements run by this project (`npm run sql -- run`'s code)
 * and by Apache Flink 1.20 (scripts/flink) on the same events and dimension rows
 * (fixtures/events.jsonl, fixtures/dimensions.json), their rows compared.
 *
 * A case is the same statement on both sides unless it says otherwise:
 * - `flink`: the statement Flink runs instead, where the dialects differ on purpose (docs/sql.md,
 *   "From Flink SQL"); `why` says which difference.
 * - `extraFlinkRows`: rows Flink writes that the project absorbs (a redelivered event id).
 * - `refused`: the project refuses the statement (the message must match) while Flink accepts
 *   it (`flinkSink` declares its sink's columns): the support table's "refused" rows, checked.
 * - `flinkTypes`: a sink column's Flink type where the project's column kind has no Flink twin
 *   (a JSON column takes an ARRAY).
 */
export interface Case {
  id: string;
  /** What docs/sql.md's support table row it exercises. */
  construct: string;
  sql: string;
  flink?: string;
  why?: string;
  extraFlinkRows?: number;
  refused?: RegExp;
  flinkSink?: string;
  flinkTypes?: Record<string, string>;
}

const VIEW_PRODUCT = `FROM product_view e
LEFT JOIN dim_product FOR SYSTEM_TIME AS OF e.proc_time AS p ON p.product_id = e.productId`;
const PAY_TS = 'TO_TIMESTAMP_LTZ(e.payTime, 3)';

export const CASES: Case[] = [
  // ------------------------------------------------------------------ columns, renames, constants
  {
    id: 'rename',
    construct: 'INSERT INTO t SELECT, AS, a column named after its source',
    sql: `INSERT INTO product_event_wide
SELECT e.productId AS product_id, e.userId AS user_id, e.referrer FROM product_view e`,
  },
  {
    id: 'column_list',
    construct: 'INSERT INTO t (col, …) SELECT',
    sql: `INSERT INTO product_event_wide (product_id, referrer, user_id)
SELECT e.productId, e.referrer, e.userId FROM product_view AS e`,
  },
  {
    id: 'constants',
    construct: "literals: 'text', 42, TRUE in CASE, '' quotes",
    sql: `INSERT INTO product_event_wide
SELECT e.productId AS product_id, 'it''s web' AS referrer, 42 AS result_count,
       CASE WHEN TRUE THEN 'yes' END AS scene
FROM product_view e`,
  },
  {
    id: 'null_literal',
    construct: 'NULL, CAST(NULL AS …)',
    sql: `INSERT INTO product_event_wide
SELECT e.keyword, CAST(NULL AS STRING) AS scene, CAST(NULL AS INT) AS result_count FROM product_search e`,
  },
  // ------------------------------------------------------------------------------ lookup joins
  {
    id: 'lookup_product',
    construct: 'LEFT JOIN dim FOR SYSTEM_TIME AS OF e.proc_time, a missing row leaves NULLs',
    sql: `INSERT INTO product_event_wide
SELECT e.productId AS product_id, p.product_name, p.category, p.brand
${VIEW_PRODUCT}`,
  },
  {
    id: 'lookup_two',
    construct: 'two lookup joins',
    sql: `INSERT INTO product_event_wide
SELECT e.productId AS product_id, e.userId AS user_id, p.product_name, p.category, p.brand,
       u.user_name, u.user_level, u.region
${VIEW_PRODUCT}
LEFT JOIN dim_user FOR SYSTEM_TIME AS OF e.proc_time AS u ON u.user_id = e.userId`,
  },
  {
    id: 'lookup_plain_left_join',
    construct: 'LEFT JOIN dim d ON d.key = e.field (no FOR SYSTEM_TIME)',
    sql: `INSERT INTO product_event_wide
SELECT e.userId AS user_id, e.keyword, u.user_name, u.region
FROM product_search e LEFT JOIN dim_user u ON u.user_id = e.userId`,
    flink: `INSERT INTO product_event_wide
SELECT e.userId AS user_id, e.keyword, u.user_name, u.region
FROM product_search e LEFT JOIN dim_user FOR SYSTEM_TIME AS OF e.proc_time AS u ON u.user_id = e.userId`,
    why: 'a plain LEFT JOIN of a dimension is a lookup join here; Flink needs FOR SYSTEM_TIME AS OF to read a lookup table',
  },
  {
    id: 'lookup_expressions',
    construct: 'dimension columns in expressions',
    sql: `INSERT INTO product_event_wide
SELECT e.productId AS product_id, UPPER(COALESCE(p.brand, 'unbranded')) AS brand,
       CAST(CONCAT_WS(' / ', p.category, p.product_name) AS VARCHAR(255)) AS product_name
${VIEW_PRODUCT}`,
  },
  // ----------------------------------------------------------------------------------- strings
  {
    id: 'upper_lower',
    construct: 'UPPER, LOWER',
    sql: `INSERT INTO product_event_wide
SELECT e.productId AS product_id, UPPER(e.referrer) AS referrer, LOWER(p.product_name) AS product_name
${VIEW_PRODUCT}`,
  },
  {
    id: 'concat',
    construct: 'CONCAT, || (NULL in, NULL out), CAST(… AS VARCHAR(n)) to fit the column',
    sql: `INSERT INTO product_event_wide
SELECT e.productId AS product_id, CAST(CONCAT(e.productId, '-', e.referrer) AS VARCHAR(255)) AS referrer,
       CAST(e.productId || ':' || COALESCE(e.userId, '?') AS VARCHAR(255)) AS keyword
FROM product_view e`,
  },
  {
    id: 'concat_ws',
    construct: 'CONCAT_WS (skips NULL arguments), CAST(… AS VARCHAR(n)) truncates',
    sql: `INSERT INTO product_event_wide
SELECT e.productId AS product_id, CAST(CONCAT_WS('/', e.productId, e.userId, e.referrer) AS VARCHAR(12)) AS referrer
FROM product_view e`,
  },
  {
    id: 'substring',
    construct: 'SUBSTRING(s, start, len), SUBSTR(s, start)',
    sql: `INSERT INTO product_event_wide
SELECT e.keyword, SUBSTRING(e.keyword, 2, 3) AS scene, SUBSTR(e.keyword, 3) AS referrer FROM product_search e`,
  },
  {
    id: 'trim',
    construct: 'TRIM, TRIM(LEADING|TRAILING|BOTH chars FROM s)',
    sql: `INSERT INTO product_event_wide
SELECT e.productId AS product_id, TRIM(e.referrer) AS referrer,
       TRIM(LEADING ' ' FROM e.referrer) AS keyword, TRIM(BOTH 'a' FROM TRIM(e.referrer)) AS product_name
FROM product_view e`,
  },
  {
    id: 'ltrim_rtrim',
    construct: 'LTRIM, RTRIM, TRIM(TRAILING …)',
    sql: `INSERT INTO product_event_wide
SELECT e.keyword, LTRIM(e.keyword) AS referrer, RTRIM(e.keyword) AS product_name,
       CAST(TRIM(TRAILING 'd' FROM TRIM(e.keyword)) AS VARCHAR(64)) AS category
FROM product_search e`,
  },
  {
    id: 'char_length',
    construct: 'CHAR_LENGTH (characters, not bytes)',
    sql: `INSERT INTO product_event_wide
SELECT e.productId AS product_id, e.referrer, CHAR_LENGTH(e.referrer) AS result_count FROM product_view e`,
  },
  {
    id: 'replace',
    construct: 'REPLACE',
    sql: `INSERT INTO product_event_wide
SELECT e.productId AS product_id, REPLACE(e.referrer, '-', '_') AS referrer FROM product_view e`,
  },
  {
    id: 'lpad_rpad',
    construct: 'LPAD, RPAD (pad and truncate)',
    sql: `INSERT INTO product_event_wide
SELECT e.keyword, LPAD(e.keyword, 6, '*') AS referrer, RPAD(e.keyword, 12, '.-') AS product_name
FROM product_search e`,
  },
  {
    id: 'regexp_extract',
    construct: 'REGEXP_EXTRACT(s, pattern, group)',
    sql: `INSERT INTO product_event_wide
SELECT e.productId AS product_id, REGEXP_EXTRACT(e.referrer, '([a-z]+)-([a-z]+)', 2) AS referrer,
       REGEXP_EXTRACT(e.referrer, '[0-9]+', 0) AS keyword
FROM product_view e`,
  },
  // ------------------------------------------------------------------------ NULL and conditions
  {
    id: 'coalesce_ifnull',
    construct: 'COALESCE, IFNULL',
    sql: `INSERT INTO product_event_wide
SELECT e.productId AS product_id, COALESCE(e.userId, CAST(e.referrer AS VARCHAR(64)), 'anonymous') AS user_id,
       IFNULL(e.referrer, 'direct') AS referrer
FROM product_view e`,
  },
  {
    id: 'nullif',
    construct: 'NULLIF',
    sql: `INSERT INTO product_event_wide
SELECT e.productId AS product_id, NULLIF(e.referrer, '') AS referrer, NULLIF(p.category, 'office') AS category
${VIEW_PRODUCT}`,
  },
  {
    id: 'if',
    construct: 'IF(cond, a, b)',
    sql: `INSERT INTO product_event_wide
SELECT e.productId AS product_id, IF(e.userId IS NULL, 'anonymous', 'known') AS referrer,
       IF(p.price > 10, 'premium', 'budget') AS category
${VIEW_PRODUCT}`,
  },
  {
    id: 'case_searched',
    construct: 'searched CASE, LIKE, IS NULL',
    sql: `INSERT INTO product_event_wide
SELECT e.productId AS product_id,
       CASE WHEN e.referrer LIKE 'ad-%' THEN 'ad' WHEN e.referrer IS NULL THEN 'direct' ELSE 'other' END AS referrer
FROM product_view e`,
  },
  {
    id: 'case_simple',
    construct: 'simple CASE on a dimension column',
    sql: `INSERT INTO product_event_wide
SELECT e.productId AS product_id,
       CASE p.category WHEN 'office' THEN 'O' WHEN 'home' THEN 'H' ELSE 'X' END AS category
${VIEW_PRODUCT}`,
  },
  {
    id: 'case_decimal_between',
    construct: 'CASE with BETWEEN and comparisons on DECIMAL',
    sql: `INSERT INTO order_event_wide
SELECT e.orderId AS order_id, e.userId AS user_id,
       CASE WHEN e.amount BETWEEN 10 AND 1000 THEN 'mid' WHEN e.amount > 1000 THEN 'high' ELSE 'low' END AS pay_method
FROM order_create e`,
  },
  // ------------------------------------------------------------------------------------ WHERE
  {
    id: 'where_payload',
    construct: 'WHERE on payload values (LIKE, =, OR; NULL is not TRUE)',
    sql: `INSERT INTO product_event_wide
SELECT e.productId AS product_id, e.referrer FROM product_view e
WHERE e.referrer LIKE '%ad-%' OR e.referrer = '42'`,
  },
  {
    id: 'where_dimension',
    construct: 'WHERE on dimension columns',
    sql: `INSERT INTO product_event_wide
SELECT e.productId AS product_id, p.category, p.product_name
${VIEW_PRODUCT}
WHERE p.category IS NOT NULL AND p.price > 5`,
  },
  {
    id: 'where_in_between',
    construct: 'WHERE … BETWEEN, IN, NOT IN',
    sql: `INSERT INTO product_event_wide
SELECT e.keyword, e.resultCount AS result_count FROM product_search e
WHERE (e.resultCount BETWEEN 1 AND 100 OR e.keyword IN ('ÜBER', 'x')) AND e.keyword NOT IN ('a-b-c')`,
  },
  {
    id: 'where_not',
    construct: 'NOT, NOT LIKE, <>',
    sql: `INSERT INTO product_event_wide
SELECT e.productId AS product_id, e.referrer FROM product_view e
WHERE NOT (e.referrer LIKE '%google%') AND e.productId <> 'p4' AND e.referrer NOT LIKE '4%'`,
  },
  {
    id: 'where_is_true_false',
    construct: 'IS TRUE, IS FALSE, IS NOT TRUE',
    sql: `INSERT INTO product_event_wide
SELECT e.productId AS product_id, e.referrer FROM product_view e
WHERE (e.referrer LIKE 'ad-%') IS FALSE OR (e.userId = 'u1') IS TRUE OR (e.referrer = '42') IS NOT TRUE`,
  },
  {
    id: 'like_escape',
    construct: 'LIKE … ESCAPE, _ and %',
    sql: `INSERT INTO product_event_wide
SELECT e.productId AS product_id, e.referrer FROM product_view e
WHERE e.referrer LIKE '%100!%' ESCAPE '!' OR e.referrer LIKE '_2'`,
  },
  {
    id: 'where_purchase_dimension',
    construct: 'WHERE IN on a joined user dimension, user_event_wide',
    sql: `INSERT INTO user_event_wide
SELECT e.userId AS user_id, e.orderId AS order_id, e.amount, u.user_level
FROM user_purchase e
LEFT JOIN dim_user FOR SYSTEM_TIME AS OF e.proc_time AS u ON u.user_id = e.userId
WHERE u.user_level IN ('gold', 'bronze')`,
  },
  // ----------------------------------------------------------------------------------- CAST
  {
    id: 'cast_to_string',
    construct: 'CAST(x AS STRING), CAST(x AS VARCHAR(n))',
    sql: `INSERT INTO product_event_wide
SELECT CAST(e.resultCount AS STRING) AS keyword, CAST(e.keyword AS VARCHAR(3)) AS scene FROM product_search e`,
  },
  {
    id: 'cast_bad_text',
    construct: 'CAST(text AS INT): text that is no number',
    sql: `INSERT INTO product_event_wide
SELECT e.productId AS product_id, e.referrer, CAST(e.referrer AS INT) AS result_count FROM product_view e`,
    flink: `INSERT INTO product_event_wide
SELECT e.productId AS product_id, e.referrer, TRY_CAST(e.referrer AS INT) AS result_count FROM product_view e`,
    why: "a CAST of text that is no number is NULL here (docs/sql.md: errors do not fail the job); Flink's CAST fails the job, its TRY_CAST is NULL",
  },
  {
    id: 'cast_decimal_round',
    construct: 'CAST(x AS DECIMAL(p, s)) rounds HALF_UP',
    sql: `INSERT INTO order_event_wide
SELECT e.orderId AS order_id, e.userId AS user_id, CAST(e.amount AS DECIMAL(10, 2)) AS amount FROM order_create e`,
  },
  {
    id: 'cast_bigint_boolean',
    construct: 'CAST AS BIGINT, BOOLEAN, DOUBLE',
    sql: `INSERT INTO product_event_wide
SELECT e.keyword, CAST(CAST(e.resultCount AS BIGINT) * 3 AS STRING) AS referrer,
       CAST(CAST(e.resultCount > 10 AS BOOLEAN) AS STRING) AS scene,
       CAST(CAST(e.resultCount AS DOUBLE) / 4 AS STRING) AS category
FROM product_search e`,
  },
  {
    id: 'cast_timestamp',
    construct: "TIMESTAMP literal, CAST('…' AS TIMESTAMP(3))",
    sql: `INSERT INTO order_event_wide
SELECT e.orderId AS order_id, e.userId AS user_id,
       CASE WHEN e.payTime > 1717000000000 THEN TIMESTAMP '2024-06-01 00:00:00'
            ELSE CAST('2020-02-29 13:14:15.5' AS TIMESTAMP(3)) END AS pay_time
FROM order_pay e`,
  },
  {
    id: 'if_timestamp_precision',
    construct: 'IF over TIMESTAMP(0) and TIMESTAMP(3)',
    sql: `INSERT INTO order_event_wide
SELECT e.orderId AS order_id, e.userId AS user_id,
       IF(e.payTime > 1717000000000, TIMESTAMP '2024-06-01 00:00:00', CAST('2020-02-29 13:14:15.5' AS TIMESTAMP(3))) AS pay_time
FROM order_pay e`,
    flink: `INSERT INTO order_event_wide
SELECT e.orderId AS order_id, e.userId AS user_id,
       IF(e.payTime > 1717000000000, CAST(TIMESTAMP '2024-06-01 00:00:00' AS TIMESTAMP(3)), CAST('2020-02-29 13:14:15.5' AS TIMESTAMP(3))) AS pay_time
FROM order_pay e`,
    why: "Flink 1.20's IF takes its THEN argument's type (TIMESTAMP(0) here) and drops the ELSE value's milliseconds (.500 → .000); the project types IF as CASE, with the common type TIMESTAMP(3)",
  },
  // ------------------------------------------------------------------------------ arithmetic
  {
    id: 'int_arithmetic',
    construct: '+ - * % and unary - on INT',
    sql: `INSERT INTO order_event_wide
SELECT e.orderId AS order_id, e.userId AS user_id, e.quantity * 2 + 1 - e.quantity % 5 AS quantity,
       CAST(-e.quantity AS STRING) AS pay_method
FROM order_create e`,
  },
  {
    id: 'decimal_multiply',
    construct: 'DECIMAL * INT, exact; CAST to the column (overflow: NULL)',
    sql: `INSERT INTO order_event_wide
SELECT e.orderId AS order_id, e.userId AS user_id, CAST(e.amount * e.quantity AS DECIMAL(18, 4)) AS amount
FROM order_create e`,
  },
  {
    id: 'decimal_divide',
    construct: "DECIMAL / INT with Flink's result scale, then HALF_UP",
    sql: `INSERT INTO order_event_wide
SELECT e.orderId AS order_id, e.userId AS user_id, CAST(e.amount / e.quantity AS DECIMAL(18, 4)) AS amount,
       CAST(e.amount / 3 AS STRING) AS pay_method
FROM order_create e`,
  },
  {
    id: 'decimal_price_lookup',
    construct: 'dimension DECIMAL * payload INT, + and - on DECIMAL',
    sql: `INSERT INTO order_event_wide
SELECT e.orderId AS order_id, e.userId AS user_id, e.quantity,
       CAST(p.price * e.quantity - e.amount + 0.5 AS DECIMAL(18, 4)) AS amount
FROM order_create e
LEFT JOIN dim_product FOR SYSTEM_TIME AS OF e.proc_time AS p ON p.product_id = e.productId`,
  },
  {
    id: 'decimal_literals',
    construct: '2.50 (exact DECIMAL literal), DECIMAL + DECIMAL',
    sql: `INSERT INTO order_event_wide
SELECT e.orderId AS order_id, e.userId AS user_id, CAST(e.amount + 2.50 AS DECIMAL(18, 4)) AS amount,
       CAST(e.amount * 0.1 AS STRING) AS pay_method
FROM order_pay e`,
  },
  // ------------------------------------------------------------------------------ date and time
  {
    id: 'to_timestamp_ltz',
    construct: 'TO_TIMESTAMP_LTZ(ms, 3) into a DATETIME column',
    sql: `INSERT INTO order_event_wide
SELECT e.orderId AS order_id, e.userId AS user_id, ${PAY_TS} AS pay_time, e.payMethod AS pay_method
FROM order_pay e`,
  },
  {
    id: 'to_timestamp_ltz_seconds',
    construct: 'TO_TIMESTAMP_LTZ(s, 0)',
    sql: `INSERT INTO order_event_wide
SELECT e.orderId AS order_id, e.userId AS user_id, TO_TIMESTAMP_LTZ(e.payTime / 1000, 0) AS pay_time
FROM order_pay e`,
  },
  {
    id: 'date_format',
    construct: 'DATE_FORMAT(ts, fmt), UTC',
    sql: `INSERT INTO order_event_wide
SELECT e.orderId AS order_id, e.userId AS user_id, DATE_FORMAT(${PAY_TS}, 'yyyy-MM-dd HH:mm:ss') AS pay_method,
       DATE_FORMAT(${PAY_TS}, 'yyyyMMdd''T''HHmm.SSS') AS cancel_reason
FROM order_pay e`,
  },
  {
    id: 'extract_ymd',
    construct: 'EXTRACT(unit FROM ts), YEAR, MONTH, DAYOFMONTH',
    sql: `INSERT INTO order_event_wide
SELECT e.orderId AS order_id, e.userId AS user_id,
       CAST(EXTRACT(YEAR FROM ${PAY_TS}) * 10000 + MONTH(${PAY_TS}) * 100 + DAYOFMONTH(${PAY_TS}) AS INT) AS quantity
FROM order_pay e`,
  },
  {
    id: 'extract_hms',
    construct: 'HOUR, MINUTE, SECOND',
    sql: `INSERT INTO order_event_wide
SELECT e.orderId AS order_id, e.userId AS user_id,
       CAST(HOUR(${PAY_TS}) * 3600 + MINUTE(${PAY_TS}) * 60 + SECOND(${PAY_TS}) AS INT) AS quantity
FROM order_pay e`,
  },
  {
    id: 'extract_calendar',
    construct: 'QUARTER, WEEK, DAYOFWEEK, DAYOFYEAR',
    sql: `INSERT INTO order_event_wide
SELECT e.orderId AS order_id, e.userId AS user_id,
       CONCAT_WS('-', CAST(QUARTER(${PAY_TS}) AS STRING), CAST(WEEK(${PAY_TS}) AS STRING),
                 CAST(DAYOFWEEK(${PAY_TS}) AS STRING), CAST(DAYOFYEAR(${PAY_TS}) AS STRING)) AS pay_method
FROM order_pay e`,
  },
  {
    id: 'from_unixtime',
    construct: 'FROM_UNIXTIME(s), FROM_UNIXTIME(s, fmt)',
    sql: `INSERT INTO order_event_wide
SELECT e.orderId AS order_id, e.userId AS user_id, FROM_UNIXTIME(e.payTime / 1000) AS pay_method,
       FROM_UNIXTIME(e.payTime / 1000, 'dd/MM/yyyy HH:mm') AS cancel_reason
FROM order_pay e`,
  },
  {
    id: 'login_time',
    construct: 'user_event_wide: TO_TIMESTAMP_LTZ, UPPER, lookups',
    sql: `INSERT INTO user_event_wide
SELECT e.userId AS user_id, TO_TIMESTAMP_LTZ(e.loginTime, 3) AS login_time, UPPER(e.device) AS device, e.ip,
       u.user_name, u.user_level, u.region
FROM user_login e
LEFT JOIN dim_user FOR SYSTEM_TIME AS OF e.proc_time AS u ON u.user_id = e.userId`,
  },
  {
    id: 'envelope',
    construct: 'event_time(), event_id(), event_type() (the envelope)',
    sql: `INSERT INTO product_event_wide
SELECT e.keyword, DATE_FORMAT(event_time(), 'yyyy-MM-dd HH:mm:ss.SSS') AS referrer, event_id() AS scene,
       event_type() AS category
FROM product_search e`,
    flink: `INSERT INTO product_event_wide
SELECT e.keyword, DATE_FORMAT(e.event_time, 'yyyy-MM-dd HH:mm:ss.SSS') AS referrer, e.eventId AS scene,
       e.\`type\` AS category
FROM product_search e`,
    why: 'the envelope is read through functions here, never a column that could collide with a payload field; the Flink source declares it as columns',
  },
  // ------------------------------------------------------------------------- JSON and arrays
  {
    id: 'json_value',
    construct: "JSON_VALUE(json, '$.path')",
    sql: `INSERT INTO product_event_wide
SELECT e.productId AS product_id, JSON_VALUE(e.referrer, '$.campaign') AS referrer,
       JSON_VALUE(e.referrer, '$.slot.rank') AS keyword, JSON_VALUE(e.referrer, '$.tags[1]') AS scene
FROM product_view e`,
  },
  {
    id: 'array_subscript',
    construct: 'e.items[1] (1-based), beyond the end: NULL; CARDINALITY',
    sql: `INSERT INTO product_event_wide
SELECT e.userId AS user_id, e.productIds[1] AS product_id, e.productIds[2] AS referrer,
       CARDINALITY(e.productIds) AS result_count
FROM product_recommend e`,
  },
  {
    id: 'array_into_json',
    construct: 'an array into a JSON column',
    sql: `INSERT INTO product_event_wide
SELECT e.userId AS user_id, e.scene, e.productIds AS recommended_product_ids FROM product_recommend e`,
    flinkTypes: { recommended_product_ids: 'ARRAY<STRING>' },
  },
  {
    id: 'json_literal',
    construct: 'a string literal into a JSON column is the JSON it spells',
    sql: `INSERT INTO product_event_wide
SELECT e.userId AS user_id, '{"source": "rec", "v": [1, 2]}' AS recommended_product_ids FROM product_recommend e`,
  },
  {
    id: 'array_lookup',
    construct: 'an array element as a lookup key',
    sql: `INSERT INTO product_event_wide
SELECT e.userId AS user_id, e.productIds[1] AS product_id, u.user_name, u.region
FROM product_recommend e
LEFT JOIN dim_user FOR SYSTEM_TIME AS OF e.proc_time AS u ON u.user_id = e.userId`,
  },
  // ------------------------------------------------------------------------------ exactly once
  {
    id: 'duplicate_event_id',
    construct: 'a redelivered event (same eventId)',
    sql: `INSERT INTO user_event_wide
SELECT e.userId AS user_id, e.page, e.productId AS product_id, e.durationMs AS duration_ms FROM user_view e`,
    extraFlinkRows: 1,
    why: 'event rows are written once per eventId here (a duplicate is absorbed); Flink writes every record it reads',
  },
  {
    id: 'purchase_currency',
    construct: 'DECIMAL payload into DECIMAL, COALESCE into CHAR(3)',
    sql: `INSERT INTO user_event_wide
SELECT e.userId AS user_id, e.orderId AS order_id, e.productId AS product_id, e.amount,
       COALESCE(e.currency, 'XXX') AS currency
FROM user_purchase e`,
  },
  {
    id: 'cancel_reason',
    construct: 'optional payload field, CHAR_LENGTH in CASE',
    sql: `INSERT INTO order_event_wide
SELECT e.orderId AS order_id, e.userId AS user_id,
       CASE WHEN CHAR_LENGTH(e.reason) > 15 THEN UPPER(e.reason) ELSE e.reason END AS cancel_reason
FROM order_cancel e`,
  },
  // ------------------------------------------ refused here, accepted by Flink (the support table)
  {
    id: 'inner_join',
    construct: 'JOIN (inner lookup join): an event without its dimension row writes no row here',
    sql: `INSERT INTO product_event_wide
SELECT e.productId AS product_id, p.product_name
FROM product_view e JOIN dim_product FOR SYSTEM_TIME AS OF e.proc_time AS p ON p.product_id = e.productId`,
  },
  {
    id: 'union_all',
    construct: 'UNION ALL across event types',
    sql: `INSERT INTO product_event_wide
SELECT e.userId AS user_id FROM product_view e
UNION ALL
SELECT e.userId AS user_id FROM product_search e`,
  },
  {
    id: 'refused_now',
    construct: 'CURRENT_TIMESTAMP (nondeterministic)',
    sql: `INSERT INTO order_event_wide
SELECT e.orderId AS order_id, e.userId AS user_id, CURRENT_TIMESTAMP AS pay_time FROM order_pay e`,
    refused: /replay/i,
    flinkSink: 'order_id STRING, user_id STRING, pay_time TIMESTAMP(3)',
  },
  {
    id: 'refused_interval',
    construct: 'INTERVAL',
    sql: `INSERT INTO order_event_wide
SELECT e.orderId AS order_id, e.userId AS user_id, ${PAY_TS} + INTERVAL '1' DAY AS pay_time FROM order_pay e`,
    refused: /interval/i,
    flinkSink: 'order_id STRING, user_id STRING, pay_time TIMESTAMP(3)',
  },
  {
    id: 'refused_substring_from_for',
    construct: 'SUBSTRING(s FROM a FOR b)',
    sql: `INSERT INTO product_event_wide
SELECT SUBSTRING(e.keyword FROM 2 FOR 3) AS keyword FROM product_search e`,
    refused: /./,
    flinkSink: 'keyword STRING',
  },
  {
    id: 'refused_json_value_returning',
    construct: 'JSON_VALUE … RETURNING',
    sql: `INSERT INTO product_event_wide
SELECT e.productId AS product_id, JSON_VALUE(e.referrer, '$.slot.rank' RETURNING INT) AS result_count
FROM product_view e`,
    refused: /./,
    flinkSink: 'product_id STRING, result_count INT',
  },
  {
    id: 'refused_lookup_on_non_key',
    construct: 'a join not on the dimension key',
    sql: `INSERT INTO product_event_wide
SELECT e.productId AS product_id, p.category
FROM product_view e
LEFT JOIN dim_product FOR SYSTEM_TIME AS OF e.proc_time AS p ON p.product_name = e.referrer`,
    refused: /key/i,
    flinkSink: 'product_id STRING, category STRING',
  },
];
