import { describe, expect, it } from 'vitest';
import { describeMxTarget, mxTargetOf } from '../../../infra/local/mx-target.ts';
import { ConfigError } from '../../../lib/errors.ts';

const MX = 'https://int-data.moneydesktop.com';
const SSO = 'https://int-sso.moneydesktop.com';
const LIVE = 'https://int-live.moneydesktop.com';

describe('the MX a local stack talks to', () => {
  it('is the simulator when nothing names an MX (an empty variable counts as unset)', () => {
    expect(mxTargetOf({})).toEqual({ kind: 'simulator' });
    expect(mxTargetOf({ MX_BASE_URL: '', MX_API_KEY: '' })).toEqual({ kind: 'simulator' });
    expect(describeMxTarget({ kind: 'simulator' }, 'http://127.0.0.1:3001')).toMatch(
      /^MX: the simulator at http:\/\/127\.0\.0\.1:3001 /,
    );
  });

  it('is that MX when all five settings are given, and the banner says so', () => {
    const target = mxTargetOf({
      MX_BASE_URL: MX,
      MX_SSO_BASE_URL: SSO,
      MX_REALTIME_BASE_URL: LIVE,
      MX_CLIENT_ID: 'abc',
      MX_API_KEY: 'key',
    });
    expect(target).toEqual({
      kind: 'mx',
      baseUrl: MX,
      ssoBaseUrl: SSO,
      realtimeBaseUrl: LIVE,
      credentials: { clientId: 'abc', apiKey: 'key' },
    });
    // The client id is half of the partner's credentials: never printed.
    expect(describeMxTarget(target, undefined)).toBe(
      `MX: ${MX} (SSO ${SSO}, MDX Real Time ${LIVE}) — a real MX, not the simulator`,
    );
  });

  it("checks each value as the relay's configuration does, naming the variable and never echoing the value", () => {
    const named = { MX_BASE_URL: MX, MX_SSO_BASE_URL: SSO, MX_REALTIME_BASE_URL: LIVE, MX_CLIENT_ID: 'abc', MX_API_KEY: 'key' };
    const badUrl = () => mxTargetOf({ ...named, MX_BASE_URL: 'int-data.moneydesktop.com' });
    expect(badUrl).toThrow(ConfigError);
    expect(badUrl).toThrow('MX_BASE_URL is invalid: must be an http(s) URL');
    expect(() => mxTargetOf({ ...named, MX_SSO_BASE_URL: 'ftp://sso.example' })).toThrow(
      'MX_SSO_BASE_URL is invalid: must be an http(s) URL',
    );
    // Trimmed, as the relay reads it.
    expect(mxTargetOf({ ...named, MX_BASE_URL: ` ${MX} ` })).toMatchObject({ baseUrl: MX });
  });

  it('refuses partial settings with one line naming what is missing (issue 38 #1)', () => {
    const partial = () => mxTargetOf({ MX_BASE_URL: MX, MX_CLIENT_ID: 'abc' });
    expect(partial).toThrow(ConfigError);
    expect(partial).toThrow(
      'MX settings are partial: MX_BASE_URL and MX_CLIENT_ID are set but MX_SSO_BASE_URL, MX_REALTIME_BASE_URL and MX_API_KEY ' +
        'are not. Set MX_SSO_BASE_URL, MX_REALTIME_BASE_URL and MX_API_KEY to talk to that MX, or unset MX_BASE_URL and ' +
        'MX_CLIENT_ID to run against the simulator.',
    );
    // A real MX answers SSO and MDX Real Time on hosts of their own: settings without one of them are partial too.
    expect(() => mxTargetOf({ MX_BASE_URL: MX, MX_REALTIME_BASE_URL: LIVE, MX_CLIENT_ID: 'abc', MX_API_KEY: 'key' })).toThrow(
      /are set but MX_SSO_BASE_URL is not\./,
    );
    expect(() => mxTargetOf({ MX_BASE_URL: MX, MX_SSO_BASE_URL: SSO, MX_CLIENT_ID: 'abc', MX_API_KEY: 'key' })).toThrow(
      /are set but MX_REALTIME_BASE_URL is not\./,
    );
    expect(() => mxTargetOf({ MX_SSO_BASE_URL: MX })).toThrow(
      /MX_SSO_BASE_URL is set but MX_BASE_URL, MX_REALTIME_BASE_URL, MX_CLIENT_ID and MX_API_KEY are not\./,
    );
    expect(() => mxTargetOf({ MX_API_KEY: 'key' })).toThrow(/^[^\n]+$/);
  });
});
