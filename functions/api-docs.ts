import { composeApiDocs } from '../lib/compositions/api-docs.ts';
import { getConfig } from '../lib/config.ts';
import { RUNTIME_CONFIG } from '../lib/compositions/runtime.ts';

/**
 * What this Lambda is made of (lib/compositions/api-docs.ts); Lambda invokes its `handler`. It reads the environment and
 * the log level of the configuration, nothing more.
 */
export const { handler } = composeApiDocs(getConfig(RUNTIME_CONFIG));
