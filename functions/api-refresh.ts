import { composeApiRefresh } from '../lib/compositions/api-refresh.ts';
import { getConfig } from '../lib/config.ts';

/** What this Lambda is made of (lib/compositions/api-refresh.ts); Lambda invokes its `handler`. */
export const { handler } = composeApiRefresh(getConfig());
