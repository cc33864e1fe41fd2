import { isIdempotentWrite } from '../route.ts';
import type { ProblemCode } from '../problem.ts';
import type { OperationDocs } from './operation-docs.ts';

/** What the API document needs to know of a route from the route table. */
export interface DocumentedRoute {
  method: string;
  path: string;
  auth: 'api_key' | 'none';
  summary: string;
  /** `false`: a write that does not honour Idempotency-Key (lib/http/route.ts). */
  idempotent?: false;
  erasedUsers?: 'admitted';
}

/**
 * Every problem code a route can answer: the operation's own, plus what the HTTP pipeline answers for any route of
 * its kind — authentication, body parsing (on every method: a GET with a body is parsed too), input
 * validation (unknown query parameters included), `Idempotency-Key` handling, and the 500 of an unexpected failure.
 */
export function problemsOf(route: DocumentedRoute, docs: OperationDocs): ProblemCode[] {
  const codes = new Set<ProblemCode>(docs.problems);
  if (route.auth === 'api_key' || docs.security === 'http_basic') codes.add('unauthorized');
  if (route.auth === 'api_key') codes.add('too_many_requests');
  // A user the relay erased, refused by the pipeline on every route naming one but the erasure.
  if (route.auth === 'api_key' && route.path.includes('{user_id}') && route.erasedUsers !== 'admitted') codes.add('user_erased');
  // What the gateway answers before any function, on any route.
  for (const code of ['payload_too_large', 'uri_too_long', 'headers_too_large', 'bad_request'] as const) codes.add(code);
  codes.add('invalid_body');
  if (!docs.bodyAsText) for (const code of ['unsupported_media_type', 'invalid_json'] as const) codes.add(code);
  // Unknown query parameters are refused on every route but those whose answer must not depend on them (MX's
  // webhooks, which take their body as text).
  if (!docs.bodyAsText) codes.add('validation_failed');
  if (isIdempotentWrite(route)) {
    for (const code of ['validation_failed', 'idempotency_key_reused', 'request_in_progress'] as const) codes.add(code);
  }
  codes.add('internal_error');
  return [...codes];
}

/** What error-mapper.ts makes of MX's failures: the problems of any operation that calls MX. */
export const MX_CALL_PROBLEMS = [
  'use_case_not_permitted',
  'mx_forbidden',
  'not_found',
  'conflict',
  'upstream_rejected',
  'upstream_error',
  'upstream_unavailable',
  'upstream_rate_limited',
  'mx_unexpected_response',
  'mx_credentials_refused',
  'upstream_timeout',
] as const satisfies readonly ProblemCode[];
