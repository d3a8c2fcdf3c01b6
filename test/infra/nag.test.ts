/**
 * cdk-nag v3's AwsSolutions checks run as a CDK validation plugin in every synthesis (the app
 * builder registers them): no environment may have an unacknowledged finding, error or warning,
 * and every acknowledgement carries its reason in code.
 */
import { Validations } from 'aws-cdk-lib';
import * as sns from 'aws-cdk-lib/aws-sns';
import type { IConstruct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { environmentConfig } from '../../infra/config/environments.ts';
import { buildApp } from '../../infra/lib/app.ts';
import { placeholderFunctionCode } from '../../infra/lib/function-code.ts';
import { IMPORTED_RESOURCES } from './imported-resources.ts';
import { synthesize } from './synthesize.ts';

interface Acknowledgement {
  readonly id: string;
  readonly reason: string;
}

function acknowledgements(root: IConstruct): Acknowledgement[] {
  return root.node
    .findAll()
    .flatMap((c) => c.node.metadata)
    .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
    .flatMap((entry) => Object.entries(entry.data as Record<string, string>))
    .map(([id, reason]) => ({ id, reason }));
}

const VARIANTS = [
  ['dev', {}],
  ['test', {}],
  ['prod', {}],
  ['prod with imported VPC and MSK', IMPORTED_RESOURCES],
] as const;

describe.each(VARIANTS)('AwsSolutions checks: %s', (variant, overrides) => {
  it('report no unacknowledged finding', async () => {
    const { report, stack } = await synthesize(variant.split(' ')[0] as string, overrides);
    const findings = report.pluginReports
      .filter((r) => r.pluginName.startsWith('AwsSolutions'))
      .flatMap((r) => r.violations)
      .map(
        (v) => `${v.severity} ${v.ruleName} ${v.violatingConstructs.map((c) => c.constructPath).join(', ')}`,
      );
    expect(findings).toEqual([]);

    const ours = acknowledgements(stack).filter((a) => a.id.startsWith('AwsSolutions::'));
    expect(ours.length).toBeGreaterThan(0);
    for (const a of ours) expect(a.reason.length, a.id).toBeGreaterThan(40);
  });
});

describe('the checks are wired in', () => {
  it('fail synthesis on a finding nobody acknowledged', () => {
    const { app, stack } = buildApp({
      config: environmentConfig('dev'),
      functionCode: placeholderFunctionCode(),
    });
    new sns.Topic(stack, 'UnencryptedProbe');
    expect(() => app.synth()).toThrow(/AwsSolutions-SNS3/);
  });
});
