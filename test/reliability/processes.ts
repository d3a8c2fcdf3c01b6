/**
 * The processes a reliability scenario controls: runner processes, each with one local event
 * source mapping per function and the real functions (test/support/esm-runner-process.ts), which
 * can be killed and restarted; and the native services this checkout started (a real restart of
 * the broker or of MariaDB).
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createWriteStream, existsSync, readFileSync, type WriteStream } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { DOMAIN_NAMES } from '../../shared/domains/registry.ts';

const run = promisify(execFile);
export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const RUNNER_SCRIPT = join(ROOT, 'test', 'support', 'esm-runner-process.ts');

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

type RunnerLine = {
  type: string;
  domain?: string;
  requestId?: string;
  size?: number;
  partitions?: Record<string, number[]>;
  failed?: number;
  reason?: string;
  message?: string;
};

/** One runner process (test/support/esm-runner-process.ts): its events, in-flight batches, log. */
export class RunnerProcess {
  readonly name: string;
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
  exitCode: number | null = null;
  alive = true;
  stopRequested = false;
  /** Batches invoked and not settled: requestId → function and records. */
  readonly inFlight = new Map<
    string,
    { domain: string; size: number; partitions: Record<string, number[]>; since: number }
  >();
  /** Records handed to the functions (a record delivered again counts again). */
  invokedRecords = 0;
  /** Records the functions reported for retry (or in failed invocations). */
  reportedForRetry = 0;
  invocations = 0;
  /** Invocations the runner ended at the function timeout. */
  timeouts = 0;
  /** The runners' `error` events (a failed commit, a consumer error): survived, but worth a note. */
  errors = 0;
  firstError: string | undefined;
  /** How often each warning or error message of the functions was logged. */
  readonly messages = new Map<string, number>();
  /** Functions whose runner joined its group. */
  readonly startedDomains = new Set<string>();
  readonly #recent: string[] = [];
  readonly #log: WriteStream;

