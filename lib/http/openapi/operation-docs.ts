import type * as z from '../../zod.ts';
import type { ProblemCode } from '../problem.ts';

/** zod as lib/zod.ts exports it: what a route's `docs` is handed to build its schemas with (lib/http/route.ts). */
export type Zod = typeof z;

/** One non-problem answer of an operation. */
export interface ResponseDocs {
  description: string;
  /** The JSON body; none for an empty answer. */
  body?: z.ZodMiniType;
  /** The media types of an answer that is not JSON (the console's page and assets), instead of `body`. */
  mediaTypes?: readonly string[];
  /** Response headers this answer sets, by name, with what they say. */
  headers?: Readonly<Record<string, string>>;
}

/**
 * What the API document says about one operation. Each route declares it (lib/http/route.ts `docs`) with the very zod
 * schemas its handler parses its input with: the document cannot drift from the validation because there is nothing
 * else to read it from. Built when the document is: a function's cold start does not build what only the document
 * reads.
 */
export interface OperationDocs {
  /** Object schema of the path parameters. */
  path?: z.ZodMiniType;
  /** Object schema of the query parameters. */
  query?: z.ZodMiniType;
  /** The JSON request body. */
  body?: z.ZodMiniType;
  /** Answers other than problems, by status. */
  responses: Readonly<Record<number, ResponseDocs>>;
  /** Problems the operation raises itself; those every route of its kind can answer are added (route-problems.ts). */
  problems?: readonly ProblemCode[];
  description?: string;
  /** The operation checks HTTP Basic credentials itself (a route with `auth: 'none'` in the route table). */
  security?: 'http_basic';
  /** The operation takes its body as text (its `body: 'text'`), so the pipeline's JSON problems do not apply. */
  bodyAsText?: true;
}
