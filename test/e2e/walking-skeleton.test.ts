import { createRelayClient, RelayNotFoundError, RelayRequestError, type RelayClient } from '@nexus-relay/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { endOfLifeNotice } from '../../infra/local/node-support.ts';
import { startStackProcess, type StackProcess } from '../support/stack-process.ts';
import { simulatorControl } from '../support/simulator-control.ts';
import { startWebhookReceiver } from '../support/webhook-receiver.ts';

/**
 * The whole product over HTTP, the way a client app meets it: `npm start`, called through the client kit
 * (@nexus-relay/client), a webhook receiver verifying every delivery with the public `standardwebhooks` library,
 * and the MX simulator's control API to script members.
 */
let stack: StackProcess;
let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;
let relay: RelayClient;

/** What the client kit would not send (no key, unknown routes, wrong methods), and headers it does not show. */
async function wire(method: string, path: string, options: { key?: string | null } = {}) {
  const key = options.key === undefined ? stack.apiKey : options.key;
  const response = await fetch(`${stack.url}${path}`, {
    method,
    headers: key === null ? {} : { authorization: `Bearer ${key}` },
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
}

const { sim, simMember } = simulatorControl(() => stack.simulatorUrl);

const refresh = (userId: string, memberGuid: string) => relay.members.refresh({ user_id: userId, member_guid: memberGuid });

const eventsOf = (jobId: string) => receiver.events.filter((event) => event.data.job?.id === jobId);
const isTerminalFor = (jobId: string) => (event: { type: string; data: { job: { id: string } } }) =>
  event.data.job?.id === jobId && event.type !== 'aggregation.started';

beforeAll(async () => {
  receiver = await startWebhookReceiver();
  stack = await startStackProcess({ AGGREGATION_DEADLINE_SECONDS: '10' });
  relay = createRelayClient({ baseUrl: stack.url, apiKey: stack.apiKey });
  const created = await relay.webhooks.create({ url: receiver.url });
  receiver.useSecret(created.secret);
}, 90_000);

afterAll(async () => {
  await receiver?.close();
  await stack?.interrupt();
});

const reachable = (url: string) =>
  fetch(url).then(
    () => true,
    () => false,
  );

describe('npm start', () => {
  it('is ready in under 30 s and prints the gateway, simulator and API key', () => {
    expect(stack.readyMs).toBeLessThan(30_000);
    expect(stack.output()).toMatch(/MX: the simulator at http:\/\/127\.0\.0\.1:\d+/);
    expect(stack.apiKey.length).toBeGreaterThanOrEqual(32);
  });

  it('says in one line when the Node it runs on is past its end of life, and nothing otherwise', () => {
    const notice = endOfLifeNotice(process.version, new Date());
    if (notice) expect(stack.output()).toContain(notice);
    else expect(stack.output()).not.toMatch(/end of life/);
  });
});

describe('refresh → poll loop → signed webhooks', () => {
  it('a 5 s aggregation ending CONNECTED: started then succeeded, verified; the job says succeeded; one session', async () => {
    const { userId, memberGuid } = await simMember({ duration_ms: 5_000, final_status: 'CONNECTED' });
    await sim('POST', '/_sim/reset');

    const started = await relay.raw.POST('/users/{user_id}/members/{member_guid}/refresh', {
      params: { path: { user_id: userId, member_guid: memberGuid }, query: { include_holdings: false } },
    });
    expect(started.response.status).toBe(202);
    const job = started.data!.job;
    expect(started.response.headers.get('location')).toBe(`/jobs/${job.id}`);
    expect(job).toMatchObject({ user_id: userId, member_guid: memberGuid, status: 'aggregating', finished_at: null });

    await receiver.waitFor(isTerminalFor(job.id));
    const events = eventsOf(job.id);
    expect(events.map((event) => event.type)).toEqual(['aggregation.started', 'aggregation.succeeded']);
    expect(events.every((event) => event.verified)).toBe(true);
    expect(events[1]!.data.member).toMatchObject({
      guid: memberGuid,
      connection_status: 'CONNECTED',
      is_being_aggregated: false,
    });

    const read = await relay.jobs.get(job.id);
    expect(read).toMatchObject({ id: job.id, status: 'succeeded', connection_status: 'CONNECTED' });
    expect(read.finished_at).not.toBeNull();

    const { calls } = await sim('GET', '/_sim/stats');
    expect(calls['POST /sessions']).toBe(1);

    // The terminal shows a short line for the request and for each of the job's transitions, named by the function
    // that wrote it; every JSON log and EMF line is in the log file instead (issue 38 #9).
    const printed = stack.output().split('\n');
    expect(printed.filter((line) => line.startsWith('{'))).toEqual([]);
    expect(printed).toContainEqual(
      expect.stringMatching(new RegExp(`POST /users/${userId}/members/${memberGuid}/refresh → 202 `)),
    );
    expect(printed).toContainEqual(expect.stringMatching(new RegExp(`api-refresh aggregation started .*job_id=${job.id}`)));
    expect(printed).toContainEqual(expect.stringMatching(new RegExp(`worker-poll aggregation finished .*job_id=${job.id}`)));
    const logged = stack
      .logs()
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(logged.some((line) => '_aws' in line)).toBe(true);
    expect(logged.filter((line) => line.job_id === job.id && line.message === 'aggregation finished')).toHaveLength(1);
  });

  it('CHALLENGED and DENIED end action_required, FAILED ends failed, a member that never finishes times out', async () => {
    const cases = [
      {
        script: { duration_ms: 2_000, final_status: 'CONNECTED', challenge: { label: 'Favorite color?', answer: 'blue' } },
        expected: 'action_required',
      },
      { script: { duration_ms: 2_000, final_status: 'DENIED' }, expected: 'action_required' },
      { script: { duration_ms: 2_000, final_status: 'FAILED' }, expected: 'failed' },
      { script: { duration_ms: 3_600_000, final_status: 'CONNECTED' }, expected: 'timed_out' },
    ];
    const jobs = await Promise.all(
      cases.map(async ({ script }) => {
        const { userId, memberGuid } = await simMember(script);
        return (await refresh(userId, memberGuid)).id;
      }),
    );
    for (const [i, jobId] of jobs.entries()) {
      const [terminal] = await receiver.waitFor(isTerminalFor(jobId), 1, 40_000);
      expect(terminal!.type).toBe(`aggregation.${cases[i]!.expected}`);
      expect((await relay.jobs.get(jobId)).status).toBe(cases[i]!.expected);
    }
  }, 60_000);

  it('a member without the PFM use case gets 403 use_case_not_permitted, no job and no webhook', async () => {
    const { userId, memberGuid } = await simMember({ duration_ms: 1_000, final_status: 'CONNECTED' }, ['MONEY_MOVEMENT']);
    const before = receiver.events.length;
    await expect(refresh(userId, memberGuid)).rejects.toMatchObject({
      name: 'RelayAuthError',
      status: 403,
      code: 'use_case_not_permitted',
      requestId: expect.any(String),
    });
    await expect(relay.members.aggregation({ user_id: userId, member_guid: memberGuid })).rejects.toBeInstanceOf(
      RelayNotFoundError,
    );
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(receiver.events.length).toBe(before);
  });

  it('two refreshes 100 ms apart share one job and one MX aggregate call', async () => {
    const { userId, memberGuid } = await simMember({ duration_ms: 3_000, final_status: 'CONNECTED' });
    await sim('POST', '/_sim/reset');
    const first = refresh(userId, memberGuid);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const second = refresh(userId, memberGuid);
    const [a, b] = await Promise.all([first, second]);
    expect(b.id).toBe(a.id);
    const { calls } = await sim('GET', '/_sim/stats');
    const aggregateCalls = Object.entries(calls as Record<string, number>)
      .filter(([route]) => /\/members\/\{member_guid\}\/(aggregate|refresh)$/.test(route))
      .reduce((sum, [, count]) => sum + count, 0);
    expect(aggregateCalls).toBe(1);
    await receiver.waitFor(isTerminalFor(a.id));
    expect(eventsOf(a.id).filter((event) => event.type !== 'aggregation.started')).toHaveLength(1);
  });

  it('an expired MX session is replaced without the client noticing', async () => {
    const { userId, memberGuid } = await simMember({ duration_ms: 1_000, final_status: 'CONNECTED' });
    await relay.members.get({ user_id: userId, member_guid: memberGuid });
    await sim('POST', '/_sim/reset');
    await sim('POST', '/_sim/faults', { expire_sessions: true });
    const read = await relay.members.get({ user_id: userId, member_guid: memberGuid });
    expect(read.member).toMatchObject({ guid: memberGuid });
    const { calls } = await sim('GET', '/_sim/stats');
    expect(calls['POST /sessions']).toBe(1);
    expect(calls['GET /members/{member_guid}']).toBe(2);
    await sim('POST', '/_sim/faults', {});
  });

  it('reads across expired sessions start no aggregation at MX (every session opened with skip_aggregation)', async () => {
    const { userId, memberGuid } = await simMember({ duration_ms: 1_000, final_status: 'CONNECTED' });
    await sim('POST', '/_sim/reset');
    for (let round = 0; round < 3; round++) {
      await sim('POST', '/_sim/faults', { expire_sessions: true });
      await sim('POST', '/_sim/faults', {});
      await relay.members.get({ user_id: userId, member_guid: memberGuid });
      await relay.members.list({ user_id: userId }).firstPage();
    }
    const stats = await sim('GET', '/_sim/stats');
    expect(stats.calls['POST /sessions']).toBeGreaterThanOrEqual(3);
    expect(stats.aggregations_started_by_sessions).toBe(0);
    const read = await relay.members.get({ user_id: userId, member_guid: memberGuid });
    expect(read.member).toMatchObject({ guid: memberGuid, is_being_aggregated: false });
  });
});

describe('MFA over HTTP', () => {
  it('action_required carries the challenges; PUT resume with the answer ends the same job succeeded', async () => {
    const { userId, memberGuid } = await simMember({
      duration_ms: 1_000,
      final_status: 'CONNECTED',
      challenge: { label: 'Favorite color?', answer: 'blue' },
    });
    const job = await refresh(userId, memberGuid);
    const [challenged] = await receiver.waitFor(isTerminalFor(job.id));
    expect(challenged!.type).toBe('aggregation.action_required');
    const [question] = challenged!.data.job.challenges as { guid: string; label: string }[];
    expect(question!.label).toBe('Favorite color?');

    const resumed = await relay.members.resume({
      user_id: userId,
      member_guid: memberGuid,
      challenges: [{ guid: question!.guid, value: 'blue' }],
    });
    expect(resumed).toMatchObject({ id: job.id, status: 'aggregating' });
    const terminal = await receiver.waitFor(isTerminalFor(job.id), 2);
    expect(terminal.map((event) => event.type)).toEqual(['aggregation.action_required', 'aggregation.succeeded']);
  });
});

describe('errors are problem+json', () => {
  it('missing or wrong API key → 401', async () => {
    for (const key of [null, 'not-a-real-key-but-long-enough-to-parse']) {
      const response = await wire('GET', '/webhooks', { key });
      expect(response.status).toBe(401);
      expect(response.headers.get('content-type')).toBe('application/problem+json');
      expect(response.body).toMatchObject({ status: 401, code: 'unauthorized' });
      expect(response.headers.get('x-request-id')).toBeTruthy();
    }
  });

  it('the 401 says which: no bearer header, or a key unknown or revoked (even one too short to be a key)', async () => {
    const ask = async (authorization?: string) =>
      (
        await fetch(`${stack.url}/webhooks`, { headers: authorization === undefined ? {} : { authorization } })
      ).json() as Promise<{ detail: string }>;
    for (const authorization of [undefined, 'Basic abc', 'nxr_nope']) {
      expect((await ask(authorization)).detail, String(authorization)).toContain('Authorization: Bearer');
    }
    for (const authorization of ['Bearer nxr_nope', 'Bearer not-a-real-key-but-long-enough-to-parse']) {
      expect((await ask(authorization)).detail, authorization).toBe('The API key is unknown or revoked.');
    }
  });

  it('unknown route → 404, wrong method → 405', async () => {
    const unknown = await wire('GET', '/no/such/route');
    expect(unknown.status).toBe(404);
    expect(unknown.body).toMatchObject({ code: 'route_not_found' });
    const wrongMethod = await wire('GET', '/users/u1/members/MBR-1/refresh');
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get('allow')).toBe('POST');
  });

  it('MX answering 429 through the retry budget → 503 upstream_rate_limited with MX’s Retry-After and reason', async () => {
    const { userId, memberGuid } = await simMember({ duration_ms: 1_000, final_status: 'CONNECTED' });
    await relay.members.get({ user_id: userId, member_guid: memberGuid });
    // Longer than the retry budget: the relay stops at once and passes MX's wait on.
    await sim('POST', '/_sim/faults', { error_rate: 1, status: 429, retry_after_s: 30 });
    try {
      const limited = await wire('GET', `/users/${userId}/members/${memberGuid}`);
      expect(limited.status).toBe(503);
      expect(limited.headers.get('retry-after')).toBe('30');
      expect(limited.body).toMatchObject({
        code: 'upstream_rate_limited',
        detail: expect.stringContaining('Too Many Requests.'),
        request_id: limited.headers.get('x-request-id'),
      });
    } finally {
      await sim('POST', '/_sim/faults', {});
    }
  });

  it('a malformed member guid → 400 naming the field, before any MX call', async () => {
    await sim('POST', '/_sim/reset');
    const refused = await refresh('user-1', 'not-a-guid').catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(RelayRequestError);
    expect(refused).toMatchObject({ status: 400, code: 'validation_failed', field: 'member_guid' });
    expect((refused as RelayRequestError).detail).toContain('member_guid');
    expect((await sim('GET', '/_sim/stats')).calls).toEqual({});
  });
});

describe('Ctrl-C', () => {
  it('stops every part: the service says so and neither the gateway nor the simulator answers any more', async () => {
    await stack.interrupt();
    await expect.poll(() => stack.output(), { timeout: 10_000 }).toContain('SIGINT: stopping');
    await expect
      .poll(async () => (await reachable(stack.url)) || (await reachable(stack.simulatorUrl)), { timeout: 10_000 })
      .toBe(false);
  });
});
