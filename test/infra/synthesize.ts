/**
 * Synthesizes one environment the way `cdk synth -c env=<env>` does (same app builder, cdk-nag
 * included) into a temporary directory, and hands the tests its template and validation report.
 * The functions are bundled for real once functions/<domain>/handler.ts exist; until then a
 * clearly marked placeholder stands in (the template is the same either way but for the code).
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type { EnvironmentInput } from '../../infra/config/environment-schema.ts';
import { environmentConfig } from '../../infra/config/environments.ts';
import { buildApp } from '../../infra/lib/app.ts';
import {
  bundleFunction,
  type FunctionCode,
  handlersExist,
  placeholderFunctionCode,
} from '../../infra/lib/function-code.ts';
import type { LambdaRealtimeStack } from '../../infra/lib/lambda-realtime-stack.ts';

export interface ValidationViolation {
  readonly ruleName: string;
  readonly description: string;
  readonly severity: string;
  readonly violatingConstructs: readonly { readonly constructPath: string }[];
}

export interface ValidationReport {
  readonly pluginReports: readonly {
    readonly pluginName: string;
    readonly violations: readonly ValidationViolation[];
  }[];
}

export interface SynthesizedEnvironment {
  readonly stack: LambdaRealtimeStack;
  readonly template: Template;
  readonly report: ValidationReport;
}

/** Synthesis in tests can take a while: real bundling, cdk-nag, several environments per file. */
export const SYNTH_TIMEOUT_MS = 120_000;

let code: FunctionCode | undefined;

/**
 * Each test file synthesizes several environments: bundle each function once per file (as the
 * build does: bundleFunction) and reuse the output, rather than rebundling in every synthesis.
 * function-code.test.ts covers the deployment path, bundling inside CDK's asset staging.
 */
async function functionCode(): Promise<FunctionCode> {
  if (code) return code;
  if (!handlersExist()) {
    code = placeholderFunctionCode();
    return code;
  }
  const outdirs = new Map<string, string>();
  code = (name) => {
    let outdir = outdirs.get(name);
    if (!outdir) {
      outdir = mkdtempSync(join(tmpdir(), `lrt-bundle-${name}-`));
      bundleFunction(name, outdir);
      outdirs.set(name, outdir);
    }
    return lambda.Code.fromAsset(outdir);
  };
  return code;
}

export async function synthesize(
  env: string,
  overrides: Partial<EnvironmentInput> = {},
): Promise<SynthesizedEnvironment> {
  const { app, stack } = buildApp({
    config: environmentConfig(env, overrides),
    functionCode: await functionCode(),
    appProps: { outdir: mkdtempSync(join(tmpdir(), `lrt-cdk-${env}-`)) },
  });
  const assembly = app.synth();
  const report = JSON.parse(
    readFileSync(join(assembly.directory, 'validation-report.json'), 'utf8'),
  ) as ValidationReport;
  return { stack, template: Template.fromStack(stack), report };
}
