/**
 * A realistic demo stream of business events: the nine types in proportions a shop might see,
 * order lifecycles (create, then pay or cancel), some duplicates (a producer retrying), some
 * out-of-order events (a pay published before its create), and a few malformed records (not JSON,
 * schema violations, unknown types). Keys are entity ids, so an entity's events share a partition.
 */
import { randomUUID } from 'node:crypto';
import { DOMAIN_NAMES, domainOfType } from '../../shared/domains/registry.ts';
import type { PermanentReason } from '../../shared/pipeline/errors.ts';

/** An event as the generator produced it: what its record's JSON says, and what the tables must show. */
export interface DemoEvent {
  domain: string;
  type: string;
  timestamp: number;
  eventId: string;
  payload: Record<string, unknown>;
  version: string;
  source: string;
}

export interface DemoRecord {
  key: string;
  /** JSON text, or raw bytes for a malformed record. */
  value: string | Buffer;
  /** What the pipeline should do with it. */
  expect: 'event' | 'duplicate' | 'dead-letter';
  eventId?: string;
  /** The event it carries (an event or a duplicate): the generator's own knowledge, for the oracles. */
  event?: DemoEvent;
  /**
   * A malformed record's dead-letter reason: `routed`, published with its `event-domain` header
   * (scripts/local/kafka-admin.ts `routed`); `unrouted`, without it, on a topic all functions read.
   */
  reason?: { routed: PermanentReason; unrouted: PermanentReason };
  /** The domain whose producer sent it (a malformed record's too): its topic and header. */
  domain: string;
}

const MIX: Array<[string, number]> = [
  ['user_login', 15],
  ['user_view', 18],
  ['user_purchase', 8],
  ['order_create', 14],
  ['product_view', 18],
  ['product_search', 10],
  ['product_recommend', 5],
];
for (const [type] of MIX) {
  if (!domainOfType(type)) throw new Error(`demo stream: ${type} is not an event type of any domain`);
}

/** A seeded PRNG (mulberry32), so a demo run can be repeated exactly with --seed. */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

export interface DemoOptions {
  events: number;
  /** Prefix of every event id, so a run's events can be found again. */
  runId: string;
  seed?: number;
  now?: () => number;
  /** Share of records that re-send a recent event (a producer retrying): default 0.02. */
  duplicateRate?: number;
  /** Share of records that are malformed (dead-lettered): default 0.01. */
  malformedRate?: number;
}

export function* demoStream(options: DemoOptions): Generator<DemoRecord> {
  const rnd = random(options.seed ?? 42);
  const now = options.now ?? Date.now;
  const pick = <T>(items: readonly T[]) => items[Math.floor(rnd() * items.length)]!;
  // u041-u050 and p031-p035 have no dimension rows: enrichment leaves their columns NULL.
  const userId = () => `u${String(1 + Math.floor(rnd() * 50)).padStart(3, '0')}`;
  const productId = () => `p${String(1 + Math.floor(rnd() * 35)).padStart(3, '0')}`;
  const amount = () => (1 + Math.floor(rnd() * 50_000) / 100).toFixed(2);
  const total = MIX.reduce((sum, [, weight]) => sum + weight, 0);
  const openOrders: Array<{ orderId: string; userId: string; amount: string }> = [];
  const recent: DemoRecord[] = [];
  let sequence = 0;
  let orders = 0;
  let produced = 0;
  const malformedBelow = options.malformedRate ?? 0.01;
  const duplicateBelow = malformedBelow + (options.duplicateRate ?? 0.02);
  // About one record in six finishes an open order, whatever the other shares are.
  const finishBelow = duplicateBelow + 0.17;

  const event = (type: string, payload: Record<string, unknown>, timestamp = now()) => {
    const eventId = `${options.runId}-${++sequence}-${randomUUID().slice(0, 8)}`;
    const domain = domainOfType(type)!;
    const body = { domain, type, timestamp, eventId, payload, version: '1.0', source: `${domain}-service` };
    const key = String(payload.orderId ?? payload.userId ?? payload.productId ?? eventId);
    return {
      key,
      value: JSON.stringify(body),
      expect: 'event',
      eventId,
      event: body,
      domain,
    } satisfies DemoRecord;
  };

  while (produced < options.events) {
    const roll = rnd();
    let record: DemoRecord;
    if (roll < malformedBelow) {
      record = malformed(rnd, options.runId, ++sequence);
    } else if (roll < duplicateBelow && recent.length > 0) {
      record = { ...pick(recent), expect: 'duplicate' };
    } else if (roll < finishBelow && openOrders.length > 0) {
      // Finish an order: mostly paid, sometimes cancelled; now and then published out of order,
      // with an event time before its create.
      const order = openOrders.splice(Math.floor(rnd() * openOrders.length), 1)[0]!;
      const skew = rnd() < 0.25 ? -60_000 : 0;
      record =
        rnd() < 0.8
          ? event(
              'order_pay',
              {
                orderId: order.orderId,
                userId: order.userId,
                amount: order.amount,
                payMethod: pick(['card', 'wallet', 'bank']),
                payTime: now() + skew,
              },
              now() + skew,
            )
          : event(
              'order_cancel',
              {
                orderId: order.orderId,
                userId: order.userId,
                reason: pick(['changed mind', 'too slow', 'duplicate order']),
              },
              now() + skew,
            );
    } else {
      const type = weightedPick(MIX, rnd() * total);
      const user = userId();
      const product = productId();
      const payloads: Record<string, () => Record<string, unknown>> = {
        user_login: () => ({
          userId: user,
          loginTime: now(),
          device: pick(['ios', 'android', 'web']),
          ip: `10.0.${Math.floor(rnd() * 255)}.${Math.floor(rnd() * 255)}`,
        }),
        user_view: () => ({
          userId: user,
          page: pick(['/home', '/deals', `/product/${product}`]),
          productId: product,
          durationMs: Math.floor(rnd() * 60_000),
        }),
        user_purchase: () => ({
          userId: user,
          orderId: `ord-${options.runId}-${++orders}`,
          productId: product,
          amount: amount(),
          currency: 'EUR',
        }),
        order_create: () => {
          const order = { orderId: `ord-${options.runId}-${++orders}`, userId: user, amount: amount() };
          openOrders.push(order);
          return { ...order, productId: product, quantity: 1 + Math.floor(rnd() * 4) };
        },
        product_view: () => ({ productId: product, userId: user, referrer: pick(['search', 'home', 'ad']) }),
        product_search: () => ({
          keyword: pick(['lamp', 'chair', 'kettle', 'tent']),
          resultCount: Math.floor(rnd() * 200),
          userId: user,
        }),
        product_recommend: () => ({
          userId: user,
          productIds: [productId(), productId(), productId()],
          scene: pick(['home', 'cart']),
        }),
      };
      record = event(type, payloads[type]!());
    }
    if (record.expect === 'event') {
      recent.push(record);
      if (recent.length > 50) recent.shift();
    }
    produced++;
    yield record;
  }
}

