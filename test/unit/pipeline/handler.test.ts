/** The handlers driven with Lambda Kafka events, against an in-memory database side. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { domain } from '../../../shared/domains/registry.ts';
import { user } from '../../../shared/domains/user.ts';
import { FUNCTION_DIMENSION, METRIC } from '../../../shared/observability/metrics.ts';
import { defineDomain } from '../../../shared/pipeline/domain.ts';
import { DataRejectedError, TransientError } from '../../../shared/pipeline/errors.ts';
import { createHandler } from '../../../shared/runtime/create-handler.ts';
import { businessEvent, failedIds, kafkaEvent, kafkaRecord, lambdaContext } from '../../support/events.ts';
import { LOCAL_ENV, type MemoryRuntime, memoryRuntime } from '../../support/memory-runtime.ts';

afterEach(() => {
  vi.unstubAllEnvs();
});

function userHandler(runtime: MemoryRuntime, logs: string[] = []) {
  return createHandler(domain('user'), {
    env: LOCAL_ENV,
    runtime,
    writeLog: (line) => logs.push(line),
  });
}

/** Two partitions: every kind of record the issue names. */
function mixedBatch() {
  const login = businessEvent('user_login', {}, { userId: 'u1' });
  const twice = businessEvent('user_view', {}, { userId: 'u2' });
  const purchase = businessEvent('user_purchase', {}, { userId: 'u1', productId: 'p1' });
  const records = [
    kafkaRecord({ partition: 0, offset: 10, value: login }),
    kafkaRecord({ partition: 0, offset: 11, value: twice }),
    kafkaRecord({ partition: 0, offset: 12, value: Buffer.from([0xff, 0xfe, 0x00, 0x41]) }),
    kafkaRecord({ partition: 0, offset: 13, value: twice }),
    kafkaRecord({ partition: 1, offset: 20, value: '{"domain":"user",' }),
    kafkaRecord({
      partition: 1,
      offset: 21,
      value: businessEvent('user_login', {}, { loginTime: 'yesterday' }),
    }),
    kafkaRecord({ partition: 1, offset: 22, value: businessEvent('user_login', { type: 'user_teleport' }) }),
    kafkaRecord({ partition: 1, offset: 23, value: businessEvent('order_create') }),
    kafkaRecord({ partition: 1, offset: 24, value: purchase }),
  ];
  return { records, login, twice, purchase };
}

describe.each(['msk', 'self-managed'] as const)('user handler, %s event', (form) => {
  it('writes valid events once, dead-letters bad records, skips other domains, reports nothing', async () => {
    const runtime = memoryRuntime({ u1: { user_name: 'Ann', user_level: 'gold', region: 'north' } });
    const { records, login, twice, purchase } = mixedBatch();
    const response = await userHandler(runtime)(kafkaEvent(records, form), lambdaContext());

    expect(response).toEqual({ batchItemFailures: [] });
    expect([...runtime.events.keys()].sort()).toEqual(
      [login.eventId, twice.eventId, purchase.eventId].sort(),
    );
    expect(runtime.events.get(login.eventId as string)).toMatchObject({
      user_id: 'u1',
      user_name: 'Ann',
      kafka_offset: 10,
    });
    expect(runtime.events.get(twice.eventId as string)).toMatchObject({ user_name: null, kafka_offset: 11 });
    expect(runtime.deadLetters.map((d) => [d.kafka_partition, d.kafka_offset, d.reason])).toEqual([
      [0, 12, 'not_utf8'],
      [1, 20, 'not_json'],
      [1, 21, 'schema'],
      [1, 22, 'unknown_type'],
    ]);
    // One transaction for the whole batch.
    expect(runtime.applyCalls).toHaveLength(1);
  });

  it('reports every partition from its first record when the database fails transiently', async () => {
    const runtime = memoryRuntime();
    runtime.failNext.push(new TransientError('database connection: ECONNREFUSED'));
    const response = await userHandler(runtime)(kafkaEvent(mixedBatch().records, form), lambdaContext());
    expect(failedIds(response)).toEqual([
      'business-events-0@10',
      'business-events-0@11',
      'business-events-0@12',
      'business-events-0@13',
      'business-events-1@20',
      'business-events-1@21',
      'business-events-1@22',
      'business-events-1@23',
      'business-events-1@24',
    ]);
  });
});

