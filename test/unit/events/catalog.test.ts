/** The event catalog (docs/architecture.md, contract 7) and its version resolution. */

import { describe, expect, it } from 'vitest';
import { z } from 'zod';
// The functions' schemas are zod/mini's (shared/events/zod.ts): extended with its function.
import { extend, type ZodMiniObject } from 'zod/mini';
import { CATALOG } from '../../../shared/domains/registry.ts';
import { compareVersions, EventCatalog, parseVersion } from '../../../shared/events/catalog.ts';
import { businessEvent, EVENT_TYPES } from '../../support/events.ts';

const v1 = (type: string) => CATALOG.find((e) => e.type === type)!;
const payloadOf = (type: string) => businessEvent(type).payload as Record<string, unknown>;

describe('CATALOG', () => {
  // The contract's nine types (docs/architecture.md, contract 7); a new type may join them.
  it('has the nine types of the contract in their domains, at version 1.0', () => {
    const entries = CATALOG.map((e) => `${e.domain}/${e.type}@${e.version}`);
    expect(entries).toEqual(
      expect.arrayContaining([
        'user/user_login@1.0',
        'user/user_purchase@1.0',
        'user/user_view@1.0',
        'order/order_create@1.0',
        'order/order_pay@1.0',
        'order/order_cancel@1.0',
        'product/product_view@1.0',
        'product/product_search@1.0',
        'product/product_recommend@1.0',
      ]),
    );
  });

  it.each(EVENT_TYPES)('accepts the builder payload of %s', (type) => {
    expect(v1(type).payload.safeParse(payloadOf(type)).success).toBe(true);
  });

  it.each([
    ['user_login', ['userId', 'loginTime', 'device', 'ip']],
    ['user_purchase', ['userId', 'orderId', 'productId', 'amount']],
    ['user_view', ['userId', 'page']],
    ['order_create', ['orderId', 'userId', 'productId', 'quantity', 'amount']],
    ['order_pay', ['orderId', 'userId', 'amount', 'payMethod', 'payTime']],
    ['order_cancel', ['orderId', 'userId']],
    ['product_view', ['productId']],
    ['product_search', ['keyword', 'resultCount']],
    ['product_recommend', ['userId', 'productIds', 'scene']],
  ])('%s requires exactly %j', (type, required) => {
    const payload = payloadOf(type);
    for (const field of Object.keys(payload)) {
      const { [field]: _, ...without } = payload;
      expect(v1(type).payload.safeParse(without).success, field).toBe(!required.includes(field));
    }
  });

  it('canonicalises amounts and drops unknown fields', () => {
    const parsed = v1('order_create').payload.parse({
      orderId: 'o1',
      userId: 'u1',
      productId: 'p1',
      quantity: 1,
      amount: 39.9,
      coupon: 'X',
    });
    expect(parsed).toEqual({ orderId: 'o1', userId: 'u1', productId: 'p1', quantity: 1, amount: '39.9' });
  });

  it.each([
    ['order_create', { quantity: 0 }],
    ['order_create', { quantity: 1.5 }],
    ['order_create', { amount: '-1' }],
    ['order_create', { orderId: '' }],
    ['order_create', { orderId: 'x'.repeat(65) }],
    ['order_pay', { payTime: 'yesterday' }],
    ['order_pay', { payTime: 1 }],
    ['user_login', { loginTime: 1.5 }],
    ['user_purchase', { currency: 'eur' }],
    ['user_view', { durationMs: -1 }],
    ['product_search', { resultCount: -1 }],
    ['product_search', { keyword: '' }],
    ['product_recommend', { productIds: [] }],
    ['product_recommend', { productIds: [''] }],
    ['product_recommend', { productIds: Array.from({ length: 101 }, (_, i) => `p${i}`) }],
    // An unpaired surrogate (JSON allows the escape "\ud800"): UTF-8, so MySQL, cannot store it.
    ['order_create', { orderId: 'o-\ud800' }],
    ['user_login', { userId: 'u-\udfff', device: 'ios' }],
    ['user_login', { device: 'ios-\udbff' }],
    ['order_pay', { payMethod: '\udc00card' }],
    ['product_recommend', { productIds: ['p1', 'p-\ud83d'] }],
  ])('%s rejects %j', (type, change) => {
    expect(v1(type).payload.safeParse({ ...payloadOf(type), ...change }).success).toBe(false);
  });

  it.each([
    ['user_login', { userId: 'u-😀', device: 'phone 📱' }],
    ['order_cancel', { orderId: '注文-1', reason: 'zu spät — 遅すぎる' }],
  ])('%s accepts text outside ASCII and the BMP: %j', (type, change) => {
    expect(v1(type).payload.parse({ ...payloadOf(type), ...change })).toMatchObject(change);
  });
});

