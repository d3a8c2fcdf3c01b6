/**
 * cdk-nag v3's AwsSolutions checks run as a CDK validation plugin in every synthesis (the app
 * builder registers them): no environment may have an unacknowledged finding, error or warning,
 * and every acknowledgement carries its reason in code. checkov's acknowledgements (read by
 * scripts/checkov.sh from the template's metadata) carry a reason each too.
 */
import { type CfnResource, Stack, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct, type IConstruct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { environmentConfig } from '../../infra/config/environments.ts';
import { buildApp } from '../../infra/lib/app.ts';
import { placeholderFunctionCode } from '../../infra/lib/function-code.ts';
import { acknowledgeCheckov, type CheckovSkip } from '../../infra/lib/nag.ts';
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

/** Every `Metadata.checkov.skip` entry of a template, with its resource. */
function checkovSkips(template: Template): { resource: string; id: string; comment: string }[] {
  return Object.entries(
    template.toJSON().Resources as Record<string, { Metadata?: Record<string, unknown> }>,
  ).flatMap(([resource, r]) =>
    ((r.Metadata?.checkov as { skip?: CheckovSkip[] } | undefined)?.skip ?? []).map((s) => ({
      resource,
      ...s,
    })),
  );
}

describe.each(VARIANTS)('checkov acknowledgements: %s', (variant, overrides) => {
  it('carry a check id and a reason each, in the metadata checkov reads', async () => {
    const { template } = await synthesize(variant.split(' ')[0] as string, overrides);
    const skips = checkovSkips(template);
    expect(skips.length).toBeGreaterThan(0);
    for (const skip of skips) {
      expect(skip.id, skip.resource).toMatch(/^CKV2?_AWS_\d+$/);
      expect(skip.comment.length, `${skip.resource} ${skip.id}`).toBeGreaterThan(40);
    }
    // One entry per check and resource.
    const keys = skips.map((s) => `${s.resource} ${s.id}`);
    expect(new Set(keys).size).toBe(keys.length);
  });
});

describe('acknowledgeCheckov', () => {
  it("adds up on a construct's CloudFormation resource, replacing a repeated check's reason", () => {
    const stack = new Stack();
    const topic = new sns.Topic(stack, 'Topic');
    acknowledgeCheckov(topic, 'CKV_AWS_26', 'first reason');
    acknowledgeCheckov(topic.node.defaultChild as CfnResource, 'CKV_AWS_1', 'second reason');
    acknowledgeCheckov(topic, 'CKV_AWS_26', 'third reason');
    const [resource] = Object.values(Template.fromStack(stack).findResources('AWS::SNS::Topic')) as {
      Metadata: { checkov: { skip: CheckovSkip[] } };
    }[];
    expect(resource?.Metadata.checkov.skip).toEqual([
      { id: 'CKV_AWS_1', comment: 'second reason' },
      { id: 'CKV_AWS_26', comment: 'third reason' },
    ]);
  });

  it('refuses a construct that is no CloudFormation resource', () => {
    const stack = new Stack();
    expect(() => acknowledgeCheckov(new Construct(stack, 'Plain'), 'CKV_AWS_1', 'reason')).toThrow(
      /no CloudFormation resource/,
    );
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
