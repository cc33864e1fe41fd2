import * as z from '../zod.ts';
import type { MxCredentialsSource } from '../config.ts';
import { NexusRelayError } from '../errors.ts';
import { jsonSecretReader, type SecretsSource } from '../json-secret.ts';

export interface MxCredentials {
  clientId: string;
  apiKey: string;
}

/** Resolves the MX credentials when a call needs them. */
export type MxCredentialsProvider = () => Promise<MxCredentials>;

/** The secret is unreadable or not shaped `{"client_id","api_key"}`. The message never carries the value. */
export class MxCredentialsError extends NexusRelayError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('MX_CREDENTIALS_INVALID', message, options);
    this.name = 'MxCredentialsError';
  }
}

const secretShape = z.object({ client_id: z.string().check(z.minLength(1)), api_key: z.string().check(z.minLength(1)) });

/** Fixed values, or a secret read on first use and cached; `secrets` is called only for a secret. */
export function mxCredentialsProvider(source: MxCredentialsSource, secrets: () => SecretsSource): MxCredentialsProvider {
  if (!('secretArn' in source)) return async () => source;
  const read = jsonSecretReader(source.secretArn, {
    name: 'MX credentials',
    shape: '{"client_id","api_key"}',
    schema: secretShape,
    toError: (message, options) => new MxCredentialsError(message, options),
    secrets: secrets(),
  });
  return async () => {
    const secret = await read();
    return { clientId: secret.client_id, apiKey: secret.api_key };
  };
}
