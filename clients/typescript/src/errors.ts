import type { Job, Problem, ProblemCode } from './types.ts';

/** Problem codes the relay defines, and the codes this client gives answers that carry none (a proxy's page, say). */
export type RelayErrorCode = ProblemCode | 'http_error' | 'rate_limited' | 'service_unavailable' | 'bad_response';

/**
 * A non-2xx answer, as a typed error: the relay's problem+json document (RFC 9457) with its stable `code`, the
 * offending `field` for bad input, and the `requestId` to quote when asking for help. Subclasses group the codes
 * by what a caller does about them; `code` tells them apart within a group.
 */
export class RelayProblemError extends Error {
  override name = 'RelayProblemError';
  readonly status: number;
  readonly code: RelayErrorCode;
  readonly title: string;
  readonly detail: string;
  readonly field: string | undefined;
  readonly mxCode: number | undefined;
  readonly requestId: string | undefined;
  /** The problem document as the API sent it (or as this client described a body that was not one). */
  readonly problem: Omit<Problem, 'code'> & { code: RelayErrorCode };

  constructor(problem: Omit<Problem, 'code'> & { code: RelayErrorCode }, options?: { cause?: unknown }) {
    super(`${problem.title}: ${problem.detail}${problem.request_id ? ` (request ${problem.request_id})` : ''}`, options);
    this.problem = problem;
    this.status = problem.status;
    this.code = problem.code;
    this.title = problem.title;
    this.detail = problem.detail;
    this.field = problem.field;
    this.mxCode = problem.mx_code;
    this.requestId = problem.request_id;
  }
}

/** 400, 405, 413, 414, 415, 422, 431: the request is wrong (`field` names the input when one is to blame). */
export class RelayRequestError extends RelayProblemError {
  override name = 'RelayRequestError';
}
/** 401, 403: the API key is missing, wrong, or not allowed this user or use case. */
export class RelayAuthError extends RelayProblemError {
  override name = 'RelayAuthError';
}
/** 404: no such job, member, webhook or delivery (for this key). */
export class RelayNotFoundError extends RelayProblemError {
  override name = 'RelayNotFoundError';
}
/** 409: the request conflicts with state (`conflict`, `request_in_progress`, `idempotency_key_reused`). */
export class RelayConflictError extends RelayProblemError {
  override name = 'RelayConflictError';
}
/** 410: the resource is gone for good (`sync_cursor_expired`: sync again without a cursor). */
export class RelayGoneError extends RelayProblemError {
  override name = 'RelayGoneError';
}
/** 429: too many requests, still so after the retries this client made. */
export class RelayRateLimitError extends RelayProblemError {
  override name = 'RelayRateLimitError';
}
/** 500: the relay failed; quote `requestId`. */
export class RelayServerError extends RelayProblemError {
  override name = 'RelayServerError';
}
/** 502, 503, 504: MX (or the relay's way to it) failed or did not answer in time; retry later. */
export class RelayUpstreamError extends RelayProblemError {
  override name = 'RelayUpstreamError';
}

const CLASS_BY_STATUS: Record<number, typeof RelayProblemError> = {
  400: RelayRequestError,
  405: RelayRequestError,
  413: RelayRequestError,
  414: RelayRequestError,
  415: RelayRequestError,
  422: RelayRequestError,
  431: RelayRequestError,
  401: RelayAuthError,
  403: RelayAuthError,
  404: RelayNotFoundError,
  409: RelayConflictError,
  410: RelayGoneError,
  429: RelayRateLimitError,
  500: RelayServerError,
  502: RelayUpstreamError,
  503: RelayUpstreamError,
  504: RelayUpstreamError,
};

const codeWithoutProblem = (status: number): RelayErrorCode =>
  status === 429 ? 'rate_limited' : status === 503 ? 'service_unavailable' : 'http_error';

/** The typed error for a non-2xx answer whose body has been read as `text`. */
export function problemErrorOf(status: number, text: string, requestId: string | undefined): RelayProblemError {
  const ErrorClass = CLASS_BY_STATUS[status] ?? RelayProblemError;
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: described below
  }
  if (isProblem(body)) {
    return new ErrorClass({ ...body, status, request_id: body.request_id ?? requestId });
  }
  return new ErrorClass({
    type: 'about:blank',
    title: `HTTP ${status}`,
    status,
    detail: text.slice(0, 300) || 'The answer had no body.',
    code: codeWithoutProblem(status),
    ...(requestId === undefined ? {} : { request_id: requestId }),
  });
}

function isProblem(body: unknown): body is Problem {
  if (typeof body !== 'object' || body === null) return false;
  const { title, detail, code } = body as Record<string, unknown>;
  return typeof title === 'string' && typeof detail === 'string' && typeof code === 'string';
}

/** The relay could not be reached, or did not answer within the client's timeout. */
export class RelayNetworkError extends Error {
  override name = 'RelayNetworkError';
  readonly code: 'unreachable' | 'timeout';
  readonly url: string;
  /** How long the client waited for an answer, when it gave up waiting (`code` timeout). */
  readonly timeoutMs: number | undefined;

  constructor(url: string, code: 'unreachable' | 'timeout', options: { cause?: unknown; timeoutMs?: number } = {}) {
    const reason =
      code === 'timeout'
        ? `no answer within ${options.timeoutMs} ms`
        : (((options.cause as Error | undefined)?.cause as Error | undefined)?.message ??
          (options.cause as Error | undefined)?.message ??
          'unreachable');
    super(`${url}: ${reason}`, { cause: options.cause });
    this.code = code;
    this.url = url;
    this.timeoutMs = options.timeoutMs;
  }
}

/** `waitForJob` gave up before the job ended; `job` is the last state it read (none if every check failed). */
export class RelayWaitTimeoutError extends Error {
  override name = 'RelayWaitTimeoutError';
  readonly code = 'wait_timeout';
  constructor(
    readonly jobId: string,
    readonly job: Job | undefined,
    readonly waitedMs: number,
  ) {
    const seconds = Math.round(waitedMs / 1000);
    super(job ? `Job ${jobId} is still ${job.status} after ${seconds} s` : `Job ${jobId} could not be read in ${seconds} s`);
  }
}
