import type { MockAgent } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../lib/clock.ts';
import { toHttpProblem } from '../../../lib/http/error-mapper.ts';
import { silentLog } from '../../../lib/logger.ts';
import { isSessionExpired, MxError } from '../../../lib/mx/errors.ts';
import { FakeMx } from './support/fake-mx.ts';
import { CLIENT_ID, DATA_ORIGIN, MemorySessionStore, member, mockAgent, SSO_ORIGIN } from './support/fakes.ts';
import { mxStack } from './support/mx-stack.ts';

/**
 * Where MX's documents are silent, every plausible answer is taken and the client says which one came: bodies or
 * none on aggregate and resume, session expiry by 401 or by 4011 under another status, non-JSON answers, a
 * challenges answer without its key, and the SSO refusing the partner's credentials.
 */
const USER = 'user-1';
let agent: MockAgent;
let mx: FakeMx;

beforeEach(() => {
  agent = mockAgent();
  mx = new FakeMx(agent);
});
afterEach(async () => {
  await agent.close();
});

const client = () => {
  const clock = new ManualClock();
  return mxStack({ dispatcher: agent, store: new MemorySessionStore(clock), clock }).nexus;
};

/** `path` (any query) answers `reply` once per call, behind a live session. */
function onData(path: string, reply: () => { statusCode: number; data: unknown; responseOptions?: object }) {
  let calls = 0;
  agent
    .get(DATA_ORIGIN)
    .intercept({ path: (p) => p === path || p.startsWith(`${path}?`), method: () => true })
    .reply(
      mx.withSession(() => {
        calls += 1;
        const { statusCode, data, responseOptions } = reply();
        return { statusCode, data: data as object, ...(responseOptions ? { responseOptions } : {}) };
      }) as never,
    )
    .persist();
  return () => calls;
}

describe('aggregate and resume answers', () => {
  it.each([
    ['a member body', { member: member({ is_being_aggregated: true }) }, true],
    ['an empty body', '', false],
    ['a body without a member', {}, false],
  ])('aggregate answered with %s: the member comes from the answer or from a read', async (_, body, inAnswer) => {
    onData('/members/MBR-1/aggregate', () => ({ statusCode: 200, data: body }));
    const reads = onData('/members/MBR-1', () => ({ statusCode: 200, data: { member: member({ is_being_aggregated: true }) } }));
    const result = await client().aggregateMember(USER, 'MBR-1');
    expect(result.member).toMatchObject({ guid: 'MBR-1', is_being_aggregated: true });
    expect(result.answeredWithMember).toBe(inAnswer);
    expect(reads()).toBe(inAnswer ? 0 : 1);
  });

  it('resume answered with a bare 200 (as MX documents it): the member is read after it', async () => {
    onData('/members/MBR-1/resume', () => ({ statusCode: 200, data: '' }));
    onData('/members/MBR-1', () => ({ statusCode: 200, data: { member: member({ connection_status: 'RESUMED' }) } }));
    const resumed = await client().resumeAggregation(USER, 'MBR-1', [{ guid: 'CRD-1', value: 'blue' }]);
    expect(resumed.connection_status).toBe('RESUMED');
  });
});

describe('session expiry', () => {
  it.each([
    [401, { error: { code: 4011, message: 'Session expired' } }],
    [400, { error: { code: 4011, message: 'Session expired' } }],
    [403, { code: 4011, message: 'Session expired' }],
  ])('HTTP %i with 4011 renews the session and sends the call once more', async (status, body) => {
    let answered = 0;
    onData('/members/MBR-1', () =>
      ++answered === 1 ? { statusCode: status, data: body } : { statusCode: 200, data: { member: member() } },
    );
    expect(await client().readMember(USER, 'MBR-1')).toMatchObject({ guid: 'MBR-1' });
    expect(mx.sessionsCreated).toBe(2);
  });

  it('is recognised by one function: 401, or 4011 under any status, and nothing else', () => {
    const site = { method: 'GET', route: '/members' };
    expect(isSessionExpired(new MxError('MX_UNAUTHORIZED', 'x', { ...site, status: 401 }))).toBe(true);
    expect(isSessionExpired(new MxError('MX_BAD_REQUEST', 'x', { ...site, status: 400, mxCode: 4011 }))).toBe(true);
    expect(isSessionExpired(new MxError('MX_BAD_REQUEST', 'x', { ...site, status: 400, mxCode: 4001 }))).toBe(false);
    expect(isSessionExpired(new Error('x'))).toBe(false);
  });
});

