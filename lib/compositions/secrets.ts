import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import type { SecretsSource } from '../json-secret.ts';
import type { Runtime, RuntimeConfig } from './runtime.ts';

const providers = new WeakMap<Runtime<RuntimeConfig>, SecretsSource>();

/**
 * The function's one reader of Secrets Manager, shared by every secret it reads (api-read and worker-poll read MX's
 * credentials and the transactions sync cursor key): Powertools' SecretsProvider builds an SDK client of its own, and
 * one client per service per container is what the functions' start and the stack's floor (BENCHMARKS.md, cold
 * start) hold. Built at start, when the first part that reads a secret is composed; a test's `given.secrets` instead.
 */
export function secretsOf(runtime: Runtime<RuntimeConfig>): SecretsSource {
  if (runtime.given.secrets) return runtime.given.secrets;
  let provider = providers.get(runtime);
  if (!provider) providers.set(runtime, (provider = new SecretsProvider()));
  return provider;
}
