import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { describe, expect, it } from 'vitest';
import { jsonSecretReader } from '../../lib/json-secret.ts';
import * as z from '../../lib/zod.ts';

const secretArn = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:nexus-relay/test-AbCdEf';

/** Powertools' own SecretsProvider, over an SDK client that answers GetSecretValue with `text` (or bytes) and calls nothing. */
function providerHolding(text: string | Uint8Array, as: 'string' | 'binary' = 'string'): SecretsProvider {
  const client = new SecretsManagerClient({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } });
  const secret =
    typeof text !== 'string'
      ? { SecretBinary: text }
      : as === 'string'
        ? { SecretString: text }
        : { SecretBinary: new TextEncoder().encode(text) };
  client.middlewareStack.add(() => async () => ({ output: { ...secret, $metadata: {} }, response: {} }), {
    step: 'initialize',
    name: 'answerWithSecret',
  });
  return new SecretsProvider({ awsSdkV3Client: client });
}

const reader = (text: string | Uint8Array, as: 'string' | 'binary' = 'string') =>
  jsonSecretReader(secretArn, {
    name: 'test credentials',
    shape: '{"user","password"}',
    schema: z.object({ user: z.string(), password: z.string() }),
    toError: (message, options) => new Error(message, options),
    secrets: providerHolding(text, as),
  });

/** Every message and stack of an error and its causes. */
function chainOf(error: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = error; e instanceof Error; e = e.cause) parts.push(e.message, String(e.stack));
  return parts.join('\n');
}

describe('jsonSecretReader (Powertools SecretsProvider)', () => {
  it('reads and validates a JSON secret, held as text or as bytes', async () => {
    await expect(reader('{"user":"mx","password":"s3cr3t"}')()).resolves.toEqual({ user: 'mx', password: 's3cr3t' });
    await expect(reader('{"user":"mx","password":"s3cr3t"}', 'binary')()).resolves.toEqual({ user: 'mx', password: 's3cr3t' });
    // Bytes that are not UTF-8 are refused, not read with U+FFFD in a credential.
    const notUtf8 = new Uint8Array([
      ...new TextEncoder().encode('{"user":"mx","password":"s3'),
      0xff,
      ...new TextEncoder().encode('"}'),
    ]);
    await expect(reader(notUtf8)()).rejects.toThrow('must be JSON');
  });

  // JSON.parse's message quotes the text around the error, and Powertools' JSON transform keeps that message: kept as
  // a cause, it would log part of the secret.
  it.each([
    ['not JSON at all', 'do-not-print-me&user=mx'],
    ['JSON broken inside', '{"user":"mx","password":do-not-print-me}'],
  ])('refuses a secret that is %s without quoting it, in the message or any cause', async (_, text) => {
    const error = await reader(text)().catch((e: unknown) => e);
    expect((error as Error).message).toBe('The test credentials secret must be JSON {"user","password"}; check: (root).');
    expect(chainOf(error)).not.toContain('do-not-pri');
  });
});
