import type { Template } from 'aws-cdk-lib/assertions';
import { type EnvironmentName, resourceName } from '../../../infra/environments.ts';

// Synthesized CloudFormation is untyped JSON: these helpers read it loosely and the tests assert on the values.
export type CfnResource = {
  Type: string;
  Properties: any;
  DeletionPolicy?: string;
  UpdateReplacePolicy?: string;
  DependsOn?: string[];
};

export const resourcesOfType = (template: Template, type: string): [string, CfnResource][] =>
  Object.entries(template.findResources(type) as Record<string, CfnResource>);

export const resourceById = (template: Template, logicalId: string): CfnResource => {
  const resource = (template.toJSON().Resources as Record<string, CfnResource>)[logicalId];
  if (!resource) throw new Error(`No resource ${logicalId}`);
  return resource;
};

/** The logical id an intrinsic points at: `{Ref: X}` or `{"Fn::GetAtt": [X, …]}`. */
export function referencedId(value: unknown): string | undefined {
  if (value && typeof value === 'object') {
    const v = value as Record<string, unknown>;
    if (typeof v.Ref === 'string') return v.Ref;
    if (Array.isArray(v['Fn::GetAtt'])) return v['Fn::GetAtt'][0] as string;
  }
  return undefined;
}

export interface DeployedFunction {
  logicalId: string;
  properties: any;
}

/** The stack's Lambda functions by their nexus-relay name (`api-refresh`, …). */
export function functionsByName(template: Template, env: EnvironmentName): Map<string, DeployedFunction> {
  const prefix = `${resourceName(env)}-`;
  return new Map(
    resourcesOfType(template, 'AWS::Lambda::Function').map(([logicalId, resource]) => [
      String(resource.Properties.FunctionName).replace(prefix, ''),
      { logicalId, properties: resource.Properties },
    ]),
  );
}

/** The queues by physical name without the environment prefix (`poll`, `poll-dlq`, …). */
export function queuesByName(template: Template, env: EnvironmentName): Map<string, { logicalId: string; properties: any }> {
  const prefix = `${resourceName(env)}-`;
  return new Map(
    resourcesOfType(template, 'AWS::SQS::Queue').map(([logicalId, resource]) => [
      String(resource.Properties.QueueName).replace(prefix, ''),
      { logicalId, properties: resource.Properties },
    ]),
  );
}

export interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}

/** Every identity-policy statement attached to the role with logical id `roleId`. */
export function statementsOfRole(template: Template, roleId: string): Statement[] {
  return resourcesOfType(template, 'AWS::IAM::Policy')
    .filter(([, policy]) => (policy.Properties.Roles as unknown[]).some((role) => referencedId(role) === roleId))
    .flatMap(([, policy]) => policy.Properties.PolicyDocument.Statement as Statement[]);
}

export const asArray = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);

/** The one resource of `type` (logical id and resource); throws when there are none or several. */
export function onlyResourceOfType(template: Template, type: string): [string, CfnResource] {
  const resources = resourcesOfType(template, type);
  if (resources.length !== 1) throw new Error(`Expected one ${type}, found ${resources.length}`);
  return resources[0]!;
}

/** Stands in for CloudFormation's intrinsics so a function's environment can be fed to lib/config.ts. */
export const resolvedEnvironment = (variables: Record<string, unknown>): Record<string, string> =>
  Object.fromEntries(
    Object.entries(variables).map(([name, value]) => [
      name,
      typeof value === 'string'
        ? value
        : name.endsWith('_URL')
          ? `https://sqs.us-east-1.amazonaws.com/123456789012/${name}`
          : name.endsWith('_SECRET_ARN')
            ? `arn:aws:secretsmanager:us-east-1:123456789012:secret:${name}`
            : name.endsWith('_KEY_ARN')
              ? 'arn:aws:kms:us-east-1:123456789012:key/0f0e0d0c-0b0a-0908-0706-050403020100'
              : name,
    ]),
  );
