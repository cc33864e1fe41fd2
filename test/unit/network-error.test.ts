import { describe, expect, it } from 'vitest';
import { networkErrorCode, networkFailure, neverSent } from '../../lib/network-error.ts';

describe('network errors', () => {
  it('take the first code on the error or what caused it', () => {
    const socket = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    expect(networkErrorCode(new TypeError('fetch failed', { cause: socket }))).toBe('ECONNREFUSED');
    expect(networkErrorCode(Object.assign(new Error('x', { cause: socket }), { code: 'UND_ERR_SOCKET' }))).toBe('UND_ERR_SOCKET');
    expect(networkErrorCode(new Error('no code'))).toBeUndefined();
    expect(networkErrorCode('not an error')).toBeUndefined();
  });

  it('are a timeout, DNS, the connection or TLS; any other code is none of them', () => {
    expect(
      ['UND_ERR_HEADERS_TIMEOUT', 'ENOTFOUND', 'ECONNRESET', 'CERT_HAS_EXPIRED', 'EPERM', undefined].map(networkFailure),
    ).toEqual(['timeout', 'dns', 'connection', 'tls', undefined, undefined]);
  });

  it('say the request never left only when nothing was sent', () => {
    expect(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'UND_ERR_CONNECT_TIMEOUT'].every(neverSent)).toBe(true);
    expect(['ECONNRESET', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_SOCKET', undefined].some(neverSent)).toBe(false);
  });
});
