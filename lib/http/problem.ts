import { NexusRelayError } from '../errors.ts';

/**
 * The one catalogue of API error codes (RFC 9457): every non-2xx response carries one. `cause` and `fix` feed the
 * problem-code table of docs/api.md.
 */
export const PROBLEMS = {
  validation_failed: {
    status: 400,
    title: 'Request validation failed',
    cause:
      'A path parameter, query parameter, header or body field is malformed or out of range (or the body nests too deeply); `field` names it.',
    fix: "Correct the named field; `GET /openapi.json` has every route's schema.",
  },
  invalid_body: {
    status: 400,
    title: 'Request body is not valid UTF-8',
    cause: 'The body holds bytes that are not UTF-8 text; nothing was stored.',
    fix: 'Send the body encoded as UTF-8 (what JSON libraries write).',
  },
  invalid_json: {
    status: 400,
    title: 'Request body is not valid JSON',
    cause: 'The body could not be parsed as JSON.',
    fix: 'Send a well-formed JSON body, serialised by a JSON library.',
  },
  invalid_cursor: {
    status: 400,
    title: 'The cursor is not valid here',
    cause:
      'The `cursor` was modified, cut short, or issued for another list or user (a page of jobs or deliveries, or transactions sync).',
    fix: 'Pass a `next_cursor` exactly as this API returned it for this user; without a cursor, sync starts over.',
  },
  unauthorized: {
    status: 401,
    title: 'Missing or invalid credentials',
    cause:
      'No `Authorization: Bearer <key>` header, or the key is unknown or revoked. On `/mx/webhooks`: wrong or missing HTTP Basic credentials.',
    fix: 'Send a valid API key (locally: the one `npm start` prints, or `LOCAL_API_KEY`). For MX webhooks, give MX the credentials of `MX_WEBHOOK_*`.',
  },
  forbidden: {
    status: 403,
    title: 'Not allowed for this API key',
    cause:
      'The API key is bound to another `user_id`, or the route needs a server key (webhook management; the views across users: `GET /jobs`, `/job_outcomes`, `/members`, `/queues`).',
    fix: 'Use the key bound to that user, or a server key (not bound to a user).',
  },
  too_many_requests: {
    status: 429,
    title: 'Too many requests for this API key',
    cause: 'The API key made more than `API_KEY_REQUESTS_PER_MINUTE` requests this minute (across every function).',
    fix: 'Retry after `Retry-After` seconds; spread the calls, or give each client app its own key.',
  },
  use_case_not_permitted: {
    status: 403,
    title: "The member's use cases do not permit this operation",
    cause: "MX refused: the member's `use_cases` do not include PFM (e.g. a MONEY_MOVEMENT-only member).",
    fix: "Have the member enabled for PFM at MX; `mx_code` carries MX's code. Retrying does not help.",
  },
  job_not_supported: {
    status: 422,
    title: "The member's institution does not support this job",
    cause:
      "MX lists the member's institution with `supports_account_verification`, `supports_account_identification` or `supports_transaction_history` false (see `field`): the relay did not ask MX to start the job.",
    fix: 'Offer the user another way (another institution, or micro-deposits outside the relay); retrying does not help.',
  },
  mx_forbidden: {
    status: 403,
    title: 'MX refused the job',
    cause:
      "MX answered 403 to a verification, identification, extended history or balance check: the feature is not enabled for this client, or the member's use cases do not allow it. `detail` carries MX's reason.",
    fix: "Ask MX to enable the feature for your client, or check the member's `use_cases`; retrying does not help.",
  },
  not_found: {
    status: 404,
    title: 'Resource not found',
    cause: 'No such job, webhook or delivery, or MX has no such member or resource for this user.',
    fix: 'Check the id and the `user_id` it belongs to; a member must exist at MX for that user.',
  },
  route_not_found: {
    status: 404,
    title: 'No such route',
    cause: 'The path matches no route of the API.',
    fix: 'Check the path against the API reference or `GET /openapi.json`.',
  },
  method_not_allowed: {
    status: 405,
    title: 'Method not allowed on this route',
    cause: 'The path exists but not with this HTTP method.',
    fix: 'Use a method from the `Allow` header.',
  },
  conflict: {
    status: 409,
    title: 'Conflict with the current state',
    cause:
      'The state changed or does not allow it: a resume while the job is not waiting for MFA answers, a replay to a disabled webhook, a concurrent change (secret rotation, a refresh of the member that just finished or is still starting).',
    fix: 'Read the resource again (`GET /jobs/{job_id}`, `GET /webhooks/{id}`) and retry if it still applies; enable a disabled webhook first.',
  },
  request_in_progress: {
    status: 409,
    title: 'A request with this idempotency key is still in progress',
    cause: 'A request with the same `Idempotency-Key` is still being processed.',
    fix: "Retry after `Retry-After` seconds: you then get the first request's answer.",
  },
  sync_cursor_expired: {
    status: 410,
    title: 'The sync cursor has expired',
    cause:
      'The `cursor` is older than the 30 days transactions sync keeps removals for, or the relay has since forgotten the user’s transactions (no app asked about the user for RECONCILE_INACTIVE_DAYS).',
    fix: 'Sync again without a cursor: every current transaction comes back once, as added; then continue from its next_cursor.',
  },
  user_erased: {
    status: 410,
    title: 'The user was erased',
    cause: 'The user was erased (`DELETE /users/{user_id}`): the relay serves it nothing and never makes it at MX again.',
    fix: 'Use another user id. An operator who must serve this id again lifts its erasure (docs/runbook.md#an-erased-user).',
  },
  payload_too_large: {
    status: 413,
    title: 'Request body too large',
    cause: 'The body is over 64 KiB.',
    fix: 'Send a smaller body; no route needs more.',
  },
  uri_too_long: {
    status: 414,
    title: 'Request URL too long',
    cause: 'The URL is over 10 KiB: the gateway refuses it before any route sees it.',
    fix: 'Send long input in a body; no route takes a URL this long.',
  },
  headers_too_large: {
    status: 431,
    title: 'Request headers too large',
    cause: 'The request line and headers are over the gateway limit (10 KiB in AWS, 16 KiB locally).',
    fix: 'Send fewer or smaller headers (a cookie jar sent by mistake is the usual cause).',
  },
  bad_request: {
    status: 400,
    title: 'Malformed HTTP request',
    cause: 'The gateway could not parse the request as HTTP/1.1.',
    fix: 'Use an HTTP client library; check what a proxy in between sends.',
  },
  unsupported_media_type: {
    status: 415,
    title: 'Request body must be application/json',
    cause: 'A body was sent without `Content-Type: application/json`.',
    fix: 'Set `Content-Type: application/json`.',
  },
  upstream_rejected: {
    status: 422,
    title: 'MX rejected the request',
    cause: 'MX answered 400 or 422: it refused the request as sent (e.g. wrong MFA answers format).',
    fix: "Check `detail` and `mx_code` against MX's reference; retrying the same request does not help.",
  },
  use_cases_invalid: {
    status: 422,
    title: "The request breaks MX's use_cases rules",
    cause:
      'With MX_USE_CASES_ENABLED (the deployment opted in with MX), `use_cases` is never empty (MX keeps at least one); `connections_use_case_filter` goes with connections_widget only; an update naming none keeps the member’s own, unless MX will not show them (its 403 for a member without PFM). Without it, MX takes neither.',
    fix: 'Send `use_cases` as `field` says, or leave it out (opted in: PFM, or the member’s own); MX changed nothing.',
  },
  idempotency_key_reused: {
    status: 422,
    title: 'The idempotency key was used for a different request',
    cause: 'The `Idempotency-Key` was used within 24 h for a request with another method, path, query or body.',
    fix: 'Use a new key for each distinct request (a UUID per intended operation).',
  },
  internal_error: {
    status: 500,
    title: 'Internal error',
    cause: 'An unexpected failure inside nexus-relay (DynamoDB, SQS or a bug).',
    fix: 'Retry with the same `Idempotency-Key`; if it persists, look up `request_id` (also in `x-request-id`) in the logs.',
  },
  table_throttled: {
    status: 503,
    title: "The relay's table is over its capacity for the moment",
    cause:
      "DynamoDB throttled the relay's requests (or left a batch's items unprocessed) through every retry: the table's provisioned capacity has not yet scaled to a sudden rise, or one partition is over its own limit.",
    fix: 'Retry after `Retry-After` seconds (with the same `Idempotency-Key`). The `table-throttled` alarm tells the operator.',
  },
  mx_unexpected_response: {
    status: 502,
    title: 'MX answered in a form the relay cannot read',
    cause: 'MX sent a body that is not the JSON its documents show (XML, HTML, an empty body, or another shape).',
    fix: 'Check MX_BASE_URL / MX_SSO_BASE_URL point at MX (not a proxy page); run `nexus-relay mx check`.',
  },
  mx_credentials_refused: {
    status: 502,
    title: "MX refused the relay's partner credentials",
    cause:
      "MX's SSO API answered 401 or 403: the API key or client id is wrong, or MX does not allow this deployment's IP addresses.",
    fix: "Check the MX credentials secret (client id, API key) and MX's IP allow-list (`nexus-relay mx allow-list --env <env>`).",
  },
  upstream_error: {
    status: 502,
    title: 'MX failed to answer',
    cause:
      'MX kept answering 5xx, dropped the connection, or sent an unreadable answer, through every retry within `MX_RETRY_BUDGET_MS`.',
    fix: "Retry later; check MX's status and the credentials (`MX_*`). Locally, clear simulator faults: `POST /_sim/faults {}`.",
  },
  upstream_unavailable: {
    status: 503,
    title: 'MX calls are held',
    cause:
      "MX's last calls kept failing (5xx, 429, timeouts), so this container holds calls to MX for a while rather than add to the load (one probe at a time finds when MX is back); or the MX call budget all functions share for that MX host (`MX_CALLS_PER_SECOND`) is spent for the next seconds.",
    fix: 'Retry after `Retry-After` seconds (with the same `Idempotency-Key`). The `mx-circuit-open` and `mx-budget-spent` alarms say which.',
  },
  upstream_rate_limited: {
    status: 503,
    title: 'MX asked the relay to slow down',
    cause: 'MX answered 429 (its rate limit for this client) through every retry within `MX_RETRY_BUDGET_MS`.',
    fix: "Retry after `Retry-After` seconds (MX's own, when it sent one), with the same `Idempotency-Key`. If it lasts, set `MX_CALLS_PER_SECOND` below MX's limit.",
  },
  upstream_timeout: {
    status: 504,
    title: 'MX did not answer in time',
    cause: 'MX did not answer within `MX_REQUEST_TIMEOUT_MS` per attempt and `MX_RETRY_BUDGET_MS` overall.',
    fix: 'Retry later (with the same `Idempotency-Key`); raise the timeouts only within the Lambda timeout.',
  },
} as const satisfies Record<string, { status: number; title: string; cause: string; fix: string }>;

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
