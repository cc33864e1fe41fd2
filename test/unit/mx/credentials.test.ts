import { describe, expect, it } from 'vitest';
import { MxCredentialsError, mxCredentialsProvider } from '../../../lib/mx/credentials.ts';
import { noSecretReads, secretHolding } from '../../support/secrets.ts';

const secretArn = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:nexus-relay/mx-AbCdEf';
const secrets = (value: unknown) => secretHolding(secretArn, value);

describe('mxCredentialsProvider', () => {
  it('returns fixed credentials as given', async () => {
    await expect(mxCredentialsProvider({ clientId: 'c', apiKey: 'k' }, noSecretReads)()).resolves.toEqual({
      clientId: 'c',
      apiKey: 'k',
    });
  });

  it('reads {client_id, api_key} from the secret', async () => {
    const provider = mxCredentialsProvider({ secretArn }, () => secrets({ client_id: 'client-7', api_key: 's3cr3t' }));
    await expect(provider()).resolves.toEqual({ clientId: 'client-7', apiKey: 's3cr3t' });
  });

  it('names the missing fields of a badly shaped secret, never its values', async () => {
    const provider = mxCredentialsProvider({ secretArn }, () => secrets({ client_id: '', api_key: 'do-not-print-me' }));
    const error = await provider().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MxCredentialsError);
    expect((error as MxCredentialsError).code).toBe('MX_CREDENTIALS_INVALID');
    expect((error as Error).message).toContain('client_id');
    expect((error as Error).message).not.toContain('do-not-print-me');
  });

  it('wraps a failed read', async () => {
    const provider = mxCredentialsProvider({ secretArn }, () => secrets(new Error('AccessDenied')));
    await expect(provider()).rejects.toMatchObject({ code: 'MX_CREDENTIALS_INVALID' });
  });
});
