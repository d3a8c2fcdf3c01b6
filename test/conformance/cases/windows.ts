/**
 * Time windows. Flink's window table functions (TUMBLE, HOP, CUMULATE over event_time) are refused
 * here for now (docs/sql.md: windowed aggregation is not built yet), so they are checked as refused
 * here and accepted by Flink; the project's way meanwhile — GROUP BY a time bucket computed from
 * event_time() — is compared with Flink's TUMBLE. Flink fires a window when the watermark
 * (flink-tables.ts, WATERMARK_DELAY) passes its end and drops a later event of it; here a late event
 * is still merged into its bucket (docs/sql.md). fixtures/events.jsonl's order_pay-039 (u1,
 * 12:22:10, 3.25) arrives after order_pay-038 (12:30:00): the window holding it differs on purpose.
 */
import type { Case } from './case.ts';

const LATE_WHY =
  'a late event (order_pay-039, behind the watermark) is merged into its bucket here; Flink drops it';

/** A minute (or hour) of event_time(), as a bucket column; COALESCE tells the compiler it is never NULL. */
const bucket = (format: string) =>
  `COALESCE(CAST(DATE_FORMAT(event_time(), '${format}') AS TIMESTAMP(3)), event_time())`;
const MINUTE = bucket('yyyy-MM-dd HH:mm:00');
const HOUR = bucket('yyyy-MM-dd HH:00:00');

const WINDOW_SINK =
  'window_start TIMESTAMP(3), window_end TIMESTAMP(3), k STRING, n BIGINT, total DECIMAL(30, 4)';
const PAY_WINDOW_SELECT =
  'SELECT window_start, window_end, e.userId AS k, COUNT(*) AS n, SUM(e.amount) AS total';

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
  // ------------------------------------------ refused here, accepted by Flink (the support table)
  {
    id: 'refused_tumble',
    construct: 'TUMBLE window table function',
    sql: `INSERT INTO conformance_windows
${PAY_WINDOW_SELECT}
FROM TABLE(TUMBLE(TABLE order_pay, DESCRIPTOR(event_time), INTERVAL '1' MINUTE)) e
GROUP BY window_start, window_end, e.userId`,
    refused: /TUMBLE/,
    flinkSink: WINDOW_SINK,
  },
  {
    id: 'refused_hop',
    construct: 'HOP window table function',
    sql: `INSERT INTO conformance_windows
${PAY_WINDOW_SELECT}
FROM TABLE(HOP(TABLE order_pay, DESCRIPTOR(event_time), INTERVAL '1' MINUTE, INTERVAL '2' MINUTE)) e
GROUP BY window_start, window_end, e.userId`,
    refused: /HOP/,
    flinkSink: WINDOW_SINK,
  },
  {
    id: 'refused_cumulate',
    construct: 'CUMULATE window table function',
    sql: `INSERT INTO conformance_windows
${PAY_WINDOW_SELECT}
FROM TABLE(CUMULATE(TABLE order_pay, DESCRIPTOR(event_time), INTERVAL '1' MINUTE, INTERVAL '5' MINUTE)) e
GROUP BY window_start, window_end, e.userId`,
    refused: /CUMULATE/,
    flinkSink: WINDOW_SINK,
  },
];