describe('answers that are not JSON', () => {
  it.each([
    ['XML', 'application/xml', '<member><guid>MBR-1</guid></member>'],
    ['HTML', 'text/html', '<html><body>Maintenance</body></html>'],
  ])('%s becomes mx_unexpected_response naming the content type', async (_, type, text) => {
    onData('/members/MBR-1', () => ({ statusCode: 200, data: text, responseOptions: { headers: { 'content-type': type } } }));
    const error = await client()
      .readMember(USER, 'MBR-1')
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'MX_INVALID_RESPONSE', contentType: type });
    const problem = toHttpProblem(error, silentLog);
    expect(problem.problemCode).toBe('mx_unexpected_response');
    expect(problem.status).toBe(502);
    expect(problem.message).toContain(type);
    expect(problem.toBody('req-123456789')).toMatchObject({ request_id: 'req-123456789' });
  });

  it('an empty body where a member is needed is unexpected too', async () => {
    onData('/members/MBR-1', () => ({ statusCode: 200, data: '' }));
    await expect(client().readMember(USER, 'MBR-1')).rejects.toMatchObject({ code: 'MX_INVALID_RESPONSE' });
  });
});

describe('challenges', () => {
  it('an answer without the `challenges` key is an error, not an empty list', async () => {
    onData('/members/MBR-1/challenges', () => ({ statusCode: 200, data: { member: { guid: 'MBR-1' } } }));
    await expect(client().listMemberChallenges(USER, 'MBR-1')).rejects.toMatchObject({ code: 'MX_INVALID_RESPONSE' });
  });

  it('`challenges: null` reads as none', async () => {
    onData('/members/MBR-1/challenges', () => ({ statusCode: 200, data: { challenges: null } }));
    expect(await client().listMemberChallenges(USER, 'MBR-1')).toEqual([]);
  });

  it('the questions under `member`, as MX’s response schema names them, are read too', async () => {
    const question = { guid: 'CRD-1', type: 'TEXT', label: 'Favourite colour?', field_name: 'answer' };
    onData('/members/MBR-1/challenges', () => ({ statusCode: 200, data: { member: [question] } }));
    expect(await client().listMemberChallenges(USER, 'MBR-1')).toEqual([question]);
  });

  it('204 No Content (no question waiting, as MX’s Atrium answers) reads as none; a 200 without a body is an error', async () => {
    onData('/members/MBR-1/challenges', () => ({ statusCode: 204, data: '' }));
    expect(await client().listMemberChallenges(USER, 'MBR-1')).toEqual([]);
    onData('/members/MBR-2/challenges', () => ({ statusCode: 200, data: '' }));
    await expect(client().listMemberChallenges(USER, 'MBR-2')).rejects.toMatchObject({ code: 'MX_INVALID_RESPONSE' });
  });
});

describe('list members', () => {
  it.each([
    ['`members`, as a list is named', (m: object) => ({ members: [m] })],
    ['`member` holding one member, as MX’s list-members sample shows', (m: object) => ({ member: m })],
    ['`member` holding a list', (m: object) => ({ member: [m] })],
  ])('reads %s', async (_, shape) => {
    onData('/members', () => ({ statusCode: 200, data: shape(member()) }));
    expect(await client().listMembers(USER)).toMatchObject([{ guid: member().guid }]);
  });
});

describe('SSO refusing the partner credentials', () => {
  it.each([401, 403])('SSO %i becomes mx_credentials_refused with a hint, not a generic upstream error', async (status) => {
    const refusing = mockAgent();
    refusing
      .get(SSO_ORIGIN)
      .intercept({ path: (p) => p.startsWith(`/${CLIENT_ID}/users/`), method: 'GET' })
      .reply(status, { error: { code: status * 10, message: 'Forbidden' } })
      .persist();
    const clock = new ManualClock();
    const nexus = mxStack({
      dispatcher: refusing,
      store: new MemorySessionStore(clock),
      clock,
    }).nexus;
    const error = await nexus.readMember(USER, 'MBR-1').catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'MX_CREDENTIALS_REFUSED', status });
    const problem = toHttpProblem(error, silentLog);
    expect(problem.problemCode).toBe('mx_credentials_refused');
    expect(problem.message).toMatch(/API key.*client id.*allow-list/);
    await refusing.close();
  });
});
