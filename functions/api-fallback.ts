import { composeApiFallback } from '../lib/compositions/api-fallback.ts';
import { getConfig } from '../lib/config.ts';

/** What this Lambda is made of (lib/compositions/api-fallback.ts); Lambda invokes its `handler`. */
export const composition = composeApiFallback(getConfig());
export const { handler } = composition;
