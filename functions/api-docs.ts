import { composeApiDocs } from '../lib/compositions/api-docs.ts';
import { getConfig } from '../lib/config.ts';

/** What this Lambda is made of (lib/compositions/api-docs.ts); Lambda invokes its `handler`. */
export const composition = composeApiDocs(getConfig());
export const { handler } = composition;
