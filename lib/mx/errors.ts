import { NexusRelayError } from '../errors.ts';

export type MxErrorCode =
  | 'MX_UNAUTHORIZED'
  | 'MX_FORBIDDEN'
  | 'MX_NOT_FOUND'
  | 'MX_CONFLICT'
  | 'MX_UNPROCESSABLE'
  | 'MX_RATE_LIMITED'
  | 'MX_BAD_REQUEST'
  | 'MX_UPSTREAM_ERROR'
  | 'MX_TIMEOUT'
  | 'MX_NETWORK_ERROR'
  | 'MX_INVALID_RESPONSE'
  | 'MX_CREDENTIALS_REFUSED'
  /** Not sent: this container's circuit breaker holds calls while MX fails. */
  | 'MX_CIRCUIT_OPEN'
  /** Not sent: the shared MX call budget is spent for longer than a call waits. */
  | 'MX_BUDGET_SPENT';

/** The route is the pattern (`/members/{member_guid}`), never the concrete path. */
export interface MxCallSite {
  method: string;
  route: string;
}

export interface MxErrorDetails extends MxCallSite {
  status?: number;
  mxCode?: number;
  mxMessage?: string;
  retryAfterSeconds?: number;
  /** When the body could not be read (MX_INVALID_RESPONSE). */
  contentType?: string;
  cause?: unknown;
}

/** A failed call to MX. Branch on `code` or `status`; `mxCode` is for logs only, since MX says its codes may change. */
export class MxError extends NexusRelayError {
  declare readonly code: MxErrorCode;
  readonly method: string;
  readonly route: string;
  readonly status?: number;
  readonly mxCode?: number;
  /** MX's own reason (capped): shown to the caller as MX's word. */
  readonly mxMessage?: string;
  /** Only on MX_RATE_LIMITED, when MX sent a usable Retry-After. */
  readonly retryAfterSeconds?: number;
  readonly contentType?: string;

  constructor(code: MxErrorCode, message: string, details: MxErrorDetails) {
    super(code, message, { cause: details.cause });
    this.name = 'MxError';
    this.method = details.method;
    this.route = details.route;
    this.status = details.status;
    this.mxCode = details.mxCode;
    this.mxMessage = details.mxMessage;
    this.retryAfterSeconds = details.retryAfterSeconds;
    this.contentType = details.contentType;
  }
}

/** MX's documented session-expired code. */
export const SESSION_EXPIRED_CODE = 4011;

/** HTTP 401, or code 4011 under any status: which status MX sends with 4011 is unconfirmed. */
export const isSessionExpired = (error: unknown): boolean =>
  error instanceof MxError && (error.code === 'MX_UNAUTHORIZED' || error.mxCode === SESSION_EXPIRED_CODE);

export interface MxErrorResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** Only MX's code and a capped message are taken from it. */
  body: string;
}

const MAX_MX_MESSAGE_LENGTH = 200;

/** The one mapping from a non-2xx MX response to an MxError. */
export function mxErrorFromResponse(response: MxErrorResponse, call: MxCallSite, nowMs: number): MxError {
  const { status } = response;
  const code = codeForStatus(status);
  const { mxCode, mxMessage } = readMxErrorBody(response.body);
  const retryAfterSeconds = code === 'MX_RATE_LIMITED' ? parseRetryAfter(response.headers['retry-after'], nowMs) : undefined;
  const message = `MX answered ${status} to ${call.method} ${call.route}${mxMessage ? `: ${mxMessage}` : ''}`;
  return new MxError(code, message, { ...call, status, mxCode, mxMessage, retryAfterSeconds });
}

function codeForStatus(status: number): MxErrorCode {
  switch (status) {
    case 401:
      return 'MX_UNAUTHORIZED';
    case 403:
      return 'MX_FORBIDDEN';
    case 404:
      return 'MX_NOT_FOUND';
    case 409:
      return 'MX_CONFLICT';
    case 422:
      return 'MX_UNPROCESSABLE';
    case 429:
      return 'MX_RATE_LIMITED';
  }
  if (status >= 400 && status < 500) return 'MX_BAD_REQUEST';
  if (status >= 500) return 'MX_UPSTREAM_ERROR';
  // 1xx/3xx: redirects are not followed.
  return 'MX_INVALID_RESPONSE';
}

/** MX's error body nesting is unconfirmed: both `{"error":{"code","message"}}` and `{"code","message"}` are read. */
function readMxErrorBody(body: string): { mxCode?: number; mxMessage?: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return {};
  }
  if (!isRecord(parsed)) return {};
  const error = isRecord(parsed.error) ? parsed.error : parsed;
  return { mxCode: readMxCode(error.code), mxMessage: readMxMessage(error.message) };
}

function readMxCode(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isInteger(value)) return value;
  if (typeof value === 'string' && /^\d{1,6}$/.test(value)) return Number(value);
  return undefined;
}

function readMxMessage(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const oneLine = value.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
  if (!oneLine) return undefined;
  return oneLine.length > MAX_MX_MESSAGE_LENGTH ? `${oneLine.slice(0, MAX_MX_MESSAGE_LENGTH)}…` : oneLine;
}

/** Delay-seconds or an HTTP date. */
function parseRetryAfter(header: string | string[] | undefined, nowMs: number): number | undefined {
  const value = (Array.isArray(header) ? header[0] : header)?.trim();
  if (!value) return undefined;
  if (/^\d+$/.test(value)) return Number(value);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - nowMs) / 1000));
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
