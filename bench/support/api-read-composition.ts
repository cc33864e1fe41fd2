import { composeApiRead } from '../../lib/compositions/api-read.ts';
import { getConfig } from '../../lib/config.ts';

/** api-read composed as functions/api-read.ts composes it, its parts in the benchmark's reach (its DynamoDB client). */
export const composition = composeApiRead(getConfig());
