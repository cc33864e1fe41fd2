import { composeApiJobs } from '../lib/compositions/api-jobs.ts';
import { getConfig } from '../lib/config.ts';

/** What this Lambda is made of (lib/compositions/api-jobs.ts); Lambda invokes its `handler`. */
export const { handler } = composeApiJobs(getConfig());
