/** Structured JSON logs: levels, child fields, redaction, Error serialisation. */
import { describe, expect, it } from 'vitest';
import { Logger, type LoggerOptions, type LogLevel } from '../../../shared/observability/logger.ts';

function capture(options: Omit<LoggerOptions, 'write'> = {}) {
  const lines: string[] = [];
  const logger = new Logger({ ...options, write: (line) => lines.push(line) });
  const entries = () => lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  return { logger, lines, entries };
}

describe('Logger', () => {
  it('writes one JSON line per entry: level, ISO timestamp, message, then fields', () => {
    const { logger, lines, entries } = capture();
    logger.info('batch done', { received: 3, topic: 'business-events' });
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toContain('\n');
    const [entry] = entries();
    expect(Object.keys(entry!)).toEqual(['level', 'timestamp', 'message', 'received', 'topic']);
    expect(entry).toMatchObject({
      level: 'info',
      message: 'batch done',
      received: 3,
      topic: 'business-events',
    });
    expect(new Date(entry!.timestamp as string).toISOString()).toBe(entry!.timestamp);
  });

  it.each<[LogLevel, LogLevel[]]>([
    ['debug', ['debug', 'info', 'warn', 'error']],
    ['info', ['info', 'warn', 'error']],
    ['warn', ['warn', 'error']],
    ['error', ['error']],
  ])('at level %s writes %j', (level, written) => {
    const { logger, entries } = capture({ level });
    logger.debug('d');
    logger.info('i');
    logger.warn('w');
    logger.error('e');
    expect(entries().map((e) => e.level)).toEqual(written);
  });

  it('defaults to info', () => {
    const { logger, entries } = capture();
    logger.debug('hidden');
    logger.info('shown');
    expect(entries().map((e) => e.message)).toEqual(['shown']);
  });

  it('child loggers add fields, keep level and output, and leave the parent alone', () => {
    const { logger, entries } = capture({ level: 'warn', fields: { function: 'user' } });
    const child = logger.child({ awsRequestId: 'r1' });
    const grandchild = child.child({ partition: 3, awsRequestId: 'r2' });
    child.info('filtered');
    child.warn('from child');
    grandchild.error('from grandchild', { offset: 7 });
    logger.warn('from parent');
    expect(entries()).toEqual([
      expect.objectContaining({ message: 'from child', function: 'user', awsRequestId: 'r1' }),
      expect.objectContaining({
        message: 'from grandchild',
        function: 'user',
        awsRequestId: 'r2',
        partition: 3,
        offset: 7,
      }),
      expect.not.objectContaining({ awsRequestId: expect.anything() }),
    ]);
  });

  it('entry fields override logger fields', () => {
    const { logger, entries } = capture({ fields: { table: 'a' } });
    logger.info('x', { table: 'b' });
    expect(entries()[0]!.table).toBe('b');
  });

  it('fields never replace the level, timestamp or message of the entry', () => {
    const { logger, entries } = capture({ fields: { level: 'debug' } });
    logger.warn('real message', { message: 'field message', timestamp: 0, level: 'debug' });
    const [entry] = entries();
    expect(entry).toMatchObject({ level: 'warn', message: 'real message' });
    expect(typeof entry!.timestamp).toBe('string');
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

    it('redacts in logger and child fields too', () => {
      const { logger, lines } = capture({ fields: { dbPassword: 'hunter2' } });
      logger.child({ sessionToken: 'hunter3' }).info('x');
      expect(lines[0]).not.toMatch(/hunter[23]/);
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
    it('serialises Errors with their name and message, at any depth', () => {
      class DeadlockError extends Error {
        override readonly name = 'DeadlockError';
      }
      const { logger, entries } = capture();
      logger.error('failed', {
        error: new DeadlockError('deadlock found'),
        context: { errors: [new TypeError('bad')] },
      });
      expect(entries()[0]).toMatchObject({
        error: { name: 'DeadlockError', message: 'deadlock found' },
        context: { errors: [{ name: 'TypeError', message: 'bad' }] },
      });
    });

    it('writes bigints as strings', () => {
      const { logger, entries } = capture();
      logger.info('x', { offset: 9_007_199_254_740_993n });
      expect(entries()[0]!.offset).toBe('9007199254740993');
    });

    it('never throws on a value JSON cannot hold, and still writes the entry', () => {
      const { logger, entries } = capture();
      const circular: Record<string, unknown> = { name: 'pool' };
      circular.self = circular;
      expect(() => logger.warn('odd field', { circular, eventId: 'e1' })).not.toThrow();
      expect(entries()).toEqual([
        expect.objectContaining({
          level: 'warn',
          message: 'odd field',
          eventId: 'e1',
          circular: '[unserialisable]',
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
    });
    log.warn('write failed', { error: new Error('database lock conflict', { cause: driver }) });
    const entry = JSON.parse(lines[0]!);
    expect(entry.error).toEqual({
      name: 'Error',
      message: 'database lock conflict',
      cause: { name: 'Error', message: 'Deadlock found', code: 'ER_LOCK_DEADLOCK', errno: 1213 },
    });
    expect(lines[0]).not.toContain('secret-ish');
  });
});
