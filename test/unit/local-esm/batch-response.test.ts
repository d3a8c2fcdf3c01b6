import { describe, expect, it } from 'vitest';
import { interpretBatchResponse } from '../../../local-esm/batch-response.ts';
import type { KafkaEventRecord } from '../../../shared/pipeline/lambda-event.ts';

const rec = (partition: number, offset: number): KafkaEventRecord => ({
  topic: 'events',
  partition,
  offset,
  timestamp: 0,
  timestampType: 'CREATE_TIME',
  value: null,
  headers: [],
});
const batch = [rec(0, 10), rec(0, 11), rec(0, 12), rec(1, 5)];
const item = (partition: string, offset: number) => ({ itemIdentifier: { partition, offset } });

describe('interpretBatchResponse', () => {
  it.each([undefined, null, {}, { batchItemFailures: null }, { batchItemFailures: [] }])(
    'treats %j as full success',
    (response) => {
      expect(interpretBatchResponse(response, batch)).toEqual({ kind: 'success' });
    },
  );

  it('resumes each reported partition at its lowest reported offset', () => {
    const outcome = interpretBatchResponse(
      { batchItemFailures: [item('events-0', 12), item('events-0', 11)] },
      batch,
    );
    expect(outcome).toEqual({ kind: 'partial', resumeAt: new Map([['events-0', 11]]) });
  });

  it.each([
    ['a string identifier', { batchItemFailures: [{ itemIdentifier: 'events-0@11' }] }],
    ['a null identifier', { batchItemFailures: [{ itemIdentifier: null }] }],
    ['a bad key name', { batchItemFailures: [{ itemIdentifer: { partition: 'events-0', offset: 11 } }] }],
    ['an offset not in the batch', { batchItemFailures: [item('events-0', 13)] }],
    ['a partition not in the batch', { batchItemFailures: [item('events-2', 10)] }],
    ['a string offset', { batchItemFailures: [{ itemIdentifier: { partition: 'events-0', offset: '11' } }] }],
    ['a list that is not a list', { batchItemFailures: 'all' }],
    ['a response that is not an object', 'ok'],
  ])('fails the whole batch on %s', (_why, response) => {
    expect(interpretBatchResponse(response, batch).kind).toBe('failure');
  });
});
