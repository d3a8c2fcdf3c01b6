/** Renames, constants, lookup joins and string functions into event tables. */
import { type Case, VIEW_PRODUCT } from './case.ts';

export const COLUMNS: Case[] = [
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
];
