import { describe, expect, it } from 'vitest';
import { MxWebhookCredentialsError, mxWebhookCredentialsProvider } from '../../../lib/mx/webhook-credentials.ts';
import { noSecretReads, secretHolding } from '../../support/secrets.ts';

const secretArn = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:nexus-relay/mx-webhook-AbCdEf';
const secrets = (value: unknown) => secretHolding(secretArn, value);

describe('mxWebhookCredentialsProvider', () => {
  it('returns fixed credentials as given', async () => {
    await expect(mxWebhookCredentialsProvider({ username: 'u', password: 'p' }, noSecretReads)()).resolves.toEqual({
      username: 'u',
      password: 'p',
    });
  });

  it('reads {username, password} from the secret (Powertools caches it)', async () => {
    const source = secrets({ username: 'mx-webhooks', password: 's3cr3t' });
    const provider = mxWebhookCredentialsProvider({ secretArn }, () => source);
    await expect(provider()).resolves.toEqual({ username: 'mx-webhooks', password: 's3cr3t' });
  });

  it('names the bad fields of a badly shaped secret, never its values', async () => {
    const provider = mxWebhookCredentialsProvider({ secretArn }, () => secrets({ username: 'do-not-print-me', password: '' }));
    const error = await provider().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MxWebhookCredentialsError);
    expect((error as MxWebhookCredentialsError).code).toBe('MX_WEBHOOK_CREDENTIALS_INVALID');
    expect((error as Error).message).toContain('password');
    expect((error as Error).message).not.toContain('do-not-print-me');
  });

  it('wraps a failed read', async () => {
    const provider = mxWebhookCredentialsProvider({ secretArn }, () => secrets(new Error('AccessDenied')));
    await expect(provider()).rejects.toMatchObject({ code: 'MX_WEBHOOK_CREDENTIALS_INVALID' });
  });
});
