/**
 * Aggregates of values, without windows: COUNT(col), MIN, MAX, FIRST_VALUE, FILTER on a payload
 * predicate and WHERE before GROUP BY (LAST_VALUE: aggregates.ts; AVG is refused), into
 * the suite's state tables (../tables.ts). A SUM that saw no value is 0 here, NULL in Flink
 * (`differs`).
 */
import { type Case, EVENTS_WHY } from './case.ts';

export const VALUES: Case[] = [
  // ---------------------------------------------------------------------------------- COUNT(col)
  {
    id: 'val_count_col',
    construct: 'COUNT(col): the events whose value is not NULL',
    sql: `INSERT INTO conformance_sums
SELECT e.orderId AS k, COUNT(e.reason) AS n, COUNT(*) AS n2 FROM order_cancel e GROUP BY e.orderId`,
  },
  {
    id: 'val_count_dimension',
    construct: 'COUNT(dimension column): a missing row or a NULL column counts nothing',
    sql: `INSERT INTO conformance_sums
SELECT e.userId AS k, COUNT(u.region) AS n, COUNT(u.user_name) AS n2
FROM order_pay e
LEFT JOIN dim_user FOR SYSTEM_TIME AS OF e.proc_time AS u ON u.user_id = e.userId
GROUP BY e.userId`,
  },
  // ------------------------------------------------------------------------------- MIN and MAX
  {
    id: 'val_min_max_decimal',
    construct: 'MIN, MAX of a DECIMAL (merges min, max)',
    sql: `INSERT INTO conformance_extremes
SELECT e.userId AS k, MIN(e.amount) AS lo, MAX(e.amount) AS hi FROM order_pay e GROUP BY e.userId`,
  },
  {
    id: 'val_min_max_int',
    construct: 'MIN, MAX of an INT',
    sql: `INSERT INTO conformance_extremes
SELECT e.userId AS k, MIN(e.quantity) AS lo, MAX(e.quantity) AS hi FROM order_create e GROUP BY e.userId`,
  },
  {
    id: 'val_min_max_nullable',
    construct: 'MIN, MAX of an optional field (NULLs skipped; all NULL: NULL)',
    sql: `INSERT INTO conformance_extremes
SELECT e.userId AS k, MIN(e.durationMs) AS lo, MAX(e.durationMs) AS hi FROM user_view e GROUP BY e.userId`,
  },
  {
    id: 'val_min_max_time',
    construct: 'MIN, MAX of a TIMESTAMP',
    sql: `INSERT INTO conformance_times
SELECT e.userId AS k, MIN(TO_TIMESTAMP_LTZ(e.payTime, 3)) AS lo, MAX(TO_TIMESTAMP_LTZ(e.payTime, 3)) AS hi
FROM order_pay e GROUP BY e.userId`,
  },
  // ------------------------------------------------------------------------------- FIRST_VALUE
  {
    id: 'val_first_value',
    construct: 'FIRST_VALUE (the oldest non-NULL value); a late event older than the first one read',
    sql: `INSERT INTO conformance_firsts
SELECT e.userId AS k, FIRST_VALUE(e.payMethod) AS v FROM order_pay e GROUP BY e.userId`,
    why: "FIRST_VALUE follows the events' order key (event time first) here, the order rows arrive in in Flink: the late order_pay-039 (12:22:10) is u1's oldest pay, read after order_pay-022 (12:22:22)",
    differs: [{ key: { k: 'u1' }, project: { v: 'voucher' }, flink: { v: 'card' } }],
  },
  // ------------------------------------------------------------- FILTER and WHERE on payload values
  {
    id: 'val_filter_payload',
    construct: 'COUNT(*) and SUM FILTER (WHERE payload predicate)',
    sql: `INSERT INTO conformance_sums
SELECT e.userId AS k, COUNT(*) FILTER (WHERE e.payMethod = 'card') AS n,
       SUM(e.amount) FILTER (WHERE e.amount > 10) AS total
FROM order_pay e GROUP BY e.userId`,
    why: 'a SUM that saw no value is 0 here (the counter adds 0); Flink’s is NULL',
    differs: [
      { key: { k: 'u3' }, project: { n: 0, total: 0 }, flink: { n: 0, total: null } },
      { key: { k: 'u-missing' }, project: { n: 1, total: 0 }, flink: { n: 1, total: null } },
    ],
  },
  {
    id: 'val_where_before_group',
    construct: 'WHERE on payload values before GROUP BY',
    sql: `INSERT INTO conformance_sums
SELECT e.userId AS k, COUNT(*) AS n, SUM(e.amount) AS total
FROM order_pay e WHERE e.payMethod <> 'voucher' AND e.amount >= 1 GROUP BY e.userId`,
  },
  {
    id: 'val_filter_type_and_payload',
    construct: 'FILTER (WHERE type = … AND payload predicate) over several types',
    sql: `INSERT INTO conformance_sums
SELECT e.orderId AS k, COUNT(*) FILTER (WHERE type = 'order_pay' AND e.amount > 10) AS n,
       SUM(e.amount) FILTER (WHERE type = 'order_create' AND e.quantity < 10) AS total
FROM events e WHERE type IN ('order_create', 'order_pay') GROUP BY e.orderId`,
    flink: `INSERT INTO conformance_sums
SELECT orderId AS k, COUNT(*) FILTER (WHERE t = 'order_pay' AND amount > 10) AS n,
       SUM(amount) FILTER (WHERE t = 'order_create' AND quantity < 10) AS total
FROM (SELECT e.orderId AS orderId, e.\`type\` AS t, e.amount AS amount, e.quantity AS quantity FROM order_create e
      UNION ALL
      SELECT e.orderId, e.\`type\`, e.amount, CAST(NULL AS INT) FROM order_pay e)
GROUP BY orderId`,
    why: `${EVENTS_WHY}; a SUM that saw no value is 0 here, NULL in Flink`,
    differs: ['o4', 'o6', 'o7'].map((k) => ({ key: { k }, project: { total: 0 }, flink: { total: null } })),
  },
  {
    id: 'val_min_max_filter_type',
    construct: 'MIN, MAX FILTER (WHERE type = …) over several types',
    sql: `INSERT INTO conformance_extremes
SELECT e.userId AS k, MIN(e.amount) FILTER (WHERE type = 'order_pay') AS lo,
       MAX(e.amount) FILTER (WHERE type = 'order_create') AS hi
FROM events e WHERE type IN ('order_create', 'order_pay') GROUP BY e.userId`,
    flink: `INSERT INTO conformance_extremes
SELECT userId AS k, MIN(amount) FILTER (WHERE t = 'order_pay') AS lo, MAX(amount) FILTER (WHERE t = 'order_create') AS hi
FROM (SELECT e.userId AS userId, e.\`type\` AS t, e.amount AS amount FROM order_create e
      UNION ALL
      SELECT e.userId, e.\`type\`, e.amount FROM order_pay e)
GROUP BY userId`,
    why: EVENTS_WHY,
  },
  {
    id: 'val_count_col_filter',
    construct: 'COUNT(col) FILTER (WHERE payload predicate)',
    sql: `INSERT INTO conformance_sums
SELECT e.userId AS k, COUNT(e.currency) FILTER (WHERE e.amount > 1) AS n FROM user_purchase e GROUP BY e.userId`,
  },
  {
    id: 'val_where_dimension',
    construct: 'WHERE on a dimension column before GROUP BY',
    sql: `INSERT INTO conformance_sums
SELECT e.userId AS k, COUNT(*) AS n, SUM(e.amount) AS total
FROM user_purchase e
LEFT JOIN dim_user FOR SYSTEM_TIME AS OF e.proc_time AS u ON u.user_id = e.userId
WHERE u.user_level IN ('gold', 'bronze')
GROUP BY e.userId`,
  },
  {
    id: 'val_first_value_dimension',
    construct: 'FIRST_VALUE of a dimension column',
    sql: `INSERT INTO conformance_firsts
SELECT e.userId AS k, FIRST_VALUE(u.user_level) AS v
FROM user_purchase e
LEFT JOIN dim_user FOR SYSTEM_TIME AS OF e.proc_time AS u ON u.user_id = e.userId
GROUP BY e.userId`,
  },
  {
    id: 'val_last_value_ignore_nulls',
    construct: 'LAST_VALUE(x IGNORE NULLS)',
    sql: `INSERT INTO conformance_lasts
SELECT e.orderId AS k, LAST_VALUE(e.reason IGNORE NULLS) AS v, LAST_VALUE(u.region IGNORE NULLS) AS v2
FROM order_cancel e
LEFT JOIN dim_user FOR SYSTEM_TIME AS OF e.proc_time AS u ON u.user_id = e.userId
GROUP BY e.orderId`,
    flink: `INSERT INTO conformance_lasts
SELECT e.orderId AS k, LAST_VALUE(e.reason) AS v, LAST_VALUE(u.region) AS v2
FROM order_cancel e
LEFT JOIN dim_user FOR SYSTEM_TIME AS OF e.proc_time AS u ON u.user_id = e.userId
GROUP BY e.orderId`,
    why: "Flink 1.20's parser refuses IGNORE NULLS (its LAST_VALUE skips NULLs anyway); accepted here, meaning the same",
  },
  // ------------------------------------------ refused here, accepted by Flink (the support table)
  {
    id: 'refused_avg',
    construct: 'AVG',
    sql: `INSERT INTO conformance_extremes
SELECT e.userId AS k, AVG(e.amount) AS lo FROM order_create e GROUP BY e.userId`,
    refused: /AVG/,
    flinkSink: 'k STRING, lo DECIMAL(38, 6)',
  },
];
