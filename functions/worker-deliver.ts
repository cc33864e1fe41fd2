import { composeWorkerDeliver } from '../lib/compositions/worker-deliver.ts';
import { getConfig } from '../lib/config.ts';

/** What this Lambda is made of (lib/compositions/worker-deliver.ts); Lambda invokes its `handler`. */
export const { handler } = composeWorkerDeliver(getConfig());
