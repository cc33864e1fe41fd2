import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import type { SecretsSource } from '../json-secret.ts';

let provider: SecretsSource | undefined;

/** The function's one reader of Secrets Manager, at module scope as Powertools documents it; built at its first use. */
export function secrets(): SecretsSource {
  return (provider ??= new SecretsProvider());
}
