/**
 * Aggregates of values, without windows: COUNT(col), MIN, MAX, FIRST_VALUE, FILTER on a payload
 * predicate and WHERE before GROUP BY (LAST_VALUE: aggregates.ts; AVG is refused), into
 * the suite's state tables (../tables.ts). A SUM that saw no value is 0 here, NULL in Flink
 * (`differs`).
 */
import type { Case } from './case.ts';

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
