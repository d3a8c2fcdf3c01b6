/** Structured JSON logs (Powertools' Logger): shape, levels, context, redaction, Error serialisation. */
import type { Context } from 'aws-lambda';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Logger, type LoggerOptions, type LogLevel } from '../../../shared/observability/logger.ts';

function capture(options: Omit<LoggerOptions, 'write'> = {}) {
  const lines: string[] = [];
  const logger = new Logger({ ...options, write: (line) => lines.push(line) } as LoggerOptions);
  const entries = () => lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  return { logger, lines, entries };
}

const context = {
  awsRequestId: 'c0ffee00-0000-4000-8000-000000000001',
  functionName: 'lrt-dev-user',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:lrt-dev-user',
  memoryLimitInMB: '1024',
} as Context;

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('Logger', () => {
  it("writes one JSON line per entry: Powertools' standard keys, persistent keys, then fields", () => {
    const { logger, lines, entries } = capture({
      serviceName: 'lambda-realtime',
      persistentKeys: { function: 'user' },
    });
    logger.addContext(context);
    logger.info('batch done', { received: 3, topic: 'business-events' });
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toContain('\n');
    const [entry] = entries();
    expect(Object.keys(entry!)).toEqual([
      'level',
      'message',
      'timestamp',
      'service',
      'cold_start',
      'function_arn',
      'function_memory_size',
      'function_name',
      'function_request_id',
      'sampling_rate',
      'function',
      'received',
      'topic',
    ]);
    expect(entry).toEqual({
      level: 'INFO',
      message: 'batch done',
      timestamp: expect.any(String),
      service: 'lambda-realtime',
      cold_start: false,
      function_arn: context.invokedFunctionArn,
      function_memory_size: '1024',
      function_name: 'lrt-dev-user',
      function_request_id: context.awsRequestId,
      sampling_rate: 0,
      function: 'user',
      received: 3,
      topic: 'business-events',
    });
    expect(new Date(entry!.timestamp as string).toISOString()).toBe(entry!.timestamp);
  });

  it('marks the first invocation of an on-demand environment as its cold start, and only that one', () => {
    vi.stubEnv('AWS_LAMBDA_INITIALIZATION_TYPE', 'on-demand');
    const { logger, entries } = capture();
    logger.addContext(context);
    logger.info('first');
    logger.addContext({ ...context, awsRequestId: 'r2' });
    logger.info('second');
    expect(entries().map((e) => [e.function_request_id, e.cold_start])).toEqual([
      [context.awsRequestId, true],
      ['r2', false],
    ]);
  });

  it('adds the X-Ray trace id when Lambda sets one', () => {
    vi.stubEnv('_X_AMZN_TRACE_ID', 'Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1');
    const { logger, entries } = capture();
    logger.info('x');
    expect(entries()[0]!.xray_trace_id).toBe('1-5759e988-bd862e3fe1be46a994272793');
  });

  it.each<[LogLevel, string[]]>([
    ['TRACE', ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'CRITICAL']],
    ['DEBUG', ['DEBUG', 'INFO', 'WARN', 'ERROR', 'CRITICAL']],
    ['INFO', ['INFO', 'WARN', 'ERROR', 'CRITICAL']],
    ['WARN', ['WARN', 'ERROR', 'CRITICAL']],
    ['ERROR', ['ERROR', 'CRITICAL']],
    ['CRITICAL', ['CRITICAL']],
    ['SILENT', []],
  ])('at level %s writes %j', (level, written) => {
    const { logger, entries } = capture({ logLevel: level });
    logger.trace('t');
    logger.debug('d');
    logger.info('i');
    logger.warn('w');
    logger.error('e');
    logger.critical('c');
    expect(entries().map((e) => e.level)).toEqual(written);
  });

  it('defaults to INFO', () => {
    const { logger, entries } = capture();
    logger.debug('hidden');
    logger.info('shown');
    expect(entries().map((e) => e.message)).toEqual(['shown']);
  });

  it('child loggers add fields, keep level, context and output, and leave the parent alone', () => {
    const { logger, entries } = capture({ logLevel: 'WARN', persistentKeys: { function: 'user' } });
    logger.addContext(context);
    const child = logger.createChild({ persistentKeys: { batch: 'b1' } });
    const grandchild = child.createChild({ persistentKeys: { partition: 3, batch: 'b2' } });
    child.info('filtered');
    child.warn('from child');
    grandchild.error('from grandchild', { offset: 7 });
    logger.warn('from parent');
    expect(entries()).toEqual([
      expect.objectContaining({
        message: 'from child',
        function: 'user',
        batch: 'b1',
        function_request_id: context.awsRequestId,
      }),
      expect.objectContaining({
        message: 'from grandchild',
        function: 'user',
        batch: 'b2',
        partition: 3,
        offset: 7,
        function_request_id: context.awsRequestId,
      }),
      expect.not.objectContaining({ batch: expect.anything() }),
    ]);
  });

  it('entry fields override logger fields', () => {
    const { logger, entries } = capture({ persistentKeys: { table: 'a' } });
    logger.info('x', { table: 'b' });
    expect(entries()[0]!.table).toBe('b');
  });

  it('fields never replace the level, timestamp, message or service of the entry (Powertools drops them, warning)', () => {
    const { logger, entries } = capture({ serviceName: 'lambda-realtime' });
    logger.warn('real message', { message: 'field message', timestamp: 0, level: 'debug', service: 'x' });
    const real = entries().filter((e) => e.message === 'real message');
    expect(real).toEqual([
      expect.objectContaining({ level: 'WARN', message: 'real message', service: 'lambda-realtime' }),
    ]);
    expect(typeof real[0]!.timestamp).toBe('string');
    expect(entries().map((e) => e.message)).toEqual(
      expect.arrayContaining(['The key "message" is a reserved key and will be dropped.']),
    );
  });

  it('writes the warnings Powertools gives while it is constructed to the same output', () => {
    const reserved: Record<string, unknown> = { level: 'DEBUG' };
    const { entries } = capture({ persistentKeys: reserved });
    expect(entries()).toEqual([
      expect.objectContaining({
        level: 'WARN',
        message: 'The key "level" is a reserved key and will be dropped.',
      }),
    ]);
  });

  describe('redaction', () => {
    it.each([
      'password',
      'DB_PASSWORD',
      'dbPass',
      'passwd',
      'secret',
      'clientSecret',
      'SecretString',
      'token',
      'accessToken',
      'refresh_token',
      'Authorization',
      'credentials',
      'apiKey',
      'x-api-key',
      'privateKey',
    ])('replaces the value of a field named %s', (name) => {
      const { logger, lines } = capture();
      logger.info('x', {
        [name]: 'hunter2',
        nested: { [name]: { deep: 'hunter2' } },
        list: [{ [name]: 'hunter2' }],
      });
      expect(lines[0]).not.toContain('hunter2');
      expect(JSON.parse(lines[0]!)[name]).toBe('[redacted]');
    });

    it('redacts in persistent and child fields too', () => {
      const { logger, lines } = capture({ persistentKeys: { dbPassword: 'hunter2' } });
      logger.createChild({ persistentKeys: { sessionToken: 'hunter3' } }).info('x');
      logger.info('y');
      expect(lines).toHaveLength(2);
      expect(lines.join('\n')).not.toMatch(/hunter[23]/);
    });

    it('redacts inside errors: a non-Error cause and its fields', () => {
      const { logger, lines } = capture();
      logger.error('x', { error: new Error('refused', { cause: { password: 'hunter2', host: 'db' } }) });
      expect(lines[0]).not.toContain('hunter2');
      expect(JSON.parse(lines[0]!).error.cause).toEqual({ password: '[redacted]', host: 'db' });
    });

    it('leaves ordinary fields alone', () => {
      const { logger, entries } = capture();
      const fields = {
        eventId: 'e1',
        userId: 'u1',
        topic: 't',
        partition: 0,
        offset: 1,
        key: 'k',
        reason: 'schema',
      };
      logger.info('x', fields);
      expect(entries()[0]).toMatchObject(fields);
    });
  });

  describe('values', () => {
    // `location` is Powertools' own: the first stack frame with a named function.
    it('serialises Errors with their name, location, message and stack, at any depth', () => {
      class DeadlockError extends Error {
        override readonly name = 'DeadlockError';
      }
      const { logger, entries } = capture();
      logger.error('failed', {
        error: new DeadlockError('deadlock found'),
        context: { errors: [new TypeError('bad')] },
      });
      expect(entries()[0]).toMatchObject({
        error: {
          name: 'DeadlockError',
          location: expect.stringMatching(/^\S+:\d+$/),
          message: 'deadlock found',
          stack: expect.stringMatching(/^DeadlockError: deadlock found\n\s+at /),
        },
        context: { errors: [{ name: 'TypeError', message: 'bad', stack: expect.any(String) }] },
      });
    });

    it('writes bigints as strings', () => {
      const { logger, entries } = capture();
      logger.info('x', { offset: 9_007_199_254_740_993n });
      expect(entries()[0]!.offset).toBe('9007199254740993');
    });

    it('drops a circular reference, keeping the rest of the value', () => {
      const { logger, entries } = capture();
      const circular: Record<string, unknown> = { name: 'pool' };
      circular.self = circular;
      expect(() => logger.warn('odd field', { circular, eventId: 'e1' })).not.toThrow();
      expect(entries()).toEqual([
        expect.objectContaining({
          level: 'WARN',
          message: 'odd field',
          eventId: 'e1',
          circular: { name: 'pool' },
        }),
      ]);
    });

    it('never throws on a value JSON cannot hold, and still writes the entry', () => {
      const { logger, entries } = capture();
      const broken = {
        toJSON() {
          throw new Error('cannot');
        },
      };
      expect(() => logger.warn('odd field', { broken, eventId: 'e1' })).not.toThrow();
      expect(entries()).toEqual([
        expect.objectContaining({
          level: 'WARN',
          message: 'odd field',
          eventId: 'e1',
          broken: '[unserialisable]',
        }),
      ]);
    });
  });
});

