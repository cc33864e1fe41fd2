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
  it('off in every environment (the owner’s call: nightly events up to a reconcile interval later)', () => {
    for (const settings of Object.values(ENVIRONMENTS)) {
      expect(settings.mxBackgroundAtTurn).toBe(false);
      for (const fn of FUNCTION_NAMES)
        expect(functionEnvironment(fn, settings, resources)).not.toHaveProperty('MX_BACKGROUND_AT_TURN');
    }
  });

  it('on, tells worker-poll (which reads MX’s reports and takes the reconcile turns) and no other function', () => {
    const settings = { ...ENVIRONMENTS.prod, mxBackgroundAtTurn: true };
    const told = FUNCTION_NAMES.filter((fn) => functionEnvironment(fn, settings, resources).MX_BACKGROUND_AT_TURN === 'true');
    expect(told).toEqual(['worker-poll']);
  });
});