describe('partition order and isolation', () => {
  it.each(['toWrite', 'dimensionKeys'] as const)(
    'stops only the partition whose processor failed (in %s), from that record on',
    async (method) => {
      const runtime = memoryRuntime();
      const failing = user.processors.map((p) =>
        p.type === 'user_view'
          ? {
              ...p,
              [method]: () => {
                throw new Error('processor bug');
              },
            }
          : p,
      );
      const handler = createHandler(defineDomain({ ...user, processors: failing }), {
        env: LOCAL_ENV,
        runtime,
        writeLog: () => {},
      });
      const records = [
        kafkaRecord({ partition: 0, offset: 1, value: businessEvent('user_login') }),
        kafkaRecord({ partition: 0, offset: 2, value: businessEvent('user_view') }),
        kafkaRecord({ partition: 0, offset: 3, value: businessEvent('user_login') }),
        kafkaRecord({ partition: 1, offset: 7, value: businessEvent('user_login') }),
        kafkaRecord({ partition: 1, offset: 8, value: 'not json' }),
      ];
      const response = await handler(kafkaEvent(records), lambdaContext());
      expect(failedIds(response)).toEqual(['business-events-0@2', 'business-events-0@3']);
      const written = [...runtime.events.values()].map((r) => `${r.kafka_partition}@${r.kafka_offset}`);
      expect(written.sort()).toEqual(['0@1', '1@7']);
      expect(runtime.deadLetters.map((d) => d.kafka_offset)).toEqual([8]);
    },
  );

  it('processes records of a partition in offset order even when delivered out of order', async () => {
    const runtime = memoryRuntime();
    const records = [3, 1, 2].map((offset) => kafkaRecord({ offset, value: businessEvent('user_login') }));
    await userHandler(runtime)(kafkaEvent(records), lambdaContext());
    expect(runtime.applyCalls[0]!.events.map((w) => w.event.row.kafka_offset)).toEqual([1, 2, 3]);
  });

  it('reports every record when the dimension lookup fails, skipping nothing else', async () => {
    const runtime = memoryRuntime();
    runtime.failLookups = new TransientError('dimension query timed out');
    const records = [
      kafkaRecord({ partition: 0, offset: 1, value: businessEvent('order_pay') }),
      kafkaRecord({ partition: 0, offset: 2, value: businessEvent('user_login') }),
      kafkaRecord({ partition: 1, offset: 5, value: businessEvent('user_view') }),
    ];
    const response = await userHandler(runtime)(kafkaEvent(records), lambdaContext());
    // offset 1 is another domain's event: skipped, so the partition resumes at 2.
    expect(failedIds(response)).toEqual(['business-events-0@2', 'business-events-1@5']);
    expect(runtime.applyCalls).toHaveLength(0);
  });

  it('isolates a value the database refuses: that event is dead-lettered, the rest written', async () => {
    const runtime = memoryRuntime();
    const bad = businessEvent('user_login');
    const good = businessEvent('user_login');
    runtime.sink.apply = ((apply) => async (writes) => {
      if (writes.events.some((w) => w.eventId === bad.eventId)) {
        runtime.applyCalls.push(writes);
        throw new DataRejectedError("Data too long for column 'device'");
      }
      return apply(writes);
    })(runtime.sink.apply);
    const records = [kafkaRecord({ offset: 1, value: good }), kafkaRecord({ offset: 2, value: bad })];
    const response = await userHandler(runtime)(kafkaEvent(records), lambdaContext());
    expect(response.batchItemFailures).toEqual([]);
    expect([...runtime.events.keys()]).toEqual([good.eventId]);
    expect(runtime.deadLetters).toMatchObject([
      { kafka_offset: 2, reason: 'rejected_by_database', event_id: bad.eventId },
    ]);
  });
});

