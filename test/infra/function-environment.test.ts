import { describe, expect, it } from 'vitest';
import { ENVIRONMENTS } from '../../infra/environments.ts';
import { functionEnvironment, perQueue, type EnvironmentResources } from '../../infra/constructs/function-environment.ts';
import { FUNCTION_NAMES } from '../../infra/constructs/function-specs.ts';

const resources: EnvironmentResources = {
  tableName: 'table',
  queueUrls: perQueue((queue) => `https://sqs.us-east-1.amazonaws.com/123456789012/${queue}`),
  deadLetterQueueUrls: perQueue((queue) => `https://sqs.us-east-1.amazonaws.com/123456789012/${queue}-dlq`),
  secretArns: { mxCredentials: 'mx', mxWebhookCredentials: 'mx-webhooks', syncCursorKey: 'cursor', digestKey: 'digest' },
  keyArns: { sessionTokens: 'sessions', webhookSecrets: 'webhooks' },
};

describe('mxBackgroundAtTurn', () => {
  it('on in staging and prod (decision 0037), off in dev, where events should come at once', () => {
    expect(Object.values(ENVIRONMENTS).map(({ name, mxBackgroundAtTurn }) => [name, mxBackgroundAtTurn])).toEqual([
      ['dev', false],
      ['staging', true],
      ['prod', true],
    ]);
    for (const fn of FUNCTION_NAMES)
      expect(functionEnvironment(fn, ENVIRONMENTS.dev, resources)).not.toHaveProperty('MX_BACKGROUND_AT_TURN');
  });

  it('on, tells worker-poll (which reads MX’s reports and takes the reconcile turns) and no other function', () => {
    const told = FUNCTION_NAMES.filter(
      (fn) => functionEnvironment(fn, ENVIRONMENTS.prod, resources).MX_BACKGROUND_AT_TURN === 'true',
    );
    expect(told).toEqual(['worker-poll']);
  });
});
