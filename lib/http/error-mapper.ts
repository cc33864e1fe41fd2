import {
  ConflictError,
  InvalidCursorError,
  InvalidInputError,
  NexusRelayError,
  NotFoundError,
  UserErasedError,
} from '../errors.ts';
import { MxError } from '../mx/errors.ts';
import { PREMIUM_JOB_ROUTES } from '../mx/premium-jobs.ts';
import type { Log } from '../logger.ts';
import { HttpProblem } from './problem.ts';

/** DynamoDB throttled (lib/aws/dynamodb-client.ts), or left a batch's items unprocessed through every retry (lib/store). */
const TABLE_THROTTLED_CODES: ReadonlySet<string> = new Set(['TABLE_THROTTLED', 'DYNAMODB_UNPROCESSED']);

/** Long enough for auto scaling's next step to be likelier than not; short enough for an app's request to wait. */
const TABLE_RETRY_AFTER_SECONDS = 5;

/** The one place an error becomes an HTTP problem. Anything unexpected is logged and answered as a bare 500, no internals. */
export function toHttpProblem(error: unknown, log: Log): HttpProblem {
  if (error instanceof HttpProblem) return error;
  if (error instanceof MxError) return fromMxError(error);
  if (error instanceof NexusRelayError && TABLE_THROTTLED_CODES.has(error.code)) {
    return new HttpProblem('table_throttled', 'DynamoDB throttled the request; retry shortly.', {
      headers: { 'retry-after': String(TABLE_RETRY_AFTER_SECONDS) },
      cause: error,
    });
  }
  if (error instanceof InvalidCursorError) {
    return new HttpProblem('invalid_cursor', error.message, { field: error.field, cause: error });
  }
  // Slices' own errors, by their stable code: the pipeline imports none of them.
  if (error instanceof NexusRelayError && error.code === 'SYNC_CURSOR_EXPIRED') {
    return new HttpProblem('sync_cursor_expired', error.message, { field: 'cursor', cause: error });
  }
  if (error instanceof NotFoundError) return new HttpProblem('not_found', error.message, { cause: error });
  if (error instanceof UserErasedError) return new HttpProblem('user_erased', error.message, { field: 'user_id', cause: error });
  if (error instanceof ConflictError) return new HttpProblem('conflict', error.message, { cause: error });
  if (error instanceof NexusRelayError && error.code === 'USE_CASE_NOT_PERMITTED') {
    return new HttpProblem('use_case_not_permitted', error.message, { cause: error });
  }
  if (error instanceof NexusRelayError && error.code === 'JOB_NOT_SUPPORTED') {
    return new HttpProblem('job_not_supported', error.message, {
      field: (error as NexusRelayError & { field: string }).field,
      cause: error,
    });
  }
  if (error instanceof InvalidInputError) {
    const problem = error.code === 'USE_CASES_RULE' ? 'use_cases_invalid' : 'validation_failed';
    return new HttpProblem(problem, error.message, { field: error.field, cause: error });
  }
  log.error('unhandled error', {
    error: error instanceof Error ? { name: error.name, message: error.message, stack: error.stack } : String(error),
  });
  return new HttpProblem('internal_error', 'The request failed inside nexus-relay; the request id identifies it in the logs.');
}

/** MX's routes for its premium jobs, whose 403 means the feature (not the member's PFM use case). */
const PREMIUM_ROUTES: ReadonlySet<string> = new Set(Object.values(PREMIUM_JOB_ROUTES));

function fromMxError(error: MxError): HttpProblem {
  const mxCode = error.mxCode;
  // MX's own reason, as its error body gave it: what a caller needs to act on a refusal.
  const because = error.mxMessage ? `: ${error.mxMessage}` : '.';
  switch (error.code) {
    case 'MX_FORBIDDEN':
      if (PREMIUM_ROUTES.has(error.route)) return new HttpProblem('mx_forbidden', `MX refused the job${because}`, { mxCode });
      return new HttpProblem(
        'use_case_not_permitted',
        `MX refused: the member needs the PFM use case for this operation${because}`,
        {
          mxCode,
        },
      );
    case 'MX_NOT_FOUND':
      return new HttpProblem('not_found', 'MX has no such resource for this user.', { mxCode });
    case 'MX_CONFLICT':
      return new HttpProblem('conflict', `MX refused: it conflicts with what MX has now${because}`, { mxCode });
    case 'MX_UNPROCESSABLE':
    case 'MX_BAD_REQUEST':
      return new HttpProblem('upstream_rejected', `MX rejected the request (HTTP ${error.status ?? '?'})${because}`, { mxCode });
    case 'MX_CIRCUIT_OPEN':
    case 'MX_BUDGET_SPENT':
      return new HttpProblem('upstream_unavailable', `${error.message}.`, {
        headers: { 'retry-after': String(error.retryAfterSeconds ?? 1) },
        cause: error,
      });
    case 'MX_RATE_LIMITED':
      return new HttpProblem('upstream_rate_limited', `MX kept answering 429 (too many requests)${because}`, {
        headers: { 'retry-after': String(error.retryAfterSeconds ?? 1) },
        mxCode,
      });
    case 'MX_TIMEOUT':
      return new HttpProblem('upstream_timeout', 'MX did not answer in time.', { mxCode });
    case 'MX_INVALID_RESPONSE':
      return new HttpProblem(
        'mx_unexpected_response',
        `MX answered ${error.method} ${error.route} with ${error.contentType ? `a ${error.contentType} body` : 'a body'} the relay cannot read.`,
      );
    case 'MX_CREDENTIALS_REFUSED':
      return new HttpProblem(
        'mx_credentials_refused',
        `${error.message}: check the API key and client id, and MX's IP allow-list.`,
      );
    default:
      return new HttpProblem(
        'upstream_error',
        `MX failed (${error.code}${error.status === undefined ? '' : `, HTTP ${error.status}`})${because}`,
        { mxCode },
      );
  }
}
