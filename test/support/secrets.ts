import type { SecretsSource } from '../../lib/json-secret.ts';

/**
 * What gives the reader of secrets in a test whose credentials (MX's, MX's webhooks') are fixed values: fixed values
 * never ask for a reader, so asking fails the test.
 */
export const noSecretReads = (): SecretsSource => {
  throw new Error('this test configures no secret, yet a reader of secrets was asked for');
};
