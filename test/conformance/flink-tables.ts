/**
 * The Flink job's side of the conformance suite: its source and lookup tables, as a Flink user
 * migrating to lambda-realtime declares them. Each event type is a table over the BusinessEvent
 * JSON lines of that type (the envelope's fields, the payload as a ROW, each payload field as a
 * column of the same name, `event_time` from the envelope — the event-time attribute, with a
 * watermark WATERMARK_DELAY behind the newest event, so window table functions fire and an event
 * further behind is late and dropped — and `proc_time AS PROCTIME()`); each
 * dimension table a lookup source (connector 'lrt', scripts/flink/ConformanceRunner.java) over the
 * dimension file `npm run sql -- run` reads too.
 */

/** Payload fields with their Flink types, per event type (shared/domains/*.ts, the payload schemas). */
export const PAYLOADS: Record<string, string> = {
  product_view: 'productId STRING, userId STRING, referrer STRING',
  product_search: 'keyword STRING, resultCount INT, userId STRING',
  product_recommend: 'userId STRING, productIds ARRAY<STRING>, scene STRING',
  order_create: 'orderId STRING, userId STRING, productId STRING, quantity INT, amount DECIMAL(18, 4)',
  order_pay: 'orderId STRING, userId STRING, amount DECIMAL(18, 4), payMethod STRING, payTime BIGINT',
  order_cancel: 'orderId STRING, userId STRING, reason STRING',
  user_login: 'userId STRING, loginTime BIGINT, device STRING, ip STRING',
  user_purchase: 'userId STRING, orderId STRING, productId STRING, amount DECIMAL(18, 4), currency STRING',
  user_view: 'userId STRING, page STRING, productId STRING, durationMs INT',
};

export const DIMENSION_TABLES: Record<string, string> = {
  dim_user: 'user_id STRING, user_name STRING, user_level STRING, region STRING',
  dim_product: 'product_id STRING, product_name STRING, category STRING, brand STRING, price DECIMAL(18, 4)',
};

/**
 * How far the watermark trails the newest event time of a type. The bounded file source ends with
 * the MAX watermark, so every window fires; an event more than this behind the newest one of its
 * type, whose window has ended, is dropped by Flink (fixtures/events.jsonl has such late events).
 */
export const WATERMARK_DELAY = "INTERVAL '5' SECOND";

const DIMENSION_KEYS: Record<string, string> = { dim_user: 'user_id', dim_product: 'product_id' };

export function sourceDdl(): string[] {
  const events = Object.entries(PAYLOADS).map(([type, fields]) => {
    const computed = topLevelParts(fields)
      .map((f) => f.trim().split(/\s+/)[0]!)
      .map((name) => `${name} AS payload.${name}`)
      .join(', ');
    return `CREATE TABLE ${type} (
  eventId STRING, \`type\` STRING, \`timestamp\` BIGINT, version STRING, source STRING, domain STRING,
  payload ROW<${fields}>,
  ${computed},
  event_time AS TO_TIMESTAMP_LTZ(\`timestamp\`, 3),
  proc_time AS PROCTIME(),
  WATERMARK FOR event_time AS event_time - ${WATERMARK_DELAY}
) WITH ('connector' = 'filesystem', 'path' = '{events:${type}}', 'format' = 'json')`;
  });
  const dimensions = Object.entries(DIMENSION_TABLES).map(
    ([table, columns]) =>
      `CREATE TABLE ${table} (${columns}, PRIMARY KEY (${DIMENSION_KEYS[table]}) NOT ENFORCED) WITH ('connector' = 'lrt', 'path' = '{dimensions}')`,
  );
  return [...events, ...dimensions];
}

/** `a STRING, b DECIMAL(18, 4), c ARRAY<STRING>` → its column declarations. */
function topLevelParts(list: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let from = 0;
  for (const [i, ch] of [...list].entries()) {
    if (ch === '(' || ch === '<') depth++;
    else if (ch === ')' || ch === '>') depth--;
    else if (ch === ',' && depth === 0) {
      parts.push(list.slice(from, i));
      from = i + 1;
    }
  }
  return [...parts, list.slice(from)];
}
