/**
 * Time windows: Flink's window table functions TUMBLE, HOP and CUMULATE over event_time
 * (docs/sql.md, shared/pipeline/sql/window.ts), the same statements on both sides, and the
 * project's earlier way — GROUP BY a time bucket computed from event_time() — against Flink's
 * TUMBLE. Flink fires a window when the watermark (flink-tables.ts, WATERMARK_DELAY) passes its end
 * and drops a later event of it; here there is no watermark and a late event is still merged into
 * its windows (docs/sql.md, "How this differs from Flink's windows"). fixtures/events.jsonl's
 * order_pay-039 (u1, 12:22:10, 3.25) arrives after order_pay-038 (12:30:00): every window holding
 * it differs on purpose — u1's order_pay-022 (12:22:22, 29.97) alone on Flink's side, both here.
 */
import type { Case, Difference } from './case.ts';

const LATE_WHY =
  'a late event (order_pay-039, behind the watermark) is merged into its windows here; Flink drops it';

/** A minute (or hour) of event_time(), as a bucket column; COALESCE tells the compiler it is never NULL. */
const bucket = (format: string) =>
  `COALESCE(CAST(DATE_FORMAT(event_time(), '${format}') AS TIMESTAMP(3)), event_time())`;
const MINUTE = bucket('yyyy-MM-dd HH:mm:00');
const HOUR = bucket('yyyy-MM-dd HH:00:00');

const PAY_WINDOW_SELECT =
  'SELECT window_start, window_end, e.userId AS k, COUNT(*) AS n, SUM(e.amount) AS total';

/** The window [start, end) of u1 holding order_pay-022 and the late order_pay-039 (12:22:xx). */
const late = (start: string, end: string): Difference => ({
  key: { window_start: `2024-01-31 ${start}:00.000`, window_end: `2024-01-31 ${end}:00.000`, k: 'u1' },
  project: { n: 2, total: '33.22' },
  flink: { n: 1, total: '29.97' },
});

/** A window aggregation of `source` (a window table function call) into conformance_windows. */
const windowed = (select: string, source: string, key: string) => `INSERT INTO conformance_windows
${select}
FROM TABLE(${source}) e
GROUP BY window_start, window_end, ${key}`;

