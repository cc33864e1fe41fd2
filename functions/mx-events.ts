import { composeMxEvents } from '../lib/compositions/mx-events.ts';
import { getConfig } from '../lib/config.ts';

/** What this Lambda is made of (lib/compositions/mx-events.ts); Lambda invokes its `handler`. */
export const { handler } = composeMxEvents(getConfig());
