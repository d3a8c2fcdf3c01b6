/** Date and time, JSON and array functions into event tables. */
import { type Case, PAY_TS } from './case.ts';

export const TIME_JSON: Case[] = [
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
];
