import { Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it, vi } from 'vitest';
import { ENVIRONMENT_NAMES, type EnvironmentName } from '../../infra/environments.ts';
import { buildStack } from './support/synth.ts';

/** What infra/constructs/nag-suppressions.ts acknowledges, per environment (each with its reason there). */
const NETWORK_INTERFACES = [
  'AwsSolutions-IAM5[Resource::*]',
  'AwsSolutions-IAM5[Resource::arn:aws:ec2:us-east-1:<AWS::AccountId>:network-interface/*]',
];
const ACCEPTED: Record<EnvironmentName, string[]> = {
  dev: ['AwsSolutions-APIG4', 'AwsSolutions-DDB3', ...NETWORK_INTERFACES, 'AwsSolutions-SMG4', 'AwsSolutions-SQS3'],
  staging: ['AwsSolutions-APIG4', 'AwsSolutions-DDB3', ...NETWORK_INTERFACES, 'AwsSolutions-SMG4', 'AwsSolutions-SQS3'],
  prod: ['AwsSolutions-APIG4', ...NETWORK_INTERFACES, 'AwsSolutions-SMG4', 'AwsSolutions-SQS3'],
};

const findings = (env: EnvironmentName) => {
  const { app, stack } = buildStack(env);
  return new AwsSolutionsChecks(app).validateScope(stack).violations.map((v) => ({
    rule: v.ruleName,
    severity: v.severity,
    resources: v.violatingResources.map((r) => r.locations?.join(' ') || r.resourceLogicalId),
  }));
};

describe.each(ENVIRONMENT_NAMES)('cdk-nag AwsSolutions on the %s stack', (env) => {
  it('reports nothing left unacknowledged, errors or warnings', () => {
    expect(findings(env)).toEqual([]);
  });

  it('would report exactly the accepted findings without the acknowledgments (none is stale)', () => {
    const acknowledge = vi.spyOn(Validations.prototype, 'acknowledge').mockImplementation(() => {});
    try {
      expect([...new Set(findings(env).map((f) => f.rule))].sort()).toEqual(ACCEPTED[env]);
    } finally {
      acknowledge.mockRestore();
    }
  });
});
