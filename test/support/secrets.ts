import type { SecretsSource } from '../../lib/json-secret.ts';

/** The reader of secrets for a test whose MX credentials are fixed values: a read through it fails the test. */
export const noSecretReads: SecretsSource = {
  get: async (name: string) => {
    throw new Error(`this test reads no secret, yet ${name} was read`);
  },
};
