/**
 * GROUP BY aggregates into the suite's state tables (../tables.ts), without windows: Flink's
 * updating result (its changelog applied per key) against the project's rows after its merges.
 * Where both differ on purpose the case names the row (`differs`): a redelivered event is absorbed
 * here (docs/sql.md, "Exactly once, by event id"), and a SUM that saw no value is 0 here (a counter
 * merged by adding) where Flink's is NULL.
 */
import { type Case, EVENTS_WHY } from './case.ts';

/** Flink's deduplication query (keep the first row per eventId): what absorbs a redelivery there. */
const dedup = (type: string) =>
  `(SELECT * FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY eventId ORDER BY proc_time) AS rn FROM ${type}) WHERE rn = 1)`;

/** Several event types as one Flink table: what `FROM events e WHERE type IN (…)` reads here. */
const union = (columns: string, ...types: string[]) =>
  `(${types.map((t) => `SELECT ${columns} FROM ${t} e`).join(' UNION ALL ')})`;

const ORDER_UNION = union(
  'e.orderId AS orderId, e.`type` AS t, CAST(e.amount AS DECIMAL(18, 4)) AS amount',
  'order_create',
  'order_pay',
);

export const AGGREGATES: Case[] = [
  // ---------------------------------------------------------------------------- COUNT and SUM
  {
    id: 'agg_count_star',
    construct: 'GROUP BY key, COUNT(*) (merge add)',
    sql: `INSERT INTO conformance_sums
SELECT e.userId AS k, COUNT(*) AS n FROM order_pay e GROUP BY e.userId`,
  },
  {
    id: 'agg_count_duplicate',
    construct: 'COUNT(*) over a redelivered event (same eventId)',
    sql: `INSERT INTO conformance_sums
SELECT e.userId AS k, COUNT(*) AS n FROM user_view e GROUP BY e.userId`,
    why: 'a redelivered event is absorbed by its eventId here and merges nothing; Flink counts every record it reads',
    differs: [{ key: { k: 'u2' }, project: { n: 1 }, flink: { n: 2 } }],
  },
  {
    id: 'agg_count_dedup',
    construct: "COUNT(*) equals Flink's after Flink's deduplication by eventId",
    sql: `INSERT INTO conformance_sums
SELECT e.userId AS k, COUNT(*) AS n FROM user_view e GROUP BY e.userId`,
    flink: `INSERT INTO conformance_sums
SELECT e.userId AS k, COUNT(*) AS n FROM ${dedup('user_view')} e GROUP BY e.userId`,
    why: "exactly once by eventId here is Flink's ROW_NUMBER deduplication query there",
  },
  {
    id: 'agg_sum_decimal',
    construct: 'SUM(DECIMAL) exact, with COUNT(*)',
    sql: `INSERT INTO conformance_sums
SELECT e.userId AS k, COUNT(*) AS n, SUM(e.amount) AS total FROM order_create e GROUP BY e.userId`,
  },
  {
    id: 'agg_sum_int',
    construct: 'SUM(INT) into BIGINT',
    sql: `INSERT INTO conformance_sums
SELECT e.productId AS k, SUM(e.quantity) AS int_total FROM order_create e GROUP BY e.productId`,
  },
  {
    id: 'agg_sum_null',
    construct: 'SUM of a field that is NULL in every event of a key',
    sql: `INSERT INTO conformance_sums
SELECT e.userId AS k, SUM(e.durationMs) AS int_total FROM user_view e GROUP BY e.userId`,
    flink: `INSERT INTO conformance_sums
SELECT e.userId AS k, SUM(e.durationMs) AS int_total FROM ${dedup('user_view')} e GROUP BY e.userId`,
    why: 'a SUM that saw no value is 0 here (the counter adds 0); Flink’s SUM of only NULLs is NULL',
    differs: [{ key: { k: 'u2' }, project: { int_total: 0 }, flink: { int_total: null } }],
  },
  {
    id: 'agg_sum_expression',
    construct: 'SUM of an expression (DECIMAL * INT)',
    sql: `INSERT INTO conformance_sums
SELECT e.userId AS k, SUM(CAST(e.amount * e.quantity AS DECIMAL(18, 4))) AS total FROM order_create e GROUP BY e.userId`,
    why: 'the one product of u-missing overflows DECIMAL(18, 4) (NULL on both sides); a SUM that saw no value is 0 here, NULL in Flink',
    differs: [{ key: { k: 'u-missing' }, project: { total: 0 }, flink: { total: null } }],
  },
  // ---------------------------------------------------------------- several types, FILTER by type
  {
    id: 'agg_events_type_filter',
    construct: 'FROM events WHERE type IN (…), COUNT(*) and SUM FILTER (WHERE type = …)',
    sql: `INSERT INTO conformance_sums
SELECT e.orderId AS k, COUNT(*) FILTER (WHERE type = 'order_pay') AS n,
       COUNT(*) FILTER (WHERE type = 'order_create') AS n2, SUM(e.amount) FILTER (WHERE type = 'order_pay') AS total
FROM events e WHERE type IN ('order_create', 'order_pay') GROUP BY e.orderId`,
    flink: `INSERT INTO conformance_sums
SELECT orderId AS k, COUNT(*) FILTER (WHERE t = 'order_pay') AS n, COUNT(*) FILTER (WHERE t = 'order_create') AS n2,
       SUM(amount) FILTER (WHERE t = 'order_pay') AS total
FROM ${ORDER_UNION} GROUP BY orderId`,
    why: EVENTS_WHY,
  },
  {
    id: 'agg_events_case_sum',
    construct: 'SUM(CASE WHEN type = … THEN x END), a key no event of the type reached',
    sql: `INSERT INTO conformance_sums
SELECT e.orderId AS k, COUNT(*) AS n, SUM(CASE WHEN type = 'order_create' THEN e.amount END) AS total2
FROM events e WHERE type IN ('order_create', 'order_pay') GROUP BY e.orderId`,
    flink: `INSERT INTO conformance_sums
SELECT orderId AS k, COUNT(*) AS n, SUM(CASE WHEN t = 'order_create' THEN amount END) AS total2
FROM ${ORDER_UNION} GROUP BY orderId`,
    why: `${EVENTS_WHY}; a SUM that saw no value (o7 was paid, never created) is 0 here, NULL in Flink`,
    differs: [{ key: { k: 'o7' }, project: { n: 1, total2: 0 }, flink: { n: 1, total2: null } }],
  },
  {
    id: 'agg_events_case_count',
    construct: 'COUNT(CASE WHEN type = … THEN 1 END)',
    sql: `INSERT INTO conformance_sums
SELECT e.orderId AS k, COUNT(CASE WHEN type = 'order_cancel' THEN 1 END) AS n, COUNT(*) AS n2
FROM events e WHERE type IN ('order_create', 'order_cancel') GROUP BY e.orderId`,
    flink: `INSERT INTO conformance_sums
SELECT orderId AS k, COUNT(CASE WHEN t = 'order_cancel' THEN 1 END) AS n, COUNT(*) AS n2
FROM ${union('e.orderId AS orderId, e.`type` AS t', 'order_create', 'order_cancel')} GROUP BY orderId`,
    why: EVENTS_WHY,
  },
  {
    id: 'agg_events_one_type',
    construct: "FROM events WHERE type = '…'",
    sql: `INSERT INTO conformance_sums
SELECT e.userId AS k, COUNT(*) AS n, SUM(e.amount) AS total FROM events e WHERE type = 'user_purchase' GROUP BY e.userId`,
    flink: `INSERT INTO conformance_sums
SELECT e.userId AS k, COUNT(*) AS n, SUM(e.amount) AS total FROM user_purchase e GROUP BY e.userId`,
    why: EVENTS_WHY,
  },
  // ------------------------------------------------------------------------------- keys
  {
    id: 'agg_two_keys',
    construct: 'GROUP BY two payload fields',
    sql: `INSERT INTO conformance_sums2
SELECT e.userId AS k, e.productId AS k2, COUNT(*) AS n, SUM(e.amount) AS total
FROM order_create e GROUP BY e.userId, e.productId`,
  },
  {
    id: 'agg_lookup_key',
    construct: 'GROUP BY a looked-up dimension column (COALESCE for a missing row)',
    sql: `INSERT INTO conformance_sums2
SELECT e.productId AS k, COALESCE(p.category, 'none') AS k2, COUNT(*) AS n, SUM(e.amount) AS total
FROM order_create e
LEFT JOIN dim_product FOR SYSTEM_TIME AS OF e.proc_time AS p ON p.product_id = e.productId
GROUP BY e.productId, COALESCE(p.category, 'none')`,
  },
  {
    id: 'agg_lookup_user_key',
    construct: 'GROUP BY a payload field and a user dimension column',
    sql: `INSERT INTO conformance_sums2
SELECT e.userId AS k, COALESCE(u.region, '?') AS k2, COUNT(*) AS n, SUM(e.amount) AS total
FROM order_pay e
LEFT JOIN dim_user FOR SYSTEM_TIME AS OF e.proc_time AS u ON u.user_id = e.userId
GROUP BY e.userId, COALESCE(u.region, '?')`,
  },
  // ---------------------------------------------------------------------------- LAST_VALUE
  {
    id: 'agg_last_value_lookup',
    construct: 'LAST_VALUE of dimension columns (a missing row: NULL)',
    sql: `INSERT INTO conformance_lasts
SELECT e.userId AS k, LAST_VALUE(u.user_name) AS v, LAST_VALUE(u.user_level) AS v2
FROM user_login e
LEFT JOIN dim_user FOR SYSTEM_TIME AS OF e.proc_time AS u ON u.user_id = e.userId
GROUP BY e.userId`,
  },
  {
    id: 'agg_last_value_kinds',
    construct: 'LAST_VALUE of values never NULL into text, DECIMAL and DATETIME columns (merge newest)',
    sql: `INSERT INTO conformance_latest_typed
SELECT e.userId AS k, LAST_VALUE(e.payMethod) AS v, LAST_VALUE(e.amount) AS amount,
       LAST_VALUE(TO_TIMESTAMP_LTZ(e.payTime, 3)) AS seen_at
FROM order_pay e GROUP BY e.userId`,
    flink: `INSERT INTO conformance_latest_typed
SELECT k, v, amount, TO_TIMESTAMP_LTZ(pay_time, 3) AS seen_at FROM (
  SELECT e.userId AS k, LAST_VALUE(e.payMethod) AS v, LAST_VALUE(e.amount) AS amount, LAST_VALUE(e.payTime) AS pay_time
  FROM order_pay e GROUP BY e.userId)`,
    why: "Flink 1.20's LAST_VALUE takes no TIMESTAMP (the Flink side takes the last epoch milliseconds, then converts them)",
  },
  {
    id: 'agg_last_value_nulls',
    construct: "LAST_VALUE skips NULLs (the issue's repro: a newer cancel with no reason, an unknown user)",
    sql: `INSERT INTO conformance_lasts
SELECT e.orderId AS k, LAST_VALUE(e.reason) AS v, LAST_VALUE(u.region) AS v2
FROM order_cancel e
LEFT JOIN dim_user FOR SYSTEM_TIME AS OF e.proc_time AS u ON u.user_id = e.userId
GROUP BY e.orderId`,
  },
  // ------------------------------------------ refused here, accepted by Flink (the support table)
  {
    id: 'refused_count_distinct',
    construct: 'COUNT(DISTINCT …)',
    sql: `INSERT INTO conformance_sums
SELECT e.userId AS k, COUNT(DISTINCT e.productId) AS n FROM order_create e GROUP BY e.userId`,
    refused: /DISTINCT/,
    flinkSink: 'k STRING, n BIGINT',
  },
  {
    id: 'refused_having',
    construct: 'HAVING',
    sql: `INSERT INTO conformance_sums
SELECT e.userId AS k, COUNT(*) AS n FROM order_create e GROUP BY e.userId HAVING COUNT(*) > 1`,
    refused: /HAVING/,
    flinkSink: 'k STRING, n BIGINT',
  },
  {
    id: 'refused_legacy_tumble',
    construct: 'GROUP BY TUMBLE(time, INTERVAL …) (the legacy group window)',
    sql: `INSERT INTO conformance_sums
SELECT e.userId AS k, COUNT(*) AS n FROM order_pay e GROUP BY TUMBLE(event_time(), INTERVAL '1' MINUTE), e.userId`,
    flink: `INSERT INTO conformance_sums
SELECT e.userId AS k, COUNT(*) AS n FROM order_pay e GROUP BY TUMBLE(e.event_time, INTERVAL '1' MINUTE), e.userId`,
    refused: /TUMBLE|INTERVAL/,
    flinkSink: 'k STRING, n BIGINT',
  },
];
