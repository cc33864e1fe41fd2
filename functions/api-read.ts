import { composeApiRead } from '../lib/compositions/api-read.ts';
import { getConfig } from '../lib/config.ts';

/** What this Lambda is made of (lib/compositions/api-read.ts); Lambda invokes its `handler`. */
export const { handler } = composeApiRead(getConfig());
