import { describe, expect, it } from 'vitest';
import { compileFilterCriteria, FilterPatternError } from '../../../local-esm/event-filter.ts';
import type { KafkaEventRecord } from '../../../shared/pipeline/lambda-event.ts';

function record(value: string | null): KafkaEventRecord {
  return {
    topic: 't',
    partition: 0,
    offset: 0,
    timestamp: 0,
    timestampType: 'CREATE_TIME',
    value: value === null ? null : Buffer.from(value).toString('base64'),
    headers: [],
  };
}

const matches = (pattern: unknown, value: string | null) =>
  compileFilterCriteria({ Filters: [{ Pattern: JSON.stringify(pattern) }] })(record(value));

describe('compileFilterCriteria', () => {
  it('matches equality, prefix, suffix, equals-ignore-case on JSON values', () => {
    expect(matches({ value: { domain: ['order'] } }, '{"domain":"order"}')).toBe(true);
    expect(matches({ value: { domain: ['order', 'user'] } }, '{"domain":"user"}')).toBe(true);
    expect(matches({ value: { domain: ['order'] } }, '{"domain":"product"}')).toBe(false);
    expect(matches({ value: { type: [{ prefix: 'order_' }] } }, '{"type":"order_pay"}')).toBe(true);
    expect(matches({ value: { type: [{ suffix: '_pay' }] } }, '{"type":"order_pay"}')).toBe(true);
    expect(
      matches({ value: { type: [{ 'equals-ignore-case': 'ORDER_PAY' }] } }, '{"type":"order_pay"}'),
    ).toBe(true);
  });

  it('recurses into nested objects and ANDs fields', () => {
    const pattern = { value: { domain: ['order'], payload: { amount: [{ numeric: ['>', 0, '<=', 100] }] } } };
    expect(matches(pattern, '{"domain":"order","payload":{"amount":5}}')).toBe(true);
    expect(matches(pattern, '{"domain":"order","payload":{"amount":500}}')).toBe(false);
    expect(matches(pattern, '{"domain":"user","payload":{"amount":5}}')).toBe(false);
    expect(matches(pattern, '{"domain":"order"}')).toBe(false);
  });

  it('supports exists and anything-but', () => {
    expect(matches({ value: { eventId: [{ exists: true }] } }, '{"eventId":"e1"}')).toBe(true);
    expect(matches({ value: { eventId: [{ exists: true }] } }, '{}')).toBe(false);
    expect(matches({ value: { eventId: [{ exists: false }] } }, '{}')).toBe(true);
    expect(
      matches({ value: { domain: [{ 'anything-but': ['user', 'product'] }] } }, '{"domain":"order"}'),
    ).toBe(true);
    expect(matches({ value: { domain: [{ 'anything-but': 'order' }] } }, '{"domain":"order"}')).toBe(false);
    expect(
      matches({ value: { type: [{ 'anything-but': { prefix: 'user_' } }] } }, '{"type":"user_view"}'),
    ).toBe(false);
  });

  it('matches a rule against any element of a list in the data', () => {
    expect(matches({ value: { tags: ['a'] } }, '{"tags":["b","a"]}')).toBe(true);
  });

  it('never matches an object pattern against a value that is not JSON, or a null value (AWS drops them)', () => {
    expect(matches({ value: { domain: ['order'] } }, 'order')).toBe(false);
    expect(matches({ value: { domain: [{ exists: false }] } }, 'not json')).toBe(false);
    expect(matches({ value: { domain: ['order'] } }, null)).toBe(false);
  });

  it('matches plain-string patterns only against plain-string values', () => {
    expect(matches({ value: [{ prefix: 'hello' }] }, 'hello world')).toBe(true);
    expect(matches({ value: ['42'] }, '42')).toBe(false); // 42 is JSON
  });

  it('ORs filters', () => {
    const filter = compileFilterCriteria({
      Filters: [{ Pattern: '{"value":{"d":["a"]}}' }, { Pattern: '{"value":{"d":["b"]}}' }],
    });
    expect(filter(record('{"d":"b"}'))).toBe(true);
    expect(filter(record('{"d":"c"}'))).toBe(false);
  });

  it('rejects patterns AWS would reject or that are outside the subset', () => {
    const compile = (pattern: string) => () => compileFilterCriteria({ Filters: [{ Pattern: pattern }] });
    expect(compile('{"key":{"a":["b"]}}')).toThrow(FilterPatternError);
    expect(compile('not json')).toThrow(FilterPatternError);
    expect(compile('{"value":{"a":[{"wildcard":"*"}]}}')).toThrow(/unsupported operator/);
    expect(compile('{"value":{"a":[{"numeric":[">"]}]}}')).toThrow(FilterPatternError);
    expect(compile('{"value":{"a":"b"}}')).toThrow(FilterPatternError);
  });
});
