/**
 * The deployment path: CDK stages each function's asset by bundling functions/<domain>/handler.ts
 * with functionBuildOptions (infra/lib/function-code.ts) (the `npm run build` artifact: index.mjs + source map).
 */
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { describe, expect, it } from 'vitest';
import { DOMAINS } from '../../infra/config/event-sources.ts';
import {
  bundledFunctionCode,
  handlersExist,
  placeholderFunctionCode,
} from '../../infra/lib/function-code.ts';

describe('function code', () => {
  it('bundles every handler into the staged asset, as npm run build does', async () => {
    expect(handlersExist()).toBe(true);
    const { functionBuildOptions } = await import('../../infra/lib/function-code.ts');
    const app = new App({ outdir: mkdtempSync(join(tmpdir(), 'lrt-code-')) });
    const stack = new Stack(app, 'Code');
    const code = bundledFunctionCode(functionBuildOptions);
    for (const domain of DOMAINS) {
      new lambda.Function(stack, domain, {
        runtime: lambda.Runtime.NODEJS_24_X,
        handler: 'index.handler',
        code: code(domain),
      });
    }
    const assembly = app.synth();
    const staged = readdirSync(assembly.directory).filter((name) => name.startsWith('asset.'));
    expect(staged).toHaveLength(DOMAINS.length);
    for (const dir of staged) {
      expect(existsSync(join(assembly.directory, dir, 'index.mjs'))).toBe(true);
      expect(existsSync(join(assembly.directory, dir, 'index.mjs.map'))).toBe(true);
    }
  }, 120_000);

  it('marks the placeholder code so it can never pass for the real thing', () => {
    const stack = new Stack(new App(), 'Placeholder');
    const bound = placeholderFunctionCode()('order').bind(stack);
    expect(bound.inlineCode).toContain("throw new Error('placeholder order code");
  });
});
