import { composeSweeper } from '../lib/compositions/sweeper.ts';
import { getConfig } from '../lib/config.ts';

/** What this Lambda is made of (lib/compositions/sweeper.ts); Lambda invokes its `handler`. */
export const { handler } = composeSweeper(getConfig());
