import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import * as z from 'zod';
import type { MxCredentialsSource } from '../config.ts';
import { NexusRelayError } from '../errors.ts';

export interface MxCredentials {
  clientId: string;
  apiKey: string;
}

/** Resolves the MX credentials when the SSO call needs them. */
export type MxCredentialsProvider = () => Promise<MxCredentials>;

/** The secret is unreadable or not shaped `{"client_id","api_key"}`. The message never carries the value. */
export class MxCredentialsError extends NexusRelayError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('MX_CREDENTIALS_INVALID', message, options);
    this.name = 'MxCredentialsError';
  }
}

const secretShape = z.object({ client_id: z.string().min(1), api_key: z.string().min(1) });

/** Credentials are rarely rotated, and MX must be told first: re-read the secret at most every 15 minutes. */
const SECRET_MAX_AGE_SECONDS = 15 * 60;

/**
 * A provider for `source`: fixed values, or a Secrets Manager secret read on first use and cached per container
 * (Powertools' SecretsProvider; injectable for tests).
 */
export function mxCredentialsProvider(
  source: MxCredentialsSource,
  secrets?: Pick<SecretsProvider, 'get'>,
): MxCredentialsProvider {
  if (!('secretArn' in source)) return async () => source;
  const provider = secrets ?? new SecretsProvider();
  return async () => {
    let value: unknown;
    try {
      value = await provider.get(source.secretArn, { transform: 'json', maxAge: SECRET_MAX_AGE_SECONDS });
    } catch (error) {
      throw new MxCredentialsError('The MX credentials secret could not be read.', { cause: error });
    }
    const parsed = secretShape.safeParse(value);
    if (!parsed.success) {
      const fields = parsed.error.issues.map((issue) => issue.path.join('.') || '(root)').join(', ');
      throw new MxCredentialsError(`The MX credentials secret must be JSON {"client_id","api_key"}; check: ${fields}.`);
    }
    return { clientId: parsed.data.client_id, apiKey: parsed.data.api_key };
  };
}
