import { config } from 'zod/mini';
import en from 'zod/v4/locales/en.js';

/**
 * zod as every module of nexus-relay imports it (`import * as z from '…/zod.ts'`): zod 4's tree-shakable functional
 * API, `zod/mini`, not its method API. The method API attaches every method to every schema at construction and
 * loads whole, at every cold start. zod's English
 * messages, which the method API configures itself and problem bodies quote, are configured here once.
 */
config(en());

export * from 'zod/mini';
