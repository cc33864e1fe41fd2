import { composeApiWebhooks } from '../lib/compositions/api-webhooks.ts';
import { getConfig } from '../lib/config.ts';

/** What this Lambda is made of (lib/compositions/api-webhooks.ts); Lambda invokes its `handler`. */
export const { handler } = composeApiWebhooks(getConfig());
