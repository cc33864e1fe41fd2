import { expect } from 'vitest';
import type { SecretsSource } from '../../lib/json-secret.ts';

/**
 * What gives the reader of secrets in a test whose credentials (MX's, MX's webhooks') are fixed values: fixed values
 * never ask for a reader, so asking fails the test.
 */
export const noSecretReads = (): SecretsSource => {
  throw new Error('this test configures no secret, yet a reader of secrets was asked for');
};

/**
 * A reader of secrets that holds one secret, `secretArn`: its text is `value` (JSON unless a string), or reading it
 * throws `value` when that is an Error. Each read must ask for that secret, cached as the relay reads its secrets.
 */
export const secretHolding = (secretArn: string, value: unknown) => ({
  async get(name: string, options?: unknown) {
    expect(name).toBe(secretArn);
    expect(options).toEqual({ maxAge: 900 });
    if (value instanceof Error) throw value;
    // The secret's text, as Secrets Manager holds it.
    return (typeof value === 'string' ? value : JSON.stringify(value)) as never;
  },
});