/** The item whose cumulative weight first exceeds `point` (0 ≤ point < total weight). */
function weightedPick(items: Array<[string, number]>, point: number): string {
  let rest = point;
  for (const [item, weight] of items) {
    rest -= weight;
    if (rest < 0) return item;
  }
  return items.at(-1)![0];
}

/**
 * Personal data some malformed records carry — a card number in JSON, a PIN in a line that is not
 * JSON at all (short enough for a JSON parser to quote it whole in its error). It may sit in a dead
 * letter's raw bytes but must never reach a log line (the local pipeline's test scans for both).
 */
export const DEMO_PERSONAL_DATA = ['4111111111111111', 'pin=739215'] as const;
const [DEMO_CARD_NUMBER, DEMO_PIN] = DEMO_PERSONAL_DATA;

function malformed(rnd: () => number, runId: string, sequence: number): DemoRecord {
  // The producer that sent it: what its topic and `event-domain` header say.
  const domain = DOMAIN_NAMES[Math.floor(rnd() * DOMAIN_NAMES.length)]!;
  const same = (reason: PermanentReason) => ({ routed: reason, unrouted: reason });
  /** A well-formed envelope of `bodyDomain`: routed by another domain's header, it is misrouted. */
  const inBody = (bodyDomain: string, reason: PermanentReason) => ({
    routed: domain === bodyDomain ? reason : ('misrouted' as const),
    unrouted: reason,
  });
  const kinds: Array<() => { value: Buffer; reason: DemoRecord['reason'] }> = [
    () => ({
      value: Buffer.from(`{"domain":"user","type":"user_login","payload":{"card":"${DEMO_CARD_NUMBER}"`),
      reason: same('not_json'),
    }),
    () => ({ value: Buffer.from([0xc3, 0x28, 0xa0, 0xa1]), reason: same('not_utf8') }),
    () => ({ value: Buffer.from(DEMO_PIN), reason: same('not_json') }),
    () => ({
      value: Buffer.from(
        JSON.stringify({
          domain: 'order',
          type: 'order_create',
          timestamp: Date.now(),
          eventId: `${runId}-bad-${sequence}`,
          payload: { orderId: 'o', quantity: 0, card: DEMO_CARD_NUMBER },
          version: '1.0',
          source: 'demo',
        }),
      ),
      reason: inBody('order', 'schema'),
    }),
    () => ({
      value: Buffer.from(
        JSON.stringify({
          domain: 'user',
          type: 'user_teleport',
          timestamp: Date.now(),
          eventId: `${runId}-bad-${sequence}`,
          payload: {},
          version: '1.0',
          source: 'demo',
        }),
      ),
      reason: inBody('user', 'unknown_type'),
    }),
  ];
  const { value, reason } = kinds[Math.floor(rnd() * kinds.length)]!();
  return { key: `bad-${sequence}`, value, expect: 'dead-letter', reason, domain };
}
