import type { Config } from '../config.ts';
import { ConfigError } from '../errors.ts';

/** Why a key is missing: locally LOCAL_SECRETS_KEY, deployed `variable` (each set by its stack). */
export function missingKey(config: Config, what: string, variable: string): ConfigError {
  return config.env === 'local'
    ? new ConfigError(['LOCAL_SECRETS_KEY'], `${what} with the local stack's key: set LOCAL_SECRETS_KEY (\`npm start\` does).`)
    : new ConfigError([variable], `${what} with a key of the deployment: set ${variable} (deployed stacks do).`);
}
