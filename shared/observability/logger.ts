/**
 * Structured JSON logs through Powertools for AWS Lambda's Logger: one line per entry with its
 * standard keys (`level`, `message`, `timestamp`, `service`, `cold_start`, `function_name`,
 * `function_request_id`, `xray_trace_id`…, the Lambda context ones once `addContext` or the
 * `injectLambdaContext` middleware has run), then the logger's persistent keys (`function`, the
 * domain) and each entry's own fields (topic/partition/offset, `eventId`, `reason`…).
 *
 * What Powertools leaves to its users goes through its hooks:
 * - redaction — its JSON replacer option (`jsonReplacerFn`), which it calls for every field at any
 *   depth before its own rules: a field whose name looks like a credential is written `[redacted]`;
 * - errors — a `LogFormatter` whose `formatError` keeps what says what failed (name, location,
 *   message, stack, a driver's `code`/`errno`, the cause chain) and drops everything else an error
 *   carries: mysql2 puts the statement's text, with the batch's values, in `sql`;
 * - the output — `printLog`, overridden to write each line to a given function (stdout by default)
 *   and never to throw on a value JSON cannot hold.
 */
import {
  LogFormatter,
  LogItem,
  LogLevelThreshold,
  Logger as PowertoolsLogger,
} from '@aws-lambda-powertools/logger';
import type {
  ConstructorOptions,
  LogAttributes,
  UnformattedAttributes,
} from '@aws-lambda-powertools/logger/types';

export type LogLevel = keyof typeof LogLevelThreshold;
/** Powertools' log levels, least to most severe (`SILENT` writes nothing). */
export const LOG_LEVELS = (Object.keys(LogLevelThreshold) as LogLevel[]).sort(
  (a, b) => LogLevelThreshold[a] - LogLevelThreshold[b],
) as [LogLevel, ...LogLevel[]];

const SECRET_FIELD = /pass(word)?|secret|token|authorization|credential|api[-_]?key|private[-_]?key/i;
/** How deep a cause chain is followed (a cycle, `a.cause = a`, ends it too). */
const MAX_CAUSES = 8;

/** The `jsonReplacerFn` of every logger: replaces credentials, at any depth, before anything is written. */
export function redact(key: string, value: unknown): unknown {
  return key && SECRET_FIELD.test(key) ? '[redacted]' : value;
}

/**
 * Powertools' standard log shape (its own PowertoolsLogFormatter, which the package does not
 * export: aws-powertools/powertools-lambda-typescript#3414), with this project's error format.
 */
export class LambdaLogFormatter extends LogFormatter {
  formatAttributes(attributes: UnformattedAttributes, additionalLogAttributes: LogAttributes): LogItem {
    const context = attributes.lambdaContext;
    return new LogItem({
      attributes: {
        level: attributes.logLevel,
        message: attributes.message,
        timestamp: this.formatTimestamp(attributes.timestamp),
        service: attributes.serviceName,
        cold_start: context?.coldStart,
        function_arn: context?.invokedFunctionArn,
        function_memory_size: context?.memoryLimitInMB,
        function_name: context?.functionName,
        function_request_id: context?.awsRequestId,
        sampling_rate: attributes.sampleRateValue,
        xray_trace_id: attributes.xRayTraceId,
        tenant_id: context?.tenantId,
      },
    }).addAttributes(additionalLogAttributes);
  }

  /**
   * Name, location, message, stack, a driver's `code` and `errno` (ECONNREFUSED, 1213) and the
   * cause chain; nothing else an error carries (mysql2's `sql` holds the batch's values).
   */
  override formatError(error: Error): LogAttributes {
    return this.#format(error, MAX_CAUSES, new Set());
  }

  #format(error: Error, depth: number, seen: Set<Error>): LogAttributes {
    seen.add(error);
    const { code, errno } = error as { code?: unknown; errno?: unknown };
    const cause: unknown = error.cause;
    return {
      name: error.name,
      location: this.getCodeLocation(error.stack),
      message: error.message,
      stack: error.stack,
      ...(code !== undefined ? { code } : {}),
      ...(errno !== undefined ? { errno } : {}),
      ...(cause === undefined
        ? {}
        : {
            cause:
              cause instanceof Error
                ? depth > 0 && !seen.has(cause)
                  ? this.#format(cause, depth - 1, seen)
                  : { name: cause.name, message: cause.message }
                : cause,
          }),
    };
  }
}

export type LoggerOptions = ConstructorOptions & {
  /** Where each JSON line goes (default: stdout). */
  write?: (line: string) => void;
};

const stdout = (line: string) => {
  process.stdout.write(`${line}\n`);
};

/** The output of the logger being constructed: Powertools may print (a configuration warning)
 * from inside its constructor, before this class's fields exist. */
let constructing: ((line: string) => void) | undefined;

/**
 * Powertools' Logger with the formatter, the redaction and the output above. Level, service name
 * and persistent keys are Powertools' options (`logLevel`, `serviceName`, `persistentKeys`).
 */
export class Logger extends PowertoolsLogger {
  private readonly write: ((line: string) => void) | undefined;

  constructor(options: LoggerOptions = {}) {
    const { write, ...rest } = options;
    constructing = write;
    try {
      super({
        ...rest,
        logFormatter: rest.logFormatter ?? new LambdaLogFormatter(),
        // Redaction cannot be turned off: a child logger gets this same function back.
        jsonReplacerFn: redact,
      } as ConstructorOptions);
    } finally {
      constructing = undefined;
    }
    this.write = write;
  }

  protected override createLogger(options?: ConstructorOptions): Logger {
    return new Logger({ ...options, write: this.write } as LoggerOptions);
  }

  protected override printLog(_logLevel: number, log: LogItem): void {
    log.prepareForPrint();
    (this.write ?? constructing ?? stdout)(serialise(log.getAttributes(), () => this.getJsonReplacer()));
  }
}

/** The entry as one JSON line; a field JSON cannot hold (a throwing getter) is replaced, never thrown. */
function serialise(entry: LogAttributes, replacer: () => (key: string, value: unknown) => unknown): string {
  try {
    return JSON.stringify(entry, replacer());
  } catch {
    const safe: LogAttributes = {};
    for (const [key, value] of Object.entries(entry)) {
      try {
        JSON.stringify({ [key]: value }, replacer());
        safe[key] = value;
      } catch {
        safe[key] = '[unserialisable]';
      }
    }
    return JSON.stringify(safe, replacer());
  }
}
