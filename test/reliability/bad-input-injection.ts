/**
 * SQL-injection text in every string field (docs/reliability.md, "Bad input"): every value stored
 * verbatim, nothing executed.
 */

import { TABLES } from '../../shared/domains/registry.ts';
import { businessEvent, type Json } from '../support/events.ts';
import { type BadInputCase, written } from './bad-input-records.ts';
import type { ScenarioRun } from './harness.ts';

/** Values a careless sink would run as SQL; each fits the field it is put in. */
const INJECTIONS = [
  `'); DROP TABLE user_event_wide; --`,
  `' OR '1'='1`,
  `"; DELETE FROM dim_user; --`,
  `\\'; UPDATE user_profile_wide SET login_count = 999; #`,
  `1; SELECT SLEEP(30); --`,
  `x' UNION SELECT user(), version() --x`,
  `Robert'); DROP TABLE order_wide;--`,
  `%_\\%'/**/OR/**/1=1/*`,
];
const inj = (i: number, max = 64) => INJECTIONS[i % INJECTIONS.length]!.slice(0, max);

interface Injected {
  event: Json;
  columns: Record<string, unknown>;
  table: string;
}

export function sqlInjection(): BadInputCase[] {
  const injected = injectedEvents();
  return [
    {
      label: 'SQL-injection text in every string field',
      outcome:
        'written, every value stored verbatim; nothing executed (values are always statement parameters)',
      records: injected.map(({ event }) => written('SQL-injection text in every string field', event)),
      verify: (run) => verifyInjected(run, injected),
    },
  ];
}

/** One event of each type with injection text in every string field, and the columns it should fill. */
function injectedEvents(): Injected[] {
  let n = 0;
  const source = () => inj(n++);
  const eventId = (i: number) => `inj'OR'1'='1';DROP/**/TABLE/**/user_event_wide;--${i}`;
  const injected: Injected[] = [];
  const add = (type: string, payload: Json, table: string, columns: (p: Json) => Record<string, unknown>) => {
    const event = businessEvent(type, { eventId: eventId(injected.length), source: source() }, payload);
    injected.push({ event, table, columns: { source: event.source, ...columns(event.payload as Json) } });
  };
  add('user_login', { userId: inj(0), device: inj(1), ip: inj(2, 45) }, 'user_event_wide', (p) => ({
    user_id: p.userId,
    device: p.device,
    ip: p.ip,
  }));
  add(
    'user_view',
    { userId: inj(3), page: `\u0000${inj(4, 200)}\\0\\n`, productId: inj(5) },
    'user_event_wide',
    (p) => ({
      user_id: p.userId,
      page: p.page,
      product_id: p.productId,
    }),
  );
  add('user_purchase', { userId: inj(6), orderId: inj(7), productId: inj(0) }, 'user_event_wide', (p) => ({
    user_id: p.userId,
    order_id: p.orderId,
    product_id: p.productId,
  }));
  add('order_create', { orderId: inj(1), userId: inj(2), productId: inj(3) }, 'order_event_wide', (p) => ({
    order_id: p.orderId,
    user_id: p.userId,
    product_id: p.productId,
  }));
  add('order_pay', { orderId: inj(1), userId: inj(2), payMethod: inj(4, 32) }, 'order_event_wide', (p) => ({
    order_id: p.orderId,
    pay_method: p.payMethod,
  }));
  add(
    'order_cancel',
    { orderId: inj(5), userId: inj(6), reason: INJECTIONS.join(' ').slice(0, 255) },
    'order_event_wide',
    (p) => ({
      order_id: p.orderId,
      cancel_reason: p.reason,
    }),
  );
  add(
    'product_view',
    { productId: inj(7), userId: inj(0), referrer: inj(1, 255) },
    'product_event_wide',
    (p) => ({
      product_id: p.productId,
      user_id: p.userId,
      referrer: p.referrer,
    }),
  );
  add('product_search', { keyword: inj(2, 255), userId: inj(3) }, 'product_event_wide', (p) => ({
    keyword: p.keyword,
    user_id: p.userId,
  }));
  add(
    'product_recommend',
    { userId: inj(4), productIds: INJECTIONS.map((_, i) => inj(i)), scene: inj(5) },
    'product_event_wide',
    (p) => ({
      user_id: p.userId,
      recommended_product_ids: p.productIds,
      scene: p.scene,
    }),
  );
  return injected;
}

/** Every value stored verbatim, and nothing executed. */
async function verifyInjected(run: ScenarioRun, injected: readonly Injected[]): Promise<string[]> {
  const failures: string[] = [];
  for (const { event, table, columns } of injected) {
    const [[row]] = (await run.conn.query(`SELECT * FROM ${table} WHERE event_id = ?`, [
      event.eventId,
    ])) as unknown as [[Record<string, unknown> | undefined]];
    if (!row) {
      failures.push(`${event.type} ${event.eventId}: no row`);
      continue;
    }
    for (const [column, want] of Object.entries(columns)) {
      const got =
        column === 'recommended_product_ids' && typeof row[column] === 'string'
          ? JSON.parse(row[column] as string)
          : row[column];
      if (JSON.stringify(got) !== JSON.stringify(want)) {
        failures.push(
          `${table}.${column} of ${event.type}: ${JSON.stringify(got)}, sent ${JSON.stringify(want)}`,
        );
      }
    }
  }
  // Nothing executed: every table still there, the dimension rows untouched, no counter set to 999.
  const [[tables]] = (await run.conn.query(
    'SELECT COUNT(*) AS n FROM information_schema.tables WHERE table_schema = ?',
    [run.db.name],
  )) as unknown as [[{ n: string }]];
  if (Number(tables.n) !== TABLES.length + 1)
    failures.push(`${tables.n} tables in the schema, want ${TABLES.length + 1}`);
  const [[dims]] = (await run.conn.query('SELECT COUNT(*) AS n FROM dim_user')) as unknown as [
    [{ n: string }],
  ];
  if (Number(dims.n) !== run.marks.get('dim_user rows')) failures.push(`dim_user has ${dims.n} rows`);
  const [[odd]] = (await run.conn.query(
    'SELECT COUNT(*) AS n FROM user_profile_wide WHERE login_count = 999',
  )) as unknown as [[{ n: string }]];
  if (Number(odd.n) > 0) failures.push('a profile counter was set to 999');
  return failures;
}
