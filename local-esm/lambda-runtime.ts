/**
 * A function's built bundle run inside AWS's own runtime, locally: the Lambda Runtime Interface
 * Emulator (github.com/aws/aws-lambda-runtime-interface-emulator, Go, built from the Go module
 * proxy) drives AWS's Node.js runtime interface client (`aws-lambda-ric` on npm) exactly as Lambda
 * does — INIT, the Runtime API, timeouts, error serialisation are AWS's, not ours. Each execution
 * environment is one emulator process serving one invocation at a time, like a Lambda sandbox;
 * `concurrency` of them serve a function.
 *
 * The emulator answers an invocation with the handler's result, or with AWS's error document
 * (`{"errorType", "errorMessage", "trace"}`) for a thrown error, or with a plain-text
 * "Task timed out after N seconds" — both are function errors here, as they are to an event
 * source mapping in AWS.
 *
 * Tools are installed into .tools/ on first use: the emulator with `go install` (pinned, Go from
 * the machine), the runtime client with `npm install` — its install script builds its native
 * addon from the curl and aws-lambda-cpp sources it ships (cmake, make and a C++ compiler; about
 * 90 s once).
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const TOOLS = join(ROOT, '.tools');
/** The emulator's module and the pseudo-version the Go proxy serves (no tagged release there). */
const RIE_MODULE = 'github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie';
const RIE_VERSION = 'v0.0.0-20261030222936-bef5c4ba774d';
const RIC_VERSION = '4.0.2';

export interface RuntimeTools {
  /** The emulator binary. */
  rie: string;
  /** The runtime client's entry point (run with node). */
  ric: string;
}

