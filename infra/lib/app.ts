/**
 * Builds the CDK app for one environment — used by infra/bin/app.ts (`cdk synth|deploy -c
 * env=<env>`) and by the tests, so both synthesize exactly the same thing. cdk-nag's AwsSolutions
 * checks run as a CDK validation plugin: an unacknowledged finding fails synthesis.
 */
import { App, type AppProps, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { EnvironmentConfig } from '../config/environment-schema.ts';
import type { FunctionCode } from './function-code.ts';
import { LambdaRealtimeStack } from './lambda-realtime-stack.ts';

export interface LambdaRealtimeAppProps {
  readonly config: EnvironmentConfig;
  readonly functionCode: FunctionCode;
  /** The app to add to; the CLI entry point passes the one it read the context from. */
  readonly app?: App;
  /** For a new app, e.g. tests' outdir or context. */
  readonly appProps?: AppProps;
}

export function stackName(config: EnvironmentConfig): string {
  return `LambdaRealtime-${config.name}`;
}

export function buildApp(props: LambdaRealtimeAppProps): { app: App; stack: LambdaRealtimeStack } {
  const app = props.app ?? new App(props.appProps);
  const { config } = props;
  const account = config.account ?? process.env.CDK_DEFAULT_ACCOUNT;
  const stack = new LambdaRealtimeStack(app, stackName(config), {
    config,
    functionCode: props.functionCode,
    env: { region: config.region, ...(account ? { account } : {}) },
    description: `lambda-realtime ${config.name}: MSK -> Lambda -> RDS MySQL wide tables`,
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack };
}
