import { describe, expect, it } from 'vitest';
import { NexusRelayError } from '../../../lib/errors.ts';
import { MxError, type MxErrorCode, mxErrorFromResponse } from '../../../lib/mx/errors.ts';

const call = { method: 'GET', route: '/members/{member_guid}' };
const NOW = Date.UTC(2026, 0, 1);
const respond = (status: number, body = '', headers: Record<string, string> = {}) =>
  mxErrorFromResponse({ status, headers, body }, call, NOW);

describe('mxErrorFromResponse', () => {
  it.each<[number, MxErrorCode]>([
    [400, 'MX_BAD_REQUEST'],
    [401, 'MX_UNAUTHORIZED'],
    [403, 'MX_FORBIDDEN'],
    [404, 'MX_NOT_FOUND'],
    [405, 'MX_BAD_REQUEST'],
    [409, 'MX_CONFLICT'],
    [410, 'MX_BAD_REQUEST'],
    [422, 'MX_UNPROCESSABLE'],
    [429, 'MX_RATE_LIMITED'],
    [500, 'MX_UPSTREAM_ERROR'],
    [502, 'MX_UPSTREAM_ERROR'],
    [503, 'MX_UPSTREAM_ERROR'],
    [504, 'MX_UPSTREAM_ERROR'],
    [302, 'MX_INVALID_RESPONSE'],
  ])('maps %i to %s', (status, code) => {
    const error = respond(status);
    expect(error).toBeInstanceOf(MxError);
    expect(error).toBeInstanceOf(NexusRelayError);
    expect(error).toMatchObject({ name: 'MxError', code, status, method: 'GET', route: '/members/{member_guid}' });
  });

  it('reads MX code and message from a nested error body', () => {
    const error = respond(401, JSON.stringify({ error: { code: 4011, message: 'Session expired.' } }));
    expect(error.mxCode).toBe(4011);
    expect(error.message).toBe('MX answered 401 to GET /members/{member_guid}: Session expired.');
  });

  it('reads MX code and message from a flat error body', () => {
    const error = respond(400, JSON.stringify({ code: 4001, message: 'Required params missing' }));
    expect(error.mxCode).toBe(4001);
    expect(error.message).toContain('Required params missing');
  });

  it('accepts a numeric code sent as a string', () => {
    expect(respond(422, JSON.stringify({ error: { code: '4220', message: 'Duplicate' } })).mxCode).toBe(4220);
  });

  it.each([
    ['HTML', '<html><body>502 Bad Gateway</body></html>'],
    ['empty', ''],
    ['JSON without a code', JSON.stringify({ errors: ['x'] })],
    ['a JSON array', '[1,2]'],
    ['a non-numeric code', JSON.stringify({ code: 'oops', message: 7 })],
  ])('keeps the status mapping for a %s body and takes nothing from it', (_, body) => {
    const error = respond(502, body);
    expect(error.code).toBe('MX_UPSTREAM_ERROR');
    expect(error.mxCode).toBeUndefined();
    expect(error.message).toBe('MX answered 502 to GET /members/{member_guid}');
  });

  it("keeps MX's message to one short line", () => {
    const error = respond(400, JSON.stringify({ code: 4002, message: `line one\r\nline two ${'x'.repeat(500)}` }));
    expect(error.message).not.toMatch(/[\r\n]/);
    expect(error.message.length).toBeLessThan(300);
    expect(error.message).toContain('line one line two');
  });

  it('takes nothing but code and message from the body', () => {
    const body = JSON.stringify({
      error: { code: 4011, message: 'Expired', token: 'SESSION-SECRET' },
      session: 'SESSION-SECRET',
    });
    const error = respond(401, body);
    expect(JSON.stringify({ ...error, message: error.message })).not.toContain('SESSION-SECRET');
  });

  describe('Retry-After on 429', () => {
    it('reads delay-seconds', () => {
      expect(respond(429, '', { 'retry-after': '7' }).retryAfterSeconds).toBe(7);
    });

    it('reads an HTTP date relative to now', () => {
      const in30s = new Date(NOW + 30_000).toUTCString();
      expect(respond(429, '', { 'retry-after': in30s }).retryAfterSeconds).toBe(30);
    });

    it('never goes negative for a date in the past', () => {
      expect(respond(429, '', { 'retry-after': new Date(NOW - 60_000).toUTCString() }).retryAfterSeconds).toBe(0);
    });

    it('is absent when missing or unreadable', () => {
      expect(respond(429).retryAfterSeconds).toBeUndefined();
      expect(respond(429, '', { 'retry-after': 'soon' }).retryAfterSeconds).toBeUndefined();
    });

    it('is only set on MX_RATE_LIMITED', () => {
      expect(respond(503, '', { 'retry-after': '7' }).retryAfterSeconds).toBeUndefined();
    });
  });
});
