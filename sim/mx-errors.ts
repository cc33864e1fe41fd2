import { STATUS_CODES } from 'node:http';

/**
 * An error answered the way Nexus answers: the HTTP status plus `{"error":{"code","message"}}`. MX codes are four
 * digits whose first three are the status; 4001 ("required params missing") and 4011 (session) are MX's own.
 */
export class MxError extends Error {
  readonly status: number;
  readonly code: number;

  constructor(status: number, message: string, code = status === 400 ? 4001 : status * 10) {
    super(message);
    this.name = 'MxError';
    this.status = status;
    this.code = code;
  }

  /** For failures with nothing to add to the HTTP reason phrase (injected faults, 405…). */
  static plain(status: number): MxError {
    return new MxError(status, `${STATUS_CODES[status] ?? 'Error'}.`);
  }
}

/** MX's code 4011, under HTTP 401 or (a dialect MX's documents do not rule out) HTTP 400. */
export const invalidSession = (dialect: { session_expired: '401' | '4011_under_400' }): MxError =>
  new MxError(dialect.session_expired === '401' ? 401 : 400, 'Session expired or invalid.', 4011);

export const mxErrorBody = (error: MxError) => ({ error: { code: error.code, message: error.message } });
