/** Exactly once for event rows, and the event-table constructs refused here but accepted by Flink. */
import { type Case, PAY_TS } from './case.ts';

export const EVENTS: Case[] = [
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
