/**
 * CDK entry point: `npx cdk synth|deploy -c env=dev|test|prod`. Works offline and without AWS
 * credentials (no lookups). `-c lrt:skipBundling=true` swaps the functions' code for a
 * placeholder — for template-only checks (cfn-lint, reviews), never for a deployment.
 */

import { App } from 'aws-cdk-lib';
import { environmentConfig } from '../config/environments.ts';
import { buildApp } from '../lib/app.ts';
import {
  bundledFunctionCode,
  FUNCTION_NAMES,
  type FunctionCode,
  handlerEntry,
  handlersExist,
  placeholderFunctionCode,
} from '../lib/function-code.ts';

// One App only: under the CLI an App synthesizes itself on exit, so a second one would
// overwrite the cloud assembly.
const app = new App();
const envName = String(app.node.tryGetContext('env') ?? 'dev');
const skipBundling = String(app.node.tryGetContext('lrt:skipBundling') ?? 'false') === 'true';

async function functionCode(): Promise<FunctionCode> {
  if (skipBundling) return placeholderFunctionCode();
  if (!handlersExist()) {
    const missing = FUNCTION_NAMES.map(handlerEntry).join(', ');
    throw new Error(
      `cannot bundle the functions: missing one of ${missing}. For a template only, add -c lrt:skipBundling=true`,
    );
  }
  return bundledFunctionCode();
}

buildApp({ app, config: environmentConfig(envName), functionCode: await functionCode() });
app.synth();
