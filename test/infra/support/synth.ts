import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import cdkJson from '../../../cdk.json' with { type: 'json' };
import {
  ENVIRONMENTS,
  type EnvironmentName,
  resourceName,
  withAlarmDestination,
  withUseCases,
} from '../../../infra/environments.ts';
import { NexusRelayStack } from '../../../infra/stack.ts';

export interface Synthesized {
  app: App;
  stack: NexusRelayStack;
  template: Template;
}

/** What the tests synthesize each environment with: `-c alarmEmail=… -c mxUseCasesEnabled=true`, as docs/operations.md's deploy section shows. */
export const TEST_ALARM_EMAIL = 'oncall@example.com';

/**
 * A fresh app with cdk.json's context (the same feature flags as `cdk synth`) and bundling skipped: the templates
 * are what the CLI synthesizes, minus the asset hashes.
 */
export function buildStack(env: EnvironmentName): { app: App; stack: NexusRelayStack } {
  const app = new App({ context: { ...cdkJson.context, 'aws:cdk:bundling-stacks': [] } });
  const settings = withUseCases(withAlarmDestination(ENVIRONMENTS[env], { email: TEST_ALARM_EMAIL }), true);
  const stack = new NexusRelayStack(app, resourceName(env), { settings, env: { region: settings.region } });
  return { app, stack };
}

const cache = new Map<EnvironmentName, Synthesized>();

/** The synthesized stack of `env`, built once per test file. */
export function synthesized(env: EnvironmentName): Synthesized {
  let entry = cache.get(env);
  if (!entry) {
    const { app, stack } = buildStack(env);
    entry = { app, stack, template: Template.fromStack(stack) };
    cache.set(env, entry);
  }
  return entry;
}
