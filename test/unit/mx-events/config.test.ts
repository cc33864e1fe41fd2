import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../lib/config.ts';
import { ConfigError } from '../../../lib/errors.ts';

const valid = {
  TABLE_NAME: 'nexus-relay-dev',
  POLL_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/1/poll',
  MEMBER_REPORTS_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/1/member-reports',
  RECONCILE_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/1/reconcile',
  DELIVERY_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/1/delivery',
  MX_BASE_URL: 'https://int-data.moneydesktop.com',
  MX_USE_CASES_ENABLED: 'true',
};
const secretArn = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:nexus-relay/mx-webhook-AbCdEf';

const configError = (env: Record<string, string>): ConfigError => {
  try {
    parseConfig({ ...valid, ...env });
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  return expect.unreachable('no ConfigError');
};

describe('MX webhook credentials', () => {
  it('are absent unless configured (then /mx/webhooks refuses everything)', () => {
    expect(parseConfig(valid).mxWebhooks).toEqual({ credentials: undefined });
  });

  it('come from the environment or from a secret', () => {
    expect(parseConfig({ ...valid, MX_WEBHOOK_USERNAME: 'mx', MX_WEBHOOK_PASSWORD: 'pw' }).mxWebhooks.credentials).toEqual({
      username: 'mx',
      password: 'pw',
    });
    expect(parseConfig({ ...valid, MX_WEBHOOK_CREDENTIALS_SECRET_ARN: secretArn }).mxWebhooks.credentials).toEqual({
      secretArn,
    });
  });

  it('need both halves of the pair, never echoing the password', () => {
    const error = configError({ MX_WEBHOOK_PASSWORD: 'do-not-print-me' });
    expect(error.variables).toEqual(['MX_WEBHOOK_USERNAME']);
    expect(error.message).not.toContain('do-not-print-me');
    expect(configError({ MX_WEBHOOK_USERNAME: 'mx' }).variables).toEqual(['MX_WEBHOOK_PASSWORD']);
  });

  it('come from one place: the pair or the secret', () => {
    const error = configError({ MX_WEBHOOK_USERNAME: 'mx', MX_WEBHOOK_CREDENTIALS_SECRET_ARN: secretArn });
    expect(error.variables).toEqual(['MX_WEBHOOK_USERNAME']);
    expect(error.message).toContain('not both');
  });

  it('refuse a secret ARN that is not one', () => {
    expect(configError({ MX_WEBHOOK_CREDENTIALS_SECRET_ARN: 'mx-webhook-credentials' }).variables).toEqual([
      'MX_WEBHOOK_CREDENTIALS_SECRET_ARN',
    ]);
  });
});
