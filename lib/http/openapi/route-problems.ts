import { isIdempotentWrite } from '../route.ts';
import type { ProblemCode } from '../problem.ts';
import type { OperationDocs } from './operation-docs.ts';

/** What the API document needs of a route. */
export interface DocumentedRoute {
  method: string;
  path: string;
  auth: 'api_key' | 'none';
  summary: string;
  idempotent?: boolean;
  erasedUsers?: 'admitted';
}

/** The operation's own problems plus what the pipeline answers for any route of its kind (a GET's body is parsed too). */
export function problemsOf(route: DocumentedRoute, docs: OperationDocs): ProblemCode[] {
  const codes = new Set<ProblemCode>(docs.problems);
  if (route.auth === 'api_key' || docs.security === 'http_basic') codes.add('unauthorized');
  if (route.auth === 'api_key') codes.add('too_many_requests');
  if (route.auth === 'api_key' && route.path.includes('{user_id}') && route.erasedUsers !== 'admitted') codes.add('user_erased');
  // What the gateway answers before any function, on any route.
  for (const code of ['payload_too_large', 'uri_too_long', 'headers_too_large', 'bad_request'] as const) codes.add(code);
  codes.add('invalid_body');
  if (!docs.bodyAsText) for (const code of ['unsupported_media_type', 'invalid_json'] as const) codes.add(code);
  // Unknown query parameters are refused, except where the body is text (MX's webhooks).
  if (!docs.bodyAsText) codes.add('validation_failed');
  if (isIdempotentWrite(route)) {
    for (const code of ['validation_failed', 'idempotency_key_reused', 'request_in_progress'] as const) codes.add(code);
  }
  codes.add('internal_error');
  return [...codes];
}

/** The problems of any operation that calls MX. */
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
