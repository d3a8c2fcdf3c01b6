/** The replay tool's pure parts: selections, stored headers, failure documents, partitions, MSK IAM tokens. */
import { compatibilityPartitioner } from '@platformatic/kafka';
import { describe, expect, it } from 'vitest';
import {
  decodeStoredHeaders,
  SelectionError,
  selectionFilter,
} from '../../../scripts/replay/dead-letters.ts';
import { kafkaConnectionFromEnv, toMessage } from '../../../scripts/replay/kafka.ts';
import { mskIamToken } from '../../../scripts/replay/msk-iam.ts';
import { decodeEventHeaders, recordsOfDocument } from '../../../scripts/replay/on-failure.ts';
import { headersOf } from '../../../shared/sink/dead-letter.ts';

describe('selectionFilter', () => {
  it('combines selectors with AND, values as parameters', () => {
    const since = new Date('2026-01-01T00:00:00Z');
    expect(selectionFilter({ reasons: ['schema', 'not_json'], ids: [4], domain: 'user', since })).toEqual({
      sql: 'reason IN (?, ?) AND id IN (?) AND function_domain = ? AND first_seen_at >= ?',
      params: ['schema', 'not_json', 4, 'user', since],
    });
    expect(selectionFilter({ all: true })).toEqual({ sql: 'TRUE', params: [] });
  });

  it('refuses no selector at all, and --all with another', () => {
    expect(() => selectionFilter({})).toThrow(SelectionError);
    expect(() => selectionFilter({ reasons: [] })).toThrow(/--all/);
    expect(() => selectionFilter({ all: true, domain: 'user' })).toThrow(/alone/);
  });
});

describe('stored headers', () => {
  it('decode to the bytes headersOf stored, signed or not, repeated names kept in order', () => {
    const stored = headersOf({
      headers: [{ trace: [-1, -128, 127, 0] }, { trace: [104, 105] }, { empty: [] }, { bin: [200, 255] }],
    });
    const decoded = decodeStoredHeaders(JSON.stringify(stored));
    expect(decoded.map(([name, value]) => [name.toString(), [...value]])).toEqual([
      ['trace', [0xff, 0x80, 0x7f, 0x00]],
      ['trace', [104, 105]],
      ['empty', []],
      ['bin', [200, 255]],
    ]);
    expect(decodeStoredHeaders(stored)).toEqual(decoded); // a JSON column MySQL returns parsed
    expect(decodeStoredHeaders(null)).toEqual([]);
  });

  it('refuses what is not {name, value: base64}', () => {
    expect(() => decodeStoredHeaders('{}')).toThrow(/array/);
    expect(() => decodeStoredHeaders('[{"name":"a","value":"not base64!"}]')).toThrow(/header 0/);
    expect(() => decodeStoredHeaders('[{"value":"AA=="}]')).toThrow(/header 0/);
  });
});

describe('failure documents', () => {
  const record = {
    topic: 'business-events',
    partition: 4,
    offset: 17,
    timestamp: 0,
    timestampType: 'CREATE_TIME',
    key: Buffer.from([0, 255]).toString('base64'),
    value: Buffer.from([0xc3, 0x28]).toString('base64'),
    headers: [{ trace: [-128, 127] }],
  };
  const document = (records: unknown) =>
    Buffer.from(
      JSON.stringify({
        requestContext: { condition: 'RetryAttemptsExhausted' },
        version: '1.0',
        payload: { records },
      }),
    );

  it('give back the original record', () => {
    const parsed = recordsOfDocument(document({ 'business-events-4': [record] }));
    expect(parsed).toEqual({
      condition: 'RetryAttemptsExhausted',
      records: [
        {
          sourceTopic: 'business-events',
          sourcePartition: 4,
          offset: '17',
          key: Buffer.from([0, 255]),
          value: Buffer.from([0xc3, 0x28]),
          headers: [[Buffer.from('trace'), Buffer.from([0x80, 0x7f])]],
        },
      ],
    });
    const tombstone = recordsOfDocument(
      document({ 'business-events-4': [{ ...record, key: null, value: null }] }),
    );
    expect(tombstone).toMatchObject({ records: [{ key: null, value: null }] });
  });

  it('say why a message is not one', () => {
    expect(recordsOfDocument(null)).toEqual({ malformed: 'empty message' });
    expect(recordsOfDocument(Buffer.from('{'))).toEqual({ malformed: 'not JSON' });
    expect(recordsOfDocument(Buffer.from('null'))).toEqual({ malformed: 'no payload.records object' });
    expect(recordsOfDocument(document({}))).toEqual({ malformed: 'payload.records holds no record' });
    expect(recordsOfDocument(document({ x: [] }))).toMatchObject({
      malformed: expect.stringContaining('empty'),
    });
    expect(recordsOfDocument(document({ x: [{ ...record, topic: 7 }] }))).toMatchObject({
      malformed: expect.stringContaining('topic'),
    });
    expect(recordsOfDocument(document({ x: [{ ...record, value: '%%%' }] }))).toMatchObject({
      malformed: expect.stringContaining('value'),
    });
    expect(recordsOfDocument(document({ x: [{ ...record, headers: [{ a: [300] }] }] }))).toMatchObject({
      malformed: expect.stringContaining('headers'),
    });
  });

  it('header values are byte arrays, signed or unsigned', () => {
    expect(decodeEventHeaders([{ a: [-1, 255, 0] }])).toEqual([
      [Buffer.from('a'), Buffer.from([255, 255, 0])],
    ]);
    expect(decodeEventHeaders({})).toBe('not an array');
    expect(decodeEventHeaders([{ a: 'AA==' }])).toContain('byte values');
  });
});