/** Installs the emulator and the runtime client into .tools/ when missing; returns their paths. */
export function ensureRuntimeTools(log: (line: string) => void = () => {}): RuntimeTools {
  const rie = join(TOOLS, 'bin', 'aws-lambda-rie');
  const ricDir = join(TOOLS, 'lambda-ric');
  const ric = join(ricDir, 'node_modules', 'aws-lambda-ric', 'index.mjs');
  const addon = join(ricDir, 'node_modules', 'aws-lambda-ric', 'rapid-client.node');
  if (!existsSync(rie)) {
    log(`installing the Lambda Runtime Interface Emulator (${RIE_VERSION}) into .tools/bin`);
    mkdirSync(join(TOOLS, 'bin'), { recursive: true });
    execFileSync('go', ['install', `${RIE_MODULE}@${RIE_VERSION}`], {
      env: { ...process.env, GOBIN: join(TOOLS, 'bin'), GOPATH: join(TOOLS, 'go'), GOFLAGS: '-modcacherw' },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
  }
  if (!existsSync(addon)) {
    log(`installing aws-lambda-ric ${RIC_VERSION} into .tools/lambda-ric`);
    mkdirSync(ricDir, { recursive: true });
    // A package of its own: without one, npm skips the install script that builds the addon.
    writeFileSync(join(ricDir, 'package.json'), '{ "name": "lambda-ric-tools", "private": true }\n');
    execFileSync(
      'npm',
      ['install', '--prefix', ricDir, '--no-audit', '--no-fund', `aws-lambda-ric@${RIC_VERSION}`],
      {
        stdio: ['ignore', 'ignore', 'inherit'],
      },
    );
  }
  return { rie, ric };
}

export interface LambdaRuntimeOptions {
  /** The deployment package: a folder holding index.mjs (dist/functions/<domain>). */
  codeDir: string;
  /** `file.export`, as in the function's configuration. */
  handler?: string;
  functionName: string;
  /** The function's environment variables. */
  env: Record<string, string>;
  memoryMiB?: number;
  timeoutSeconds?: number;
  /** Execution environments, each serving one invocation at a time. */
  concurrency?: number;
  /** Where the emulator's and the function's output lines go. */
  output?: (line: string) => void;
  tools?: RuntimeTools;
}

export interface LambdaRuntime {
  /** Invokes the function with an event; rejects on a function error (thrown, timed out). */
  invoke(event: unknown): Promise<unknown>;
  /** INIT durations the emulator reported, one per cold start (ms). */
  readonly initDurationsMs: readonly number[];
  close(): Promise<void>;
}

/** A function error, as the emulator reported it. */
export class FunctionError extends Error {
  override readonly name = 'FunctionError';
  readonly errorType: string;

  constructor(errorType: string, message: string) {
    super(`${errorType}: ${message}`);
    this.errorType = errorType;
  }
}

interface Environment {
  process: ChildProcess;
  url: string;
  busy: boolean;
}

export async function startLambdaRuntime(options: LambdaRuntimeOptions): Promise<LambdaRuntime> {
  const tools = options.tools ?? ensureRuntimeTools();
  const output = options.output ?? (() => {});
  const initDurationsMs: number[] = [];
  const environments: Environment[] = [];
  const waiting: Array<(environment: Environment) => void> = [];

  const lines = (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (!line.trim()) continue;
      const init = /INIT REPORT\(durationMs: ([\d.]+)\)/.exec(line);
      if (init) initDurationsMs.push(Number(init[1]));
      output(line);
    }
  };

  const startEnvironment = async (): Promise<Environment> => {
    const port = await freePort();
    const child = spawn(
      tools.rie,
      [
        '--runtime-interface-emulator-address',
        `127.0.0.1:${port}`,
        process.execPath,
        tools.ric,
        options.handler ?? 'index.handler',
      ],
      {
        cwd: options.codeDir,
        env: {
          PATH: process.env.PATH ?? '',
          ...options.env,
          LAMBDA_TASK_ROOT: options.codeDir,
          AWS_LAMBDA_FUNCTION_NAME: options.functionName,
          AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(options.memoryMiB ?? 1024),
          AWS_LAMBDA_FUNCTION_TIMEOUT: String(options.timeoutSeconds ?? 60),
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    child.stdout?.on('data', lines);
    child.stderr?.on('data', lines);
    const url = `http://127.0.0.1:${port}/2015-03-31/functions/function/invocations`;
    await waitForPort(port, child);
    return { process: child, url, busy: false };
  };

  const concurrency = options.concurrency ?? 1;
  environments.push(...(await Promise.all(Array.from({ length: concurrency }, startEnvironment))));

  const acquire = (): Promise<Environment> => {
    const idle = environments.find((e) => !e.busy);
    if (idle) {
      idle.busy = true;
      return Promise.resolve(idle);
    }
    return new Promise((resolve) => waiting.push(resolve));
  };
  const release = (environment: Environment) => {
    const next = waiting.shift();
    if (next) next(environment);
    else environment.busy = false;
  };

  return {
    initDurationsMs,
    async invoke(event) {
      const environment = await acquire();
      try {
        const response = await fetch(environment.url, { method: 'POST', body: JSON.stringify(event) });
        const text = await response.text();
        let body: unknown;
        try {
          body = JSON.parse(text);
        } catch {
          throw new FunctionError('Runtime', text.trim()); // "Task timed out after …"
        }
        const failure = body as { errorType?: unknown; errorMessage?: unknown } | null;
        if (failure && typeof failure.errorType === 'string' && typeof failure.errorMessage === 'string') {
          throw new FunctionError(failure.errorType, failure.errorMessage);
        }
        return body;
      } finally {
        release(environment);
      }
    },
    async close() {
      await Promise.all(
        environments.map(
          (e) =>
            new Promise<void>((resolve) => {
              if (e.process.exitCode !== null) return resolve();
              e.process.once('exit', () => resolve());
              e.process.kill('SIGTERM');
            }),
        ),
      );
    },
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function waitForPort(port: number, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the Runtime Interface Emulator exited (${child.exitCode})`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = createServer().listen(port, '127.0.0.1');
      socket.once('listening', () => socket.close(() => resolve(false)));
      socket.once('error', () => resolve(true)); // taken: the emulator listens
    });
    if (open) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`the Runtime Interface Emulator did not listen on 127.0.0.1:${port}`);
}