describe('invocation guard', () => {
  it('never answers for a batch before its write finished (no early timeout)', async () => {
    const runtime = memoryRuntime();
    const apply = runtime.sink.apply;
    let committed = false;
    runtime.sink.apply = async (writes) => {
      await new Promise((resolve) => setTimeout(resolve, 150));
      committed = true;
      return apply(writes);
    };
    const context = { ...lambdaContext(), getRemainingTimeInMillis: () => 50 };
    const response = await userHandler(runtime)(
      kafkaEvent([kafkaRecord({ offset: 1, value: businessEvent('user_login') })]),
      context,
    );
    expect(committed).toBe(true);
    expect(response.batchItemFailures).toEqual([]);
  });

  it('throws on an invocation that is not a Kafka event', async () => {
    const handler = userHandler(memoryRuntime());
    await expect(handler({ Records: [] } as never, lambdaContext())).rejects.toThrow(
      /not a Lambda Kafka event/,
    );
  });

  it.each([
    ['a partition that is not a list', { 't-0': { offset: 1 } }],
    ['records without offsets', { 't-0': [{ value: 'x' }, null] }],
    // AWS's runtime client hands these through as they are; none can be answered safely.
    ['a list for "records"', []],
    ['a null record among good ones', { 't-0': [{ offset: 1, value: null }, null] }],
    ['a record without an offset among good ones', { 't-0': [{ offset: 1 }, { partition: 0 }] }],
    ['a partition that is not a list beside a good one', { 't-0': [{ offset: 1 }], 't-1': 'x' }],
    ['a negative or fractional offset', { 't-0': [{ offset: -1 }, { offset: 1.5 }] }],
  ])('fails the invocation when no record can be named: %s', async (_name, records) => {
    const logs: string[] = [];
    const event = { eventSource: 'aws:kafka', bootstrapServers: 'b:9092', records } as never;
    await expect(userHandler(memoryRuntime(), logs)(event, lambdaContext())).rejects.toThrow();
    expect(logs.join('\n')).not.toContain('reporting every record for retry');
  });

  it('turns an unexpected error into a report of every record instead of an exception', async () => {
    const runtime = memoryRuntime();
    const record = kafkaRecord({ offset: 4, value: businessEvent('user_login') });
    // A bug, not the data's fault: reading the record throws something no stage expects.
    Object.defineProperty(record, 'value', {
      get() {
        throw new Error('bug');
      },
    });
    const response = await userHandler(runtime)(kafkaEvent([record]), lambdaContext());
    expect(failedIds(response)).toEqual(['business-events-0@4']);
  });

  it('logs structured lines with coordinates, request id and cold start, and no secret', async () => {
    vi.stubEnv('AWS_LAMBDA_INITIALIZATION_TYPE', 'on-demand');
    const logs: string[] = [];
    const handler = createHandler(domain('user'), {
      env: {
        ...LOCAL_ENV,
        POWERTOOLS_SERVICE_NAME: 'lambda-realtime',
        POWERTOOLS_METRICS_NAMESPACE: 'lambda-realtime/dev',
      },
      runtime: memoryRuntime(),
      writeLog: (line) => logs.push(line),
    });
    const first = lambdaContext();
    await handler(kafkaEvent([kafkaRecord({ partition: 2, offset: 9, value: 'nope' })]), first);
    const second = lambdaContext();
    await handler(kafkaEvent([kafkaRecord({ partition: 2, offset: 10, value: 'nope' })]), second);
    const entries = logs.map((l) => JSON.parse(l));
    const deadLettered = entries.filter((e) => e.message === 'dead-lettering record');
    expect(deadLettered[0]).toEqual({
      level: 'WARN',
      message: 'dead-lettering record',
      timestamp: expect.any(String),
      service: 'lambda-realtime',
      cold_start: true,
      function_arn: first.invokedFunctionArn,
      function_memory_size: first.memoryLimitInMB,
      function_name: first.functionName,
      function_request_id: first.awsRequestId,
      sampling_rate: 0,
      function: 'user',
      topic: 'business-events',
      partition: 2,
      offset: 9,
      reason: 'not_json',
    });
    expect(deadLettered[1]).toMatchObject({
      cold_start: false,
      function_request_id: second.awsRequestId,
      offset: 10,
    });
    expect(entries.find((e) => e.message === 'batch done')).toMatchObject({
      level: 'INFO',
      function: 'user',
      function_request_id: first.awsRequestId,
      received: 1,
      deadLettered: { not_json: 1 },
    });
    expect(logs.join('\n')).not.toContain(LOCAL_ENV.DB_PASSWORD);
    const emf = entries.find((e) => e._aws && !('reason' in e));
    expect(emf._aws.CloudWatchMetrics[0]).toMatchObject({
      Namespace: 'lambda-realtime/dev',
      Dimensions: [['function']],
    });
    expect(emf).toMatchObject({ function: 'user', RecordsReceived: 1 });
    expect(emf).not.toHaveProperty('service');
  });

  it('writes the metrics the alarms read under the function alone, whatever else they are split by', async () => {
    const logs: string[] = [];
    const records = [
      ...mixedBatch().records,
      kafkaRecord({ partition: 1, offset: 30, value: businessEvent('user_view', {}, { userId: 'u1' }) }),
    ];
    await userHandler(memoryRuntime(), logs)(kafkaEvent(records), lambdaContext());
    const documents = logs.map((l) => JSON.parse(l)).filter((e) => e._aws);
    const published = new Set<string>();
    for (const d of documents) {
      const [directive] = d._aws.CloudWatchMetrics;
      expect(directive.Namespace).toBe('lambda-realtime');
      for (const set of directive.Dimensions as string[][]) {
        expect(set[0]).toBe(FUNCTION_DIMENSION);
        expect(set.every((name) => typeof d[name] === 'string')).toBe(true);
        if (set.length === 1) for (const m of directive.Metrics) published.add(m.Name);
      }
      expect(d).not.toHaveProperty('service');
    }
    // Every metric of the handler, under `function` alone — what infra/lib/monitoring/ reads.
    expect([...published].sort()).toEqual(Object.values(METRIC).sort());
    // Split ones roll up: one document per value, with both dimension sets.
    const processed = documents.filter((d) => d.EventsProcessed !== undefined);
    expect(processed.map((d) => [d.eventType, d.EventsProcessed]).sort()).toEqual([
      ['user_login', 1],
      ['user_purchase', 1],
      ['user_view', 3],
    ]);
    for (const d of processed) {
      expect(d._aws.CloudWatchMetrics[0].Dimensions).toEqual([['function', 'eventType'], ['function']]);
    }
    expect(
      documents
        .filter((d) => d.EventsDeadLettered !== undefined)
        .map((d) => [d.reason, d.EventsDeadLettered]),
    ).toEqual([
      ['not_utf8', 1],
      ['not_json', 1],
      ['schema', 1],
      ['unknown_type', 1],
    ]);
  });
});

describe('order handler', () => {
  it('handles its own domain and skips user events', async () => {
    const runtime = memoryRuntime();
    const handler = createHandler(domain('order'), {
      env: LOCAL_ENV,
      runtime,
      writeLog: () => {},
    });
    const create = businessEvent('order_create');
    const response = await handler(
      kafkaEvent([
        kafkaRecord({ offset: 1, value: create }),
        kafkaRecord({ offset: 2, value: businessEvent('user_login') }),
      ]),
      lambdaContext(),
    );
    expect(response.batchItemFailures).toEqual([]);
    expect([...runtime.events.keys()]).toEqual([create.eventId]);
    expect(runtime.applyCalls[0]!.events[0]!.state[0]!.row).toMatchObject({
      status: 'CREATED',
      order_id: create.payload && (create.payload as { orderId: string }).orderId,
    });
  });
});
