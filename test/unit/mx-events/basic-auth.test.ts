import fc from 'fast-check';
import { timingSafeEqual } from 'node:crypto';
import { describe, expect, it, vi } from 'vitest';
import {
  BasicAuthenticator,
  type BasicCredentials,
  credentialsMatch,
  parseBasicAuthorization,
} from '../../../lib/http/basic-auth.ts';
import { HttpProblem } from '../../../lib/http/problem.ts';
import type { Log } from '../../../lib/logger.ts';

const expected: BasicCredentials = { username: 'mx-webhooks', password: 'correct horse battery staple' };
const basic = (username: string, password: string) =>
  `Basic ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}`;

function capturingLog() {
  const lines: unknown[][] = [];
  const record =
    (level: string) =>
    (...args: unknown[]) =>
      lines.push([level, ...args]);
  const log: Log = { debug: record('debug'), info: record('info'), warn: record('warn'), error: record('error') };
  return { log, lines };
}

describe('parseBasicAuthorization', () => {
  it('reads user and password; the password may contain colons; the scheme is case-insensitive', () => {
    expect(parseBasicAuthorization(basic('mx', 'a:b:c'))).toEqual({ username: 'mx', password: 'a:b:c' });
    expect(parseBasicAuthorization(`basic ${Buffer.from('u:').toString('base64')}`)).toEqual({ username: 'u', password: '' });
  });

  it.each([undefined, '', 'Bearer abc', 'Basic', 'Basic %%%', `Basic ${Buffer.from('no-colon').toString('base64')}`])(
    'refuses %j',
    (header) => {
      expect(parseBasicAuthorization(header)).toBeUndefined();
    },
  );
});

describe('credentialsMatch', () => {
  it('compares equal-length buffers whatever the lengths of the given credentials', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), fc.string({ maxLength: 3000 }), (username, password) => {
        const compare = vi.fn(timingSafeEqual);
        credentialsMatch({ username, password }, expected, compare);
        expect(compare).toHaveBeenCalledTimes(2);
        for (const [a, b] of compare.mock.calls) expect([a.byteLength, b.byteLength]).toEqual([32, 32]);
      }),
    );
  });

  it('compares both parts even when the user name is already wrong', () => {
    const compare = vi.fn(timingSafeEqual);
    expect(credentialsMatch({ username: 'x', password: expected.password }, expected, compare)).toBe(false);
    expect(compare).toHaveBeenCalledTimes(2);
  });

  it('matches exactly the expected pair', () => {
    expect(credentialsMatch(expected, expected)).toBe(true);
    expect(credentialsMatch({ ...expected, password: `${expected.password} ` }, expected)).toBe(false);
    expect(credentialsMatch({ ...expected, username: expected.username.toUpperCase() }, expected)).toBe(false);
  });
});

describe('BasicAuthenticator', () => {
  const authenticator = (credentials: (() => Promise<BasicCredentials>) | undefined, log: Log) =>
    new BasicAuthenticator({ realm: 'mx-webhooks', credentials, unconfiguredHint: 'set X', log });

  const refusal = async (promise: Promise<void>) => {
    const error = await promise.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(HttpProblem);
    expect((error as HttpProblem).status).toBe(401);
    expect((error as HttpProblem).headers).toEqual({ 'www-authenticate': 'Basic realm="mx-webhooks"' });
    return error as HttpProblem;
  };

  it('lets the right credentials through', async () => {
    const { log } = capturingLog();
    await expect(
      authenticator(async () => expected, log).authenticate(basic(expected.username, expected.password)),
    ).resolves.toBeUndefined();
  });

  it('refuses missing, malformed and wrong credentials with a Basic challenge, never echoing them', async () => {
    const { log, lines } = capturingLog();
    const auth = authenticator(async () => expected, log);
    for (const header of [undefined, 'Basic ???', basic(expected.username, 'guess'), basic('guess', expected.password)]) {
      const problem = await refusal(auth.authenticate(header));
      expect(JSON.stringify(problem.toBody())).not.toContain('guess');
    }
    expect(JSON.stringify(lines)).not.toContain(expected.password);
  });

  it('without credentials refuses everything and says so in the log once', async () => {
    const { log, lines } = capturingLog();
    const auth = authenticator(undefined, log);
    await refusal(auth.authenticate(basic(expected.username, expected.password)));
    await refusal(auth.authenticate(undefined));
    expect(lines.filter(([level]) => level === 'warn')).toHaveLength(1);
  });

  it('does not read the expected credentials for a request that brings none', async () => {
    const { log } = capturingLog();
    const credentials = vi.fn(async () => expected);
    await refusal(authenticator(credentials, log).authenticate(undefined));
    expect(credentials).not.toHaveBeenCalled();
  });
});
