/** The registry wire format as the local ESM reads it (local-esm/schema-registry.ts). */
import { describe, expect, it } from 'vitest';
import { readMessageIndexes, SchemaRegistryStage, schemaIdOf } from '../../../local-esm/schema-registry.ts';
import { fromRegistryJson, sourceFormatOf } from '../../../shared/pipeline/registry-records.ts';
import { kafkaRecord } from '../../support/events.ts';

describe('registry wire format', () => {
  it('reads the schema id after magic byte 0, and nothing from other bytes', () => {
    expect(schemaIdOf(Buffer.from([0, 0, 0, 1, 2, 9]))).toBe(258);
    expect(schemaIdOf(Buffer.from('{"a":1}'))).toBeUndefined();
    expect(schemaIdOf(Buffer.from([0, 0, 1]))).toBeUndefined();
  });

  it("reads Confluent's Protobuf message indexes: 0 is [0], else a zigzag count and indexes", () => {
    expect(readMessageIndexes(Buffer.from([0, 10]))).toEqual({ indexes: [0], offset: 1 });
    expect(readMessageIndexes(Buffer.from([4, 2, 6, 10]))).toEqual({ indexes: [1, 3], offset: 3 });
    expect(() => readMessageIndexes(Buffer.from([4, 2]))).toThrow(/past the value/);
  });

  it('a record not in the wire format is a DESERIALIZATION_ERROR, before any registry call', () => {
    const stage = new SchemaRegistryStage({
      kind: 'confluent',
      uri: 'http://127.0.0.1:9/unused',
      eventRecordFormat: 'JSON',
      validate: ['VALUE'],
      access: [],
    });
    expect(stage.convert(kafkaRecord({ offset: 0, value: { a: 1 } }))).toMatchObject({
      kind: 'failed',
      reason: 'DESERIALIZATION_ERROR',
    });
  });

  it('the local ESM emulates a Confluent-compatible registry, not Glue', () => {
    expect(
      () =>
        new SchemaRegistryStage({
          kind: 'glue',
          uri: 'arn:aws:glue:eu-west-1:123456789012:registry/r',
          eventRecordFormat: 'JSON',
          validate: ['VALUE'],
          access: [],
        }),
    ).toThrow(/not Glue/);
  });
});

describe('registry records in the function', () => {
  const meta = (dataFormat: string) => ({ valueSchemaMetadata: { dataFormat, schemaId: '1' } });
  it('SOURCE bytes are recognised by the metadata and not being JSON text', () => {
    expect(
      sourceFormatOf({ ...kafkaRecord({ offset: 0, value: Buffer.from([0x0a, 1]) }), ...meta('PROTOBUF') }),
    ).toBe('PROTOBUF');
    expect(
      sourceFormatOf({ ...kafkaRecord({ offset: 0, value: { a: 1 } }), ...meta('AVRO') }),
    ).toBeUndefined();
    expect(sourceFormatOf(kafkaRecord({ offset: 0, value: Buffer.from([0x0a]) }))).toBeUndefined();
  });

  it("registry JSON's null payload fields are dropped, nothing else", () => {
    expect(fromRegistryJson({ type: 't', source: null, payload: { a: null, b: 0, c: '' } })).toEqual({
      type: 't',
      source: null,
      payload: { b: 0, c: '' },
    });
  });
});
