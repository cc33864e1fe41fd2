import type * as z from '../../zod.ts';
import type { ProblemCode } from '../problem.ts';

/** zod as lib/zod.ts exports it, handed to a route's `docs`. */
export type Zod = typeof z;

/** One non-problem answer of an operation. */
export interface ResponseDocs {
  description: string;
  /** None for an empty answer. */
  body?: z.ZodMiniType;
  /** For an answer that is not JSON, instead of `body`. */
  mediaTypes?: readonly string[];
  /** By name, with what they say. */
  headers?: Readonly<Record<string, string>>;
}

/**
 * What the API document says about one operation, declared with the very schemas its handler parses with, so the
 * document cannot drift from the validation.
 */
export interface OperationDocs {
  path?: z.ZodMiniType;
  query?: z.ZodMiniType;
  body?: z.ZodMiniType;
  /** Answers other than problems, by status. */
  responses: Readonly<Record<number, ResponseDocs>>;
  /** Problems the operation raises itself; those common to its kind of route are added. */
  problems?: readonly ProblemCode[];
  description?: string;
  /** Kept for apps built on it, though MX deprecated it. */
  deprecated?: true;
  /** The operation checks HTTP Basic credentials itself. */
  security?: 'http_basic';
  /** The pipeline's JSON problems do not apply. */
  bodyAsText?: true;
}
