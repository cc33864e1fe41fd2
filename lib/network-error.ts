/** What failed below HTTP, from the Node or undici error code. */
export type NetworkFailure = 'timeout' | 'dns' | 'connection' | 'tls';

const TIMEOUT = new Set(['ETIMEDOUT', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);
const DNS = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_FAIL', 'EAI_NODATA', 'EAI_NONAME']);
const CONNECTION = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
]);
const TLS =
  /^(ERR_TLS_|ERR_SSL_|ERR_OSSL_|CERT_|UNABLE_TO_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|HOSTNAME_MISMATCH)/;
/** Failures before a byte of the request left: refused, no address, connect timeout. */
const NEVER_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'UND_ERR_CONNECT_TIMEOUT']);

/** The first string `code` on `error` or the errors it was caused by (undici and fetch wrap the socket's). */
export function networkErrorCode(error: unknown): string | undefined {
  for (let current = error; current instanceof Error; current = current.cause) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
  }
  return undefined;
}

/** The kind of network failure a code names; undefined for any other code. */
export function networkFailure(code: string | undefined): NetworkFailure | undefined {
  if (code === undefined) return undefined;
  if (TIMEOUT.has(code)) return 'timeout';
  if (DNS.has(code)) return 'dns';
  if (CONNECTION.has(code)) return 'connection';
  if (TLS.test(code)) return 'tls';
  return undefined;
}

/** Whether the request certainly never reached the server (so sending it again cannot act twice). */
export const neverSent = (code: string | undefined): boolean => code !== undefined && NEVER_SENT.has(code);
