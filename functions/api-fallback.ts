import { composeApiFallback } from '../lib/compositions/api-fallback.ts';
import { getConfig } from '../lib/config.ts';
import { RUNTIME_CONFIG } from '../lib/compositions/runtime.ts';

/**
 * What this Lambda is made of (lib/compositions/api-fallback.ts); Lambda invokes its `handler`. It reads the environment and
 * the log level of the configuration, nothing more.
 */
export const { handler } = composeApiFallback(getConfig(RUNTIME_CONFIG));
