import type { SecretsSource } from '../../lib/json-secret.ts';

/**
 * The reader of secrets for a test whose MX credentials are fixed values: fixed values never ask for one, so asking
 * fails the test.
 */
export const noSecretReads = (): SecretsSource => {
  throw new Error('this test configures no secret, yet a reader of secrets was asked for');
};