describe('driver errors', () => {
  it('keep their code, errno and cause chain, but not the SQL text', () => {
    const lines: string[] = [];
    const log = new Logger({ write: (line) => lines.push(line) });
    const driver = Object.assign(new Error('Deadlock found'), {
      code: 'ER_LOCK_DEADLOCK',
      errno: 1213,
      sql: "INSERT ... 'secret-ish'",
      sqlMessage: "Deadlock found near 'secret-ish'",
    });
    log.warn('write failed', { error: new Error('database lock conflict', { cause: driver }) });
    const entry = JSON.parse(lines[0]!);
    expect(entry.error).toEqual({
      name: 'Error',
      location: expect.stringMatching(/^\S+:\d+$/),
      message: 'database lock conflict',
      stack: expect.stringMatching(/^Error: database lock conflict\n/),
      cause: {
        name: 'Error',
        location: expect.stringMatching(/^\S+:\d+$/),
        message: 'Deadlock found',
        stack: expect.stringMatching(/^Error: Deadlock found\n/),
        code: 'ER_LOCK_DEADLOCK',
        errno: 1213,
      },
    });
    expect(lines[0]).not.toContain('secret-ish');
  });

  it('end a cause chain that loops', () => {
    const lines: string[] = [];
    const log = new Logger({ write: (line) => lines.push(line) });
    const a = new Error('a');
    const b = new Error('b', { cause: a });
    Object.assign(a, { cause: b });
    log.error('loop', { error: a });
    expect(JSON.parse(lines[0]!).error).toMatchObject({
      message: 'a',
      cause: { message: 'b', cause: { name: 'Error', message: 'a' } },
    });
    expect(JSON.parse(lines[0]!).error.cause.cause).not.toHaveProperty('cause');
  });
});
