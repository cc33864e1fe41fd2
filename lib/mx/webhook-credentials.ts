import * as z from '../zod.ts';
import type { MxWebhookCredentialsSource } from '../config.ts';
import { NexusRelayError } from '../errors.ts';
import { jsonSecretReader, type SecretsSource } from '../json-secret.ts';

/** The secret is unreadable or not shaped `{"username","password"}`. The message never carries the value. */
export class MxWebhookCredentialsError extends NexusRelayError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('MX_WEBHOOK_CREDENTIALS_INVALID', message, options);
    this.name = 'MxWebhookCredentialsError';
  }
}

const secretShape = z.object({ username: z.string().check(z.minLength(1)), password: z.string().check(z.minLength(1)) });

/** The HTTP Basic credentials MX sends with its webhooks. */
export interface MxWebhookCredentials {
  username: string;
  password: string;
}

/** Fixed values, or a secret read on first use; `secrets` is called only for a secret. */
export function mxWebhookCredentialsProvider(
  source: MxWebhookCredentialsSource,
  secrets: () => SecretsSource,
): () => Promise<MxWebhookCredentials> {
  if (!('secretArn' in source)) return async () => source;
  return jsonSecretReader(source.secretArn, {
    name: 'MX webhook credentials',
    shape: '{"username","password"}',
    schema: secretShape,
    toError: (message, options) => new MxWebhookCredentialsError(message, options),
    secrets: secrets(),
  });
}