describe('where a replayed record goes', () => {
  const base = { sourceTopic: 'events', sourcePartition: 5, value: Buffer.from('v'), headers: [] };
  const partitions = new Map([
    ['events', 6],
    ['other', 3],
  ]);

  it('its own partition, back into its own topic', () => {
    expect(toMessage({ ...base, topic: 'events', key: Buffer.from('k') }, partitions).partition).toBe(5);
  });

  it('by key with Java’s partitioner into another topic; keyless round robin', () => {
    const key = Buffer.from('order-42');
    expect(toMessage({ ...base, topic: 'other', key }, partitions).partition).toBe(
      compatibilityPartitioner({ topic: 'other' }, key) % 3,
    );
    expect(toMessage({ ...base, topic: 'other', key: null }, partitions).partition).toBeUndefined();
  });

  it('by key when its partition no longer exists', () => {
    const fewer = new Map([['events', 2]]);
    const key = Buffer.from('order-42');
    expect(toMessage({ ...base, topic: 'events', key }, fewer).partition).toBe(
      compatibilityPartitioner({ topic: 'events' }, key) % 2,
    );
  });
});

describe('Kafka connection settings', () => {
  it('reads KAFKA_BROKERS and KAFKA_AUTH', () => {
    expect(kafkaConnectionFromEnv({ KAFKA_BROKERS: 'a:9092, b:9092' })).toEqual({
      bootstrapBrokers: ['a:9092', 'b:9092'],
    });
    expect(kafkaConnectionFromEnv({ KAFKA_BROKERS: 'a:9094', KAFKA_AUTH: 'tls' })).toMatchObject({
      tls: {},
      tlsServerName: true,
    });
    expect(
      kafkaConnectionFromEnv({ KAFKA_BROKERS: 'a:9098', KAFKA_AUTH: 'msk-iam', AWS_REGION: 'eu-west-1' }),
    ).toMatchObject({ tls: {}, sasl: { mechanism: 'OAUTHBEARER', token: expect.any(Function) } });
    expect(() => kafkaConnectionFromEnv({ KAFKA_BROKERS: 'a:9098', KAFKA_AUTH: 'msk-iam' })).toThrow(
      /AWS_REGION/,
    );
    expect(() => kafkaConnectionFromEnv({ KAFKA_BROKERS: 'a', KAFKA_AUTH: 'scram' })).toThrow(/KAFKA_AUTH/);
    expect(() => kafkaConnectionFromEnv({})).toThrow(/KAFKA_BROKERS/);
  });
});

describe('MSK IAM token', () => {
  // Expected signatures from AWS's aws-msk-iam-sasl-signer-js 1.0.3 for the same inputs.
  const now = new Date(Date.UTC(2026, 0, 15, 12, 0, 0));
  const credentials = {
    accessKeyId: 'AKIDEXAMPLE',
    secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
  };
  const decode = (token: string) => new URL(Buffer.from(token, 'base64url').toString('utf8'));

  it('is the presigned kafka-cluster:Connect URL AWS’s signer makes, base64url without padding', async () => {
    const token = await mskIamToken({ region: 'eu-west-1', credentials, now });
    expect(token).toMatch(/^[A-Za-z0-9_-]+$/);
    const url = decode(token);
    expect(`${url.protocol}//${url.host}${url.pathname}`).toBe('https://kafka.eu-west-1.amazonaws.com/');
    expect(Object.fromEntries(url.searchParams)).toEqual({
      Action: 'kafka-cluster:Connect',
      'User-Agent': 'lambda-realtime-replay',
      'X-Amz-Algorithm': 'AWS4-HMAC-SHA256',
      'X-Amz-Credential': 'AKIDEXAMPLE/20260115/eu-west-1/kafka-cluster/aws4_request',
      'X-Amz-Date': '20260115T120000Z',
      'X-Amz-Expires': '900',
      'X-Amz-SignedHeaders': 'host',
      'X-Amz-Signature': '30eddf2b361a236b82f30ea5f0bed0357527083752cb417ae9b8cf2fc2ac087a',
    });
  });

  it('carries a session token, and expires with the credentials', async () => {
    const url = decode(
      await mskIamToken({
        region: 'eu-west-1',
        credentials: {
          ...credentials,
          sessionToken: 'session/token+=',
          expiration: new Date(now.getTime() + 300_000),
        },
        now,
      }),
    );
    expect(url.searchParams.get('X-Amz-Security-Token')).toBe('session/token+=');
    expect(url.searchParams.get('X-Amz-Expires')).toBe('300');
    const unexpiring = decode(
      await mskIamToken({
        region: 'eu-west-1',
        credentials: { ...credentials, sessionToken: 'session/token+=' },
        now,
      }),
    );
    expect(unexpiring.searchParams.get('X-Amz-Signature')).toBe(
      'cad89c979577c314beaaab6d7c9fc3a520e1f48a9b52f9cad40407187fdd937d',
    );
  });
});
