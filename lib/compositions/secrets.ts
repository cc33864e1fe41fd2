import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import type { SecretsSource } from '../json-secret.ts';

let provider: SecretsSource | undefined;

/**
 * The function's one reader of Secrets Manager, at module scope as Powertools documents it, shared by every secret the
 * function reads (api-read: MX's credentials and the sync cursor key). Built at its first use, when a part is composed
 * with a value configured as a secret: never with values set in the environment (the local stack).
 */
export function secrets(): SecretsSource {
  return (provider ??= new SecretsProvider());
}
