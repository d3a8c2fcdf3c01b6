import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  buildKafkaEvent,
  copyKafkaEvent,
  jsonBytes,
  recordPayloadBytes,
  toEventRecord,
} from '../../../local-esm/kafka-event.ts';
import { failureDocument } from '../../../local-esm/on-failure.ts';

const message = {
  topic: 'business-events',
  partition: 3,
  offset: 42n,
  timestamp: 1_700_000_000_123n,
  key: Buffer.from('order-1'),
  value: Buffer.from('{"a":1}'),
  headerEntries: [[Buffer.from('trace'), Buffer.from([0x61, 0xff])]] as Array<[Buffer, Buffer]>,
};

describe('Lambda Kafka event', () => {
  it('encodes key and value as base64 and headers as arrays of byte values', () => {
    expect(toEventRecord(message)).toEqual({
      topic: 'business-events',
      partition: 3,
      offset: 42,
      timestamp: 1_700_000_000_123,
      timestampType: 'CREATE_TIME',
      key: 'b3JkZXItMQ==',
      value: 'eyJhIjoxfQ==',
      headers: [{ trace: [97, -1] }],
    });
  });

  it('leaves out a missing key and keeps a null value (tombstone)', () => {
    const record = toEventRecord({ ...message, key: undefined, value: null });
    expect(record).not.toHaveProperty('key');
    expect(record.value).toBeNull();
  });

  it('groups records by <topic>-<partition> in the MSK and self-managed forms', () => {
    const record = toEventRecord(message);
    const msk = buildKafkaEvent({ type: 'aws:kafka', eventSourceArn: 'arn:x' }, 'b1:9092,b2:9092', [record]);
    expect(msk).toEqual({
      eventSource: 'aws:kafka',
      eventSourceArn: 'arn:x',
      bootstrapServers: 'b1:9092,b2:9092',
      records: { 'business-events-3': [record] },
    });
    const selfManaged = buildKafkaEvent({ type: 'SelfManagedKafka' }, 'b1:9092', [record]);
    expect(selfManaged).not.toHaveProperty('eventSourceArn');
    expect(selfManaged.eventSource).toBe('SelfManagedKafka');
    expect(recordPayloadBytes(record)).toBe(JSON.stringify(record).length + 1);
  });

  it('counts the bytes JSON.stringify would write, for any record or JSON value', () => {
    const bytes = (value: unknown) => Buffer.byteLength(JSON.stringify(value) ?? '');
    const anyMessage = fc.record({
      topic: fc.string({ unit: 'grapheme' }),
      partition: fc.nat(),
      offset: fc.bigInt({ min: 0n, max: 2n ** 53n }),
      timestamp: fc.bigInt({ min: -1n, max: 2n ** 50n }),
      key: fc.option(
        fc.uint8Array().map((a) => Buffer.from(a)),
        { nil: undefined },
      ),
      value: fc.option(fc.uint8Array().map((a) => Buffer.from(a))),
      headerEntries: fc.array(
        fc.tuple(
          fc.string({ unit: 'binary' }).map((n) => Buffer.from(n)),
          fc.uint8Array().map((a) => Buffer.from(a)),
        ),
      ),
    });
    fc.assert(
      fc.property(anyMessage, (m) => {
        const record = toEventRecord(m);
        expect(recordPayloadBytes(record)).toBe(bytes(record) + 1);
      }),
    );
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        expect(jsonBytes(v)).toBe(bytes(v));
      }),
    );
    for (const v of [
      new Date(0),
      [undefined, 1],
      { a: undefined, b: () => 1 },
      -0,
      1e21,
      Number.NaN,
      '\u2028',
      '\ud800',
    ]) {
      expect(jsonBytes(v)).toBe(bytes(v));
    }
  });

  it('hands the handler a deep copy, equal to what JSON (de)serialisation gives', () => {
    const record = {
      ...toEventRecord(message),
      valueSchemaMetadata: { dataFormat: 'AVRO', schemaId: '7' },
    };
    const event = buildKafkaEvent({ type: 'aws:kafka', eventSourceArn: 'arn:x' }, 'b1:9092', [record]);
    const copy = copyKafkaEvent(event);
    expect(copy).toEqual(JSON.parse(JSON.stringify(event)));
    const copied = copy.records['business-events-3']![0]!;
    copied.headers[0]!.trace!.push(1);
    copied.valueSchemaMetadata!.schemaId = '8';
    copied.value = null;
    copy.records['business-events-3']!.pop();
    expect(event.records['business-events-3']).toEqual([record]);
    expect(record.headers).toEqual([{ trace: [97, -1] }]);
    expect(record.valueSchemaMetadata.schemaId).toBe('7');
  });

  it('builds AWS’s on-failure document for one record', () => {
    const record = toEventRecord(message);
    const document = failureDocument(
      { record, condition: 'RetryAttemptsExhausted', invokeCount: 11, lastFunctionError: 'Unhandled' },
      {
        functionArn: 'arn:aws:lambda:us-east-1:000000000000:function:f',
        source: { type: 'aws:kafka', eventSourceArn: 'arn:x' },
        bootstrapServers: 'b1:9092',
        now: new Date('2026-01-01T00:00:00.000Z'),
      },
    );
    expect(document).toEqual({
      requestContext: {
        requestId: expect.any(String),
        functionArn: 'arn:aws:lambda:us-east-1:000000000000:function:f',
        condition: 'RetryAttemptsExhausted',
        approximateInvokeCount: 11,
      },
      responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
      version: '1.0',
      timestamp: '2026-01-01T00:00:00.000Z',
      KafkaBatchInfo: {
        batchSize: 1,
        eventSourceArn: 'arn:x',
        bootstrapServers: 'b1:9092',
        payloadSize: Buffer.byteLength(JSON.stringify(document.payload)),
        recordInfo: { offset: '42', timestamp: '2023-11-14T22:13:20.123Z' },
      },
      payload: {
        eventSource: 'aws:kafka',
        eventSourceArn: 'arn:x',
        bootstrapServers: 'b1:9092',
        records: { 'business-events-3': [record] },
      },
    });
  });
});