describe('parseVersion and compareVersions', () => {
  it('parses major.minor', () => {
    expect(parseVersion('1.0')).toEqual({ major: 1, minor: 0 });
    expect(parseVersion('12.34')).toEqual({ major: 12, minor: 34 });
    for (const bad of ['1', '1.0.0', 'v1.0', '1.', '.1', '', '12345.0', ' 1.0'])
      expect(parseVersion(bad)).toBeUndefined();
  });

  it('orders numerically, not as text', () => {
    expect(compareVersions('1.10', '1.9')).toBeGreaterThan(0);
    expect(compareVersions('2.0', '10.0')).toBeLessThan(0);
    expect(compareVersions('1.0', '1.0')).toBe(0);
  });
});

describe('EventCatalog', () => {
  const catalog = new EventCatalog(CATALOG);

  it('knows the three domains and which domain owns each type', () => {
    for (const domain of ['user', 'order', 'product']) expect(catalog.hasDomain(domain)).toBe(true);
    expect(catalog.hasDomain('payment')).toBe(false);
    expect(catalog.domainOf('order_pay')).toBe('order');
    expect(catalog.domainOf('order_refund')).toBeUndefined();
  });

  it('reads a newer minor version with the newest older schema of the same major', () => {
    expect(catalog.resolve('user_login', '1.0')).toBe(v1('user_login'));
    expect(catalog.resolve('user_login', '1.3')).toBe(v1('user_login'));
  });

  it('has no schema for another major version, nor for a malformed one', () => {
    expect(catalog.resolve('user_login', '2.0')).toBe('unknown_version');
    expect(catalog.resolve('user_login', '0.9')).toBe('unknown_version');
    expect(catalog.resolve('user_login', 'latest')).toBe('unknown_version');
  });

  it('answers unknown_type for a type nobody registered', () => {
    expect(catalog.resolve('user_teleport', '1.0')).toBe('unknown_type');
  });

  it('picks the newest registered minor not above the wanted one', () => {
    const withV12 = new EventCatalog(CATALOG).register({
      domain: 'user',
      type: 'user_login',
      version: '1.2',
      payload: extend(v1('user_login').payload as ZodMiniObject, { mfa: z.boolean().optional() }),
    });
    expect(withV12.resolve('user_login', '1.1')).toBe(v1('user_login'));
    expect((withV12.resolve('user_login', '1.2') as { version: string }).version).toBe('1.2');
    expect((withV12.resolve('user_login', '1.10') as { version: string }).version).toBe('1.2');
  });

  it('refuses a bad version, a version registered twice and a type in two domains', () => {
    const entry = { domain: 'user', type: 'user_nap', version: '1.0', payload: z.object({}) };
    expect(() => new EventCatalog([]).register({ ...entry, version: '1' })).toThrow('bad version');
    expect(() => new EventCatalog([entry, entry])).toThrow('registered twice');
    expect(() => new EventCatalog([entry, { ...entry, domain: 'order', version: '1.1' }])).toThrow(
      'two domains',
    );
  });
});
