import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import type { SecretsSource } from '../json-secret.ts';
import type { Runtime, RuntimeConfig } from './runtime.ts';

const providers = new WeakMap<Runtime<RuntimeConfig>, SecretsSource>();

/**
 * The function's one reader of Secrets Manager, shared by every secret it reads (api-read reads MX's credentials and
 * the transactions sync cursor key): Powertools' SecretsProvider builds an SDK client of its own, and a function builds
 * one client per AWS service at start, as the stack's floor does (BENCHMARKS.md, cold start). Parts ask for it
 * only for a value configured as a secret (credential providers take `() => secretsOf(runtime)`), when they are
 * composed: at start in a deployed function, never with values set in the environment (the local stack).
 */
export function secretsOf(runtime: Runtime<RuntimeConfig>): SecretsSource {
  let provider = providers.get(runtime);
  if (!provider) providers.set(runtime, (provider = new SecretsProvider()));
  return provider;
}
