import { config } from 'zod/mini';
import en from 'zod/v4/locales/en.js';

/**
 * zod as every module imports it: `zod/mini`, kept off cold starts (decision 0009). English messages, which problem
 * bodies quote, are configured here once.
 */
config(en());

export * from 'zod/mini';
