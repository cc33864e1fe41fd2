import { App } from 'aws-cdk-lib';
import cdkJson from '../cdk.json' with { type: 'json' };
import { ENVIRONMENTS, resourceName, withAlarmDestination, withUseCases } from '../infra/environments.ts';
import { NexusRelayStack } from '../infra/stack.ts';

/** The prod stack's alarms and its queues Lambda polls, counted from its template (bundling skipped). */
export function prodStackCounts(): { alarms: number; queues: number } {
  const app = new App({ context: { ...cdkJson.context, 'aws:cdk:bundling-stacks': [] } });
  const settings = withUseCases(withAlarmDestination(ENVIRONMENTS.prod, { email: 'oncall@example.com' }), true);
  const stack = new NexusRelayStack(app, resourceName('prod'), { settings, env: { region: settings.region } });
  const resources = Object.values(
    (app.synth().getStackByName(stack.stackName).template as { Resources: Record<string, { Type: string }> }).Resources,
  );
  const count = (type: string) => resources.filter((resource) => resource.Type === type).length;
  return { alarms: count('AWS::CloudWatch::Alarm'), queues: count('AWS::Lambda::EventSourceMapping') };
}