export const WINDOWS: Case[] = [
  // ------------------------------------------------------ a computed bucket against Flink's TUMBLE
  {
    id: 'bucket_minute_late',
    construct: "GROUP BY a minute of event_time() (DATE_FORMAT), against Flink's TUMBLE; a late event",
    sql: `INSERT INTO conformance_buckets
SELECT ${MINUTE} AS window_start, e.userId AS k, COUNT(*) AS n, SUM(e.amount) AS total
FROM order_pay e
GROUP BY ${MINUTE}, e.userId`,
    flink: `INSERT INTO conformance_buckets
SELECT window_start, e.userId AS k, COUNT(*) AS n, SUM(e.amount) AS total
FROM TABLE(TUMBLE(TABLE order_pay, DESCRIPTOR(event_time), INTERVAL '1' MINUTE)) e
GROUP BY window_start, window_end, e.userId`,
    why: `a bucket column stands for TUMBLE's window_start here; ${LATE_WHY}`,
    differs: [
      {
        key: { window_start: '2024-01-31 12:22:00.000', k: 'u1' },
        project: { n: 2, total: '33.22' },
        flink: { n: 1, total: '29.97' },
      },
    ],
  },
  {
    id: 'bucket_hour',
    construct: "GROUP BY an hour of event_time(), against Flink's TUMBLE of an hour",
    sql: `INSERT INTO conformance_buckets
SELECT ${HOUR} AS window_start, e.productId AS k, COUNT(*) AS n, SUM(e.amount) AS total
FROM order_create e
GROUP BY ${HOUR}, e.productId`,
    flink: `INSERT INTO conformance_buckets
SELECT window_start, e.productId AS k, COUNT(*) AS n, SUM(e.amount) AS total
FROM TABLE(TUMBLE(TABLE order_create, DESCRIPTOR(event_time), INTERVAL '1' HOUR)) e
GROUP BY window_start, window_end, e.productId`,
    why: "a bucket column stands for TUMBLE's window_start here",
  },
  {
    id: 'bucket_minute_grouped',
    construct: 'GROUP BY a minute of event_time(), as a plain Flink GROUP BY (a late event kept by both)',
    sql: `INSERT INTO conformance_buckets
SELECT ${MINUTE} AS window_start, e.userId AS k, COUNT(*) AS n, SUM(e.amount) AS total
FROM order_pay e
GROUP BY ${MINUTE}, e.userId`,
    flink: `INSERT INTO conformance_buckets
SELECT CAST(DATE_FORMAT(e.event_time, 'yyyy-MM-dd HH:mm:00') AS TIMESTAMP(3)) AS window_start, e.userId AS k,
       COUNT(*) AS n, SUM(e.amount) AS total
FROM order_pay e
GROUP BY CAST(DATE_FORMAT(e.event_time, 'yyyy-MM-dd HH:mm:00') AS TIMESTAMP(3)), e.userId`,
    why: 'the envelope is event_time() here, a column of the Flink source',
  },
  // ------------------------------------------------------------- window table functions, compared
  {
    id: 'window_tumble_late',
    construct: 'TUMBLE window table function, COUNT and SUM per key; a late event',
    sql: windowed(
      PAY_WINDOW_SELECT,
      "TUMBLE(TABLE order_pay, DESCRIPTOR(event_time), INTERVAL '1' MINUTE)",
      'e.userId',
    ),
    why: LATE_WHY,
    differs: [late('12:22', '12:23')],
  },
  {
    id: 'window_hop_late',
    construct: 'HOP window table function (an event in size/slide windows); a late event',
    sql: windowed(
      PAY_WINDOW_SELECT,
      "HOP(TABLE order_pay, DESCRIPTOR(event_time), INTERVAL '1' MINUTE, INTERVAL '2' MINUTE)",
      'e.userId',
    ),
    why: LATE_WHY,
    differs: [late('12:21', '12:23'), late('12:22', '12:24')],
  },
  {
    id: 'window_cumulate_late',
    construct: 'CUMULATE window table function (windows growing by a step to the max); a late event',
    sql: windowed(
      PAY_WINDOW_SELECT,
      "CUMULATE(TABLE order_pay, DESCRIPTOR(event_time), INTERVAL '1' MINUTE, INTERVAL '5' MINUTE)",
      'e.userId',
    ),
    why: LATE_WHY,
    differs: [late('12:20', '12:23'), late('12:20', '12:24'), late('12:20', '12:25')],
  },
  {
    id: 'window_tumble_hour',
    construct: 'TUMBLE of an hour per product, COUNT and SUM (DECIMAL extremes)',
    sql: windowed(
      'SELECT window_start, window_end, e.productId AS k, COUNT(*) AS n, SUM(e.amount) AS total',
      "TUMBLE(TABLE order_create, DESCRIPTOR(event_time), INTERVAL '1' HOUR)",
      'e.productId',
    ),
  },
  {
    id: 'window_tumble_named',
    construct: 'TUMBLE with named arguments (DATA, TIMECOL, SIZE), in seconds',
    sql: windowed(
      'SELECT window_start, window_end, e.userId AS k, COUNT(*) AS n, SUM(e.amount) AS total',
      "TUMBLE(DATA => TABLE order_create, TIMECOL => DESCRIPTOR(event_time), SIZE => INTERVAL '90' SECOND)",
      'e.userId',
    ),
  },
  {
    id: 'window_hop_filtered',
    construct: 'HOP with COUNT(*) FILTER and a WHERE on a payload value',
    sql: windowed(
      `SELECT window_start, window_end, e.userId AS k, COUNT(*) FILTER (WHERE e.amount > 1) AS n,
       SUM(e.amount) AS total`,
      "HOP(TABLE order_create, DESCRIPTOR(event_time), INTERVAL '2' MINUTE, INTERVAL '6' MINUTE)",
      'e.userId',
    ).replace('\nGROUP BY', '\nWHERE e.amount < 1000000\nGROUP BY'),
  },
  {
    id: 'window_cumulate_cancel',
    construct: 'CUMULATE of an hour by 10 minutes over order_cancel, COUNT per user',
    sql: windowed(
      `SELECT window_start, window_end, e.userId AS k, COUNT(*) AS n,
       SUM(CAST(0 AS DECIMAL(18, 4))) AS total`,
      "CUMULATE(TABLE order_cancel, DESCRIPTOR(event_time), INTERVAL '10' MINUTE, INTERVAL '1' HOUR)",
      'e.userId',
    ),
  },
  {
    id: 'window_tumble_lookup',
    construct: 'TUMBLE with a lookup join (FOR SYSTEM_TIME AS OF e.proc_time), grouped by a dimension column',
    sql: `INSERT INTO conformance_windows
SELECT window_start, window_end, COALESCE(p.category, 'none') AS k, COUNT(*) AS n, SUM(e.amount) AS total
FROM TABLE(TUMBLE(TABLE order_create, DESCRIPTOR(event_time), INTERVAL '1' HOUR)) e
LEFT JOIN dim_product FOR SYSTEM_TIME AS OF e.proc_time AS p ON p.product_id = e.productId
GROUP BY window_start, window_end, COALESCE(p.category, 'none')`,
  },
  {
    id: 'window_tumble_extremes',
    construct: 'TUMBLE of an hour, MIN and MAX per product',
    sql: `INSERT INTO conformance_window_extremes
SELECT window_start, window_end, e.productId AS k, MIN(e.amount) AS lo, MAX(e.amount) AS hi
FROM TABLE(TUMBLE(TABLE order_create, DESCRIPTOR(event_time), INTERVAL '1' HOUR)) e
GROUP BY window_start, window_end, e.productId`,
  },
  {
    id: 'window_hop_extremes_late',
    construct: 'HOP, MIN and MAX per user; a late event',
    sql: `INSERT INTO conformance_window_extremes
SELECT window_start, window_end, e.userId AS k, MIN(e.amount) AS lo, MAX(e.amount) AS hi
FROM TABLE(HOP(TABLE order_pay, DESCRIPTOR(event_time), INTERVAL '1' MINUTE, INTERVAL '2' MINUTE)) e
GROUP BY window_start, window_end, e.userId`,
    why: LATE_WHY,
    differs: ['12:21', '12:22'].map((start) => ({
      key: {
        window_start: `2024-01-31 ${start}:00.000`,
        window_end: `2024-01-31 ${start === '12:21' ? '12:23' : '12:24'}:00.000`,
        k: 'u1',
      },
      project: { lo: '3.25', hi: '29.97' },
      flink: { lo: '29.97', hi: '29.97' },
    })),
  },
];
