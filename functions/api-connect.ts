import { composeApiConnect } from '../lib/compositions/api-connect.ts';
import { getConfig } from '../lib/config.ts';

/** What this Lambda is made of (lib/compositions/api-connect.ts); Lambda invokes its `handler`. */
export const { handler } = composeApiConnect(getConfig());
