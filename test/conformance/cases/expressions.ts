/** NULL handling, conditions, WHERE, CAST and arithmetic into event tables. */
import { type Case, VIEW_PRODUCT } from './case.ts';

export const EXPRESSIONS: Case[] = [
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
];