  constructor(name: string, env: NodeJS.ProcessEnv, logBase: string) {
    this.name = name;
    this.#log = createWriteStream(`${logBase}.log`, { flags: 'a' });
    this.child = spawn(process.execPath, [RUNNER_SCRIPT], {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    createInterface({ input: this.child.stdout! }).on('line', (line) => this.#line(line));
    createInterface({ input: this.child.stderr! }).on('line', (line) => {
      this.#log.write(`${line}\n`);
      // Function logs at warn and above, and crashes; EMF metric lines are only logged.
      if (line.startsWith('{"_aws"')) return;
      const message = logMessage(line);
      if (message !== undefined) this.messages.set(message, (this.messages.get(message) ?? 0) + 1);
      else {
        this.#recent.push(line.slice(0, 300));
        if (this.#recent.length > 6) this.#recent.shift();
      }
    });
    this.exited = new Promise((resolve) => {
      this.child.on('exit', (code) => {
        this.alive = false;
        this.exitCode = code;
        this.#log.end();
        resolve(code);
      });
    });
  }

  #line(text: string): void {
    this.#log.write(`[event] ${text}\n`);
    let line: RunnerLine;
    try {
      line = JSON.parse(text) as RunnerLine;
    } catch {
      return;
    }
    if (line.type === 'started') this.startedDomains.add(line.domain ?? '');
    if (line.type === 'invoke' && line.requestId) {
      this.inFlight.set(line.requestId, {
        domain: line.domain ?? '',
        size: line.size ?? 0,
        partitions: line.partitions ?? {},
        since: Date.now(),
      });
      this.invocations += 1;
      this.invokedRecords += line.size ?? 0;
    } else if (line.type === 'result' && line.requestId) {
      this.inFlight.delete(line.requestId);
      this.reportedForRetry += line.failed ?? 0;
      if (line.reason?.includes('Task timed out')) this.timeouts += 1;
    } else if (
      line.type === 'error' ||
      line.type === 'fatal' ||
      line.type === 'revoked' ||
      line.type === 'assigned'
    ) {
      if (line.type === 'error') {
        this.errors += 1;
        this.firstError ??= `${line.domain}: ${line.message}`.slice(0, 200);
      }
      this.#recent.push(text.slice(0, 300));
      if (this.#recent.length > 6) this.#recent.shift();
    }
  }

  /** Resolves once every runner of the process joined its group. */
  async started(ms = 120_000): Promise<void> {
    const deadline = Date.now() + ms;
    while (this.startedDomains.size < DOMAIN_NAMES.length) {
      if (!this.alive) throw new Error(`${this.name} exited before it started: ${this.tail()}`);
      if (Date.now() > deadline)
        throw new Error(`${this.name} did not join its groups within ${ms / 1000} s`);
      await sleep(100);
    }
  }

  /** Resolves once a batch has been in flight in this process for `forMs`. */
  async midBatch(forMs: number, ms = 120_000): Promise<void> {
    const deadline = Date.now() + ms;
    while (![...this.inFlight.values()].some((b) => Date.now() - b.since >= forMs)) {
      if (!this.alive) throw new Error(`${this.name} exited: ${this.tail()}`);
      if (Date.now() > deadline) throw new Error(`${this.name} had no batch in flight within ${ms / 1000} s`);
      await sleep(5);
    }
  }

  /** Any signal sent here is intended: the process exiting is then no failure. */
  kill(signal: NodeJS.Signals): void {
    this.stopRequested = true;
    this.child.kill(signal);
  }

  async stop(): Promise<void> {
    this.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 60_000);
    await this.exited;
    clearTimeout(timer);
  }

  tail(): string {
    return this.#recent.join(' ');
  }
}

// ---------------------------------------------------------------------------- native services

/**
 * The native service of this checkout behind `port`, if scripts/services.sh started it here: its
 * pid file names a live process, and that process serves `port`. Another checkout's service on
 * another port, a testcontainer or an adopted service is never touched.
 */
export function nativeService(service: 'kafka' | 'mysql', port: number): { pid: number } | { why: string } {
  const state = servicesState();
  const pidFile = join(state, service, 'pid');
  if (!existsSync(pidFile))
    return { why: `${pidFile} does not exist (scripts/services.sh up did not start it here)` };
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  try {
    process.kill(pid, 0);
  } catch {
    return { why: `the process in ${pidFile} (${pid}) is not running` };
  }
  const serves =
    service === 'kafka'
      ? readFileSync(join(state, 'kafka', 'server.properties'), 'utf8').includes(
          `PLAINTEXT://127.0.0.1:${port},`,
        )
      : readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes(`--port=${port}`);
  if (!serves)
    return { why: `the ${service} this checkout started (pid ${pid}) does not serve port ${port}` };
  return { pid };
}

/** The native services' state directory: LRT_SERVICES_DIR (as scripts/services.sh reads it), else this checkout's. */
function servicesState(): string {
  return process.env.LRT_SERVICES_DIR ?? join(ROOT, '.services');
}

/**
 * The scripts/services.sh that owns the state directory: that of the checkout whose `.services` it
 * is (a git worktree using its main checkout's services restarts them as that checkout does), else
 * this one's.
 */
function servicesScript(): string {
  const state = servicesState();
  const owner = join(state, '..', 'scripts', 'services.sh');
  return basename(state) === '.services' && existsSync(owner) ? owner : join(ROOT, 'scripts', 'services.sh');
}

/**
 * Stops this checkout's native `service` (its process group, as `scripts/services.sh down` does) and
 * starts it again with `scripts/services.sh up`, which starts only what is not running. Returns how
 * long it was away.
 */
export async function restartNative(
  service: 'kafka' | 'mysql',
  pid: number,
  log: (line: string) => void,
  downMs = 0,
): Promise<number> {
  const stopped = Date.now();
  log(`  stopping the native ${service} (pid ${pid})`);
  try {
    process.kill(-pid, 'SIGTERM');
  } catch {
    process.kill(pid, 'SIGTERM');
  }
  const deadline = Date.now() + 60_000;
  while (alive(pid)) {
    if (Date.now() > deadline) {
      process.kill(-pid, 'SIGKILL');
      break;
    }
    await sleep(100);
  }
  if (downMs > 0) await sleep(downMs);
  log(`  ${service} stopped; scripts/services.sh up`);
  try {
    const script = servicesScript();
    await run('bash', [script, 'up'], { cwd: join(dirname(script), '..'), timeout: 10 * 60_000 });
  } catch (error) {
    throw new Error(`scripts/services.sh up failed: ${(error as { stderr?: string }).stderr ?? error}`);
  }
  return Date.now() - stopped;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export async function withTimeout<T>(promise: Promise<T>, ms: number, message: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(message())), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** The message of a function's JSON log line (Powertools' keys, in whatever order), if it is one. */
function logMessage(line: string): string | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    const entry = JSON.parse(line) as { level?: unknown; message?: unknown };
    return typeof entry.level === 'string' && typeof entry.message === 'string' ? entry.message : undefined;
  } catch {
    return undefined;
  }
}
