import { NexusRelayError } from '../errors.ts';

/**
 * The one catalogue of API error codes (RFC 9457 problem details). Every non-2xx response carries one of these
 * `code`s; `title` is fixed per code, `detail` explains the instance.
 */
export const PROBLEMS = {
  validation_failed: { status: 400, title: 'Request validation failed' },
  invalid_json: { status: 400, title: 'Request body is not valid JSON' },
  unauthorized: { status: 401, title: 'Missing or invalid credentials' },
  forbidden: { status: 403, title: 'Not allowed for this API key' },
  use_case_not_permitted: { status: 403, title: "The member's use cases do not permit this operation" },
  not_found: { status: 404, title: 'Resource not found' },
  route_not_found: { status: 404, title: 'No such route' },
  method_not_allowed: { status: 405, title: 'Method not allowed on this route' },
  conflict: { status: 409, title: 'Conflict with the current state' },
  request_in_progress: { status: 409, title: 'A request with this idempotency key is still in progress' },
  payload_too_large: { status: 413, title: 'Request body too large' },
  unsupported_media_type: { status: 415, title: 'Request body must be application/json' },
  upstream_rejected: { status: 422, title: 'MX rejected the request' },
  idempotency_key_reused: { status: 422, title: 'The idempotency key was used for a different request' },
  internal_error: { status: 500, title: 'Internal error' },
  upstream_error: { status: 502, title: 'MX failed to answer' },
  upstream_timeout: { status: 504, title: 'MX did not answer in time' },
} as const satisfies Record<string, { status: number; title: string }>;

export type ProblemCode = keyof typeof PROBLEMS;

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: ProblemCode;
  field?: string;
  mx_code?: number;
  request_id?: string;
}

/** An error that becomes a problem+json response as it is. */
export class HttpProblem extends NexusRelayError {
  readonly status: number;
  readonly problemCode: ProblemCode;
  readonly field?: string;
  readonly mxCode?: number;
  readonly headers?: Record<string, string>;

  constructor(
    code: ProblemCode,
    detail: string,
    options: { field?: string; mxCode?: number; headers?: Record<string, string>; cause?: unknown } = {},
  ) {
    super(`HTTP_${code.toUpperCase()}`, detail, { cause: options.cause });
    this.name = 'HttpProblem';
    this.problemCode = code;
    this.status = PROBLEMS[code].status;
    this.field = options.field;
    this.mxCode = options.mxCode;
    this.headers = options.headers;
  }

  toBody(requestId?: string): ProblemBody {
    return {
      type: `https://nexus-relay.dev/problems/${this.problemCode.replaceAll('_', '-')}`,
      title: PROBLEMS[this.problemCode].title,
      status: this.status,
      detail: this.message,
      code: this.problemCode,
      ...(this.field === undefined ? {} : { field: this.field }),
      ...(this.mxCode === undefined ? {} : { mx_code: this.mxCode }),
      ...(requestId === undefined ? {} : { request_id: requestId }),
    };
  }
}
