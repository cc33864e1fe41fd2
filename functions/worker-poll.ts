import { composeWorkerPoll } from '../lib/compositions/worker-poll.ts';
import { getConfig } from '../lib/config.ts';

/** What this Lambda is made of (lib/compositions/worker-poll.ts); Lambda invokes its `handler`. */
export const { handler } = composeWorkerPoll(getConfig());
