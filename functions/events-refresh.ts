import { composeEventsRefresh } from '../lib/compositions/events-refresh.ts';
import { getConfig } from '../lib/config.ts';

/** What this Lambda is made of (lib/compositions/events-refresh.ts); Lambda invokes its `handler`. */
export const { handler } = composeEventsRefresh(getConfig());
