/**
 * Structured JSON logs, one line per entry, with the Kafka coordinates and event id as fields.
 * Fields whose names look like credentials are replaced before anything is written.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFields = Record<string, unknown>;

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };
const SECRET_FIELD = /pass(word)?|secret|token|authorization|credential|api[-_]?key|private[-_]?key/i;

export interface LoggerOptions {
  level?: LogLevel;
  fields?: LogFields;
  write?: (line: string) => void;
}

export class Logger {
  readonly #level: LogLevel;
  readonly #fields: LogFields;
  readonly #write: (line: string) => void;

  constructor(options: LoggerOptions = {}) {
    this.#level = options.level ?? 'info';
    this.#fields = options.fields ?? {};
    this.#write = options.write ?? ((line) => process.stdout.write(`${line}\n`));
  }

  child(fields: LogFields): Logger {
    return new Logger({ level: this.#level, fields: { ...this.#fields, ...fields }, write: this.#write });
  }

  debug(message: string, fields?: LogFields): void {
    this.#log('debug', message, fields);
  }
  info(message: string, fields?: LogFields): void {
    this.#log('info', message, fields);
  }
  warn(message: string, fields?: LogFields): void {
    this.#log('warn', message, fields);
  }
  error(message: string, fields?: LogFields): void {
    this.#log('error', message, fields);
  }

  #log(level: LogLevel, message: string, fields?: LogFields): void {
    if (RANK[level] < RANK[this.#level]) return;
    const timestamp = new Date().toISOString();
    const entry: LogFields = { level, timestamp, message, ...this.#fields, ...fields };
    // A field of the same name must not disguise the entry's level, time or message.
    Object.assign(entry, { level, timestamp, message });
    this.#write(serialise(entry));
  }
}

/** The entry as one JSON line; a field JSON cannot hold (a cycle) is replaced, never thrown. */
function serialise(entry: LogFields): string {
  try {
    return JSON.stringify(entry, redact);
  } catch {
    const safe: LogFields = {};
    for (const [key, value] of Object.entries(entry)) {
      try {
        JSON.stringify(value, redact);
        safe[key] = value;
      } catch {
        safe[key] = '[unserialisable]';
      }
    }
    return JSON.stringify(safe, redact);
  }
}

function redact(key: string, value: unknown): unknown {
  if (key && SECRET_FIELD.test(key)) return '[redacted]';
  if (value instanceof Error) {
    // Driver codes and the cause chain say what failed (ECONNREFUSED, errno 1213); the SQL text
    // a driver error may carry is left out, it holds the batch's values.
    const { code, errno } = value as { code?: unknown; errno?: unknown };
    return {
      name: value.name,
      message: value.message,
      ...(code !== undefined ? { code } : {}),
      ...(errno !== undefined ? { errno } : {}),
      ...(value.cause !== undefined ? { cause: value.cause } : {}),
    };
  }
  if (typeof value === 'bigint') return value.toString();
  return value;
}
