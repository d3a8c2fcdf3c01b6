/** Dead-letter rows keep a record's bytes losslessly: value, key and every header. */
import { describe, expect, it } from 'vitest';
import { PermanentEventError } from '../../../shared/pipeline/errors.ts';
import {
  compareDeadLetterRows,
  deadLetterRow,
  headersOf,
  NO_TIMESTAMP,
  timestampKey,
} from '../../../shared/sink/dead-letter.ts';
import { kafkaRecord } from '../../support/events.ts';

const bytesOf = (headers: ReturnType<typeof headersOf>) =>
  headers.map((h) => [h.name, [...Buffer.from(h.value, 'base64')]]);

describe('headersOf', () => {
  it('keeps UTF-8 header values as bytes and as text', () => {
    const record = kafkaRecord({
      offset: 1,
      value: 'x',
      headers: { traceparent: '00-abc-01', source: 'büro' },
    });
    expect(headersOf(record)).toEqual([
      { name: 'traceparent', value: Buffer.from('00-abc-01').toString('base64'), text: '00-abc-01' },
      { name: 'source', value: Buffer.from('büro').toString('base64'), text: 'büro' },
    ]);
  });

  it('reads signed byte values (Java bytes) as the bytes they stand for, binary included', () => {
    const headers = headersOf({ headers: [{ id: [118, -36, 0, 127, -128] }, { name: [-61, -68] }] });
    expect(bytesOf(headers)).toEqual([
      ['id', [118, 220, 0, 127, 128]],
      ['name', [0xc3, 0xbc]],
    ]);
    expect(headers[0]).not.toHaveProperty('text'); // not UTF-8: the bytes alone
    expect(headers[1]?.text).toBe('ü');
  });

  it('decodes a header value given as a base64 string', () => {
    const raw = Buffer.from([0, 1, 2, 250]);
    expect(bytesOf(headersOf({ headers: [{ bin: raw.toString('base64') as unknown as number[] }] }))).toEqual(
      [['bin', [0, 1, 2, 250]]],
    );
  });

  it('keeps repeated headers in order; missing and odd headers do not throw', () => {
    expect(headersOf({ headers: [{ a: [49] }, { a: [50] }] }).map((h) => h.text)).toEqual(['1', '2']);
    expect(headersOf({ headers: undefined as never })).toEqual([]);
    expect(headersOf({ headers: [] })).toEqual([]);
    expect(headersOf({ headers: [{ a: null as unknown as number[] }] })).toEqual([
      { name: 'a', value: '', text: '' },
    ]);
  });

  it('keeps headers named like Object.prototype properties', () => {
    const headers = headersOf({ headers: [JSON.parse('{"__proto__":[49]}'), { constructor: [50] }] });
    expect(headers.map((h) => [h.name, h.text])).toEqual([
      ['__proto__', '1'],
      ['constructor', '2'],
    ]);
  });
});

describe('deadLetterRow', () => {
  it('keeps the raw value and key bytes, the reason and the coordinates', () => {
    const value = Buffer.from([0xff, 0xfe, 0x00, 0x41]);
    const record = kafkaRecord({ partition: 2, offset: 7, key: 'k1', value, headers: { h: 'v' } });
    const { row } = deadLetterRow({
      record,
      error: new PermanentEventError('not_utf8', 'value is not UTF-8'),
      domain: 'user',
      eventId: undefined,
    });
    expect(row).toMatchObject({
      kafka_partition: 2,
      kafka_offset: 7,
      record_value: value,
      record_key: Buffer.from('k1'),
      reason: 'not_utf8',
      function_domain: 'user',
      event_id: null,
    });
    expect(JSON.parse(row.headers as string)).toEqual([{ name: 'h', value: 'dg==', text: 'v' }]);
  });
});

describe('a dead letter is always writable and keyed once', () => {
  const rowFor = (timestamp: number | undefined) => {
    const record = kafkaRecord({ offset: 1, value: 'x' });
    const { row } = deadLetterRow({
      record: { ...record, timestamp: timestamp as number },
      error: new PermanentEventError('not_json', 'not JSON'),
      domain: 'user',
      eventId: undefined,
    });
    return { key: row.record_timestamp_ms, readable: row.record_timestamp };
  };

  it('keys a timestamp DATETIME cannot hold by its epoch milliseconds, and shows none', () => {
    expect(rowFor(8.64e15)).toEqual({ key: 8.64e15, readable: null }); // year 275760
    expect(rowFor(Date.UTC(10_000, 0, 1))).toEqual({ key: Date.UTC(10_000, 0, 1), readable: null });
    expect(rowFor(Date.UTC(999, 11, 31))).toEqual({ key: Date.UTC(999, 11, 31), readable: null });
    expect(rowFor(-8.64e15)).toEqual({ key: -8.64e15, readable: null });
  });

  it('keys a record without a timestamp as Kafka does (NO_TIMESTAMP, -1), never NULL', () => {
    for (const none of [undefined, Number.NaN, -1, Number.POSITIVE_INFINITY, '17' as unknown as number])
      expect(rowFor(none)).toEqual({ key: NO_TIMESTAMP, readable: null });
    expect(NO_TIMESTAMP).toBe(-1);
  });

  it('keeps an ordinary timestamp both ways, and clamps what BIGINT cannot hold', () => {
    const t = Date.UTC(2026, 4, 1, 12, 0, 0, 123);
    expect(rowFor(t)).toEqual({ key: t, readable: new Date(t) });
    expect(rowFor(t + 0.7)).toEqual({ key: t, readable: new Date(t) });
    expect(timestampKey(1e30)).toBe(2n ** 63n - 1n);
    expect(timestampKey(-1e30)).toBe(-(2n ** 63n));
    expect(timestampKey(2 ** 60)).toBe(2n ** 60n);
  });
});

describe('compareDeadLetterRows', () => {
  it('orders rows as the unique key does: topic (bytes), partition, offset, timestamp', () => {
    const row = (
      kafka_topic: string,
      kafka_partition: number,
      kafka_offset: number,
      ms: number | bigint,
    ) => ({
      kafka_topic,
      kafka_partition,
      kafka_offset,
      record_timestamp_ms: ms,
    });
    const rows = [
      row('b', 0, 1, 5),
      row('a', 10, 1, 5),
      row('a', 2, 30, 5),
      row('a', 2, 4, 2n ** 62n),
      row('a', 2, 4, -1),
      row('B', 9, 9, 9),
    ];
    expect([...rows].sort(compareDeadLetterRows)).toEqual([
      row('B', 9, 9, 9),
      row('a', 2, 4, -1),
      row('a', 2, 4, 2n ** 62n),
      row('a', 2, 30, 5),
      row('a', 10, 1, 5),
      row('b', 0, 1, 5),
    ]);
  });
});
