import type { Config } from '../config.ts';
import { ConfigError } from '../errors.ts';

/**
 * Why a key `what` needs is missing: locally the stack's own key, LOCAL_SECRETS_KEY (`npm start` sets it); deployed,
 * `variable` (the stack sets it).
 */
export function missingKey(config: Config, what: string, variable: string): ConfigError {
  return config.env === 'local'
    ? new ConfigError(['LOCAL_SECRETS_KEY'], `${what} with the local stack's key: set LOCAL_SECRETS_KEY (\`npm start\` does).`)
    : new ConfigError([variable], `${what} with a key of the deployment: set ${variable} (deployed stacks do).`);
}
