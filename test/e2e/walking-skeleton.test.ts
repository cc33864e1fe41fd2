import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStackProcess, type StackProcess } from '../support/stack-process.ts';
import { startWebhookReceiver } from '../support/webhook-receiver.ts';

/**
 * The whole product over HTTP, the way a client app meets it: `npm start`, a webhook receiver verifying every
 * delivery with the public `standardwebhooks` library, and the MX simulator's control API to script members.
 */
let stack: StackProcess;
let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;

async function api(method: string, path: string, options: { body?: unknown; key?: string | null } = {}) {
  const key = options.key === undefined ? stack.apiKey : options.key;
  const response = await fetch(`${stack.url}${path}`, {
    method,
    headers: {
      ...(key === null ? {} : { authorization: `Bearer ${key}` }),
      ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
}

async function sim(method: string, path: string, body?: unknown) {
  const response = await fetch(`${stack.simulatorUrl}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  expect(response.status, `simulator ${method} ${path}: ${text}`).toBeLessThan(300);
  return text ? JSON.parse(text) : undefined;
}

async function simMember(aggregation: { duration_ms: number; final_status: string; challenge?: unknown }, useCases?: string[]) {
  const userId = `user-${randomUUID().slice(0, 8)}`;
  const { member } = await sim('POST', '/_sim/members', {
    user_id: userId,
    aggregation,
    ...(useCases ? { use_cases: useCases } : {}),
  });
  return { userId, memberGuid: member.guid as string };
}

const refresh = (userId: string, memberGuid: string, query = '') =>
  api('POST', `/users/${userId}/members/${memberGuid}/refresh${query}`);

const eventsOf = (jobId: string) => receiver.events.filter((event) => event.data.job.id === jobId);
const isTerminalFor = (jobId: string) => (event: { type: string; data: { job: { id: string } } }) =>
  event.data.job.id === jobId && event.type !== 'aggregation.started';

beforeAll(async () => {
  receiver = await startWebhookReceiver();
  stack = await startStackProcess({ AGGREGATION_DEADLINE_SECONDS: '10' });
  const created = await api('POST', '/webhooks', { body: { url: receiver.url } });
  expect(created.status).toBe(201);
  receiver.useSecret(created.body.webhook.secret);
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
    expect(stack.output()).toMatch(/mx simulator: http:\/\/127\.0\.0\.1:\d+/);
    expect(stack.apiKey.length).toBeGreaterThanOrEqual(32);
  });
});

describe('refresh → poll loop → signed webhooks', () => {
  it('a 5 s aggregation ending CONNECTED: started then succeeded, verified; the job says succeeded; one session', async () => {
    const { userId, memberGuid } = await simMember({ duration_ms: 5_000, final_status: 'CONNECTED' });
    await sim('POST', '/_sim/reset');

    const started = await refresh(userId, memberGuid, '?include_holdings=false');
    expect(started.status).toBe(202);
    const job = started.body.job;
    expect(started.headers.get('location')).toBe(`/jobs/${job.id}`);
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

    const read = await api('GET', `/jobs/${job.id}`);
    expect(read.status).toBe(200);
    expect(read.body.job).toMatchObject({ id: job.id, status: 'succeeded', connection_status: 'CONNECTED' });
    expect(read.body.job.finished_at).not.toBeNull();

    const { calls } = await sim('GET', '/_sim/stats');
    expect(calls['POST /sessions']).toBe(1);
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
        const response = await refresh(userId, memberGuid);
        expect(response.status).toBe(202);
        return response.body.job.id as string;
      }),
    );
    for (const [i, jobId] of jobs.entries()) {
      const [terminal] = await receiver.waitFor(isTerminalFor(jobId), 1, 40_000);
      expect(terminal!.type).toBe(`aggregation.${cases[i]!.expected}`);
      expect((await api('GET', `/jobs/${jobId}`)).body.job.status).toBe(cases[i]!.expected);
    }
  }, 60_000);

  it('a member without the PFM use case gets 403 use_case_not_permitted, no job and no webhook', async () => {
    const { userId, memberGuid } = await simMember({ duration_ms: 1_000, final_status: 'CONNECTED' }, ['MONEY_MOVEMENT']);
    const before = receiver.events.length;
    const response = await refresh(userId, memberGuid);
    expect(response.status).toBe(403);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    expect(response.body).toMatchObject({ status: 403, code: 'use_case_not_permitted' });
    expect((await api('GET', `/users/${userId}/members/${memberGuid}/aggregation`)).status).toBe(404);
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
    expect([a.status, b.status]).toEqual([202, 202]);
    expect(b.body.job.id).toBe(a.body.job.id);
    const { calls } = await sim('GET', '/_sim/stats');
    const aggregateCalls = Object.entries(calls as Record<string, number>)
      .filter(([route]) => /\/members\/\{member_guid\}\/(aggregate|refresh)$/.test(route))
      .reduce((sum, [, count]) => sum + count, 0);
    expect(aggregateCalls).toBe(1);
    await receiver.waitFor(isTerminalFor(a.body.job.id));
    expect(eventsOf(a.body.job.id).filter((event) => event.type !== 'aggregation.started')).toHaveLength(1);
  });

  it('an expired MX session is replaced without the client noticing', async () => {
    const { userId, memberGuid } = await simMember({ duration_ms: 1_000, final_status: 'CONNECTED' });
    expect((await api('GET', `/users/${userId}/members/${memberGuid}`)).status).toBe(200);
    await sim('POST', '/_sim/reset');
    await sim('POST', '/_sim/faults', { expire_sessions: true });
    const read = await api('GET', `/users/${userId}/members/${memberGuid}`);
    expect(read.status).toBe(200);
    expect(read.body.member.guid).toBe(memberGuid);
    const { calls } = await sim('GET', '/_sim/stats');
    expect(calls['POST /sessions']).toBe(1);
    expect(calls['GET /members/{member_guid}']).toBe(2);
    await sim('POST', '/_sim/faults', {});
  });
});

describe('MFA over HTTP', () => {
  it('action_required carries the challenges; PUT resume with the answer ends the same job succeeded', async () => {
    const { userId, memberGuid } = await simMember({
      duration_ms: 1_000,
      final_status: 'CONNECTED',
      challenge: { label: 'Favorite color?', answer: 'blue' },
    });
    const job = (await refresh(userId, memberGuid)).body.job;
    const [challenged] = await receiver.waitFor(isTerminalFor(job.id));
    expect(challenged!.type).toBe('aggregation.action_required');
    const [question] = challenged!.data.job.challenges as { guid: string; label: string }[];
    expect(question!.label).toBe('Favorite color?');

    const resumed = await api('PUT', `/users/${userId}/members/${memberGuid}/resume`, {
      body: { challenges: [{ guid: question!.guid, value: 'blue' }] },
    });
    expect(resumed.status).toBe(202);
    expect(resumed.body.job).toMatchObject({ id: job.id, status: 'aggregating' });
    const terminal = await receiver.waitFor(isTerminalFor(job.id), 2);
    expect(terminal.map((event) => event.type)).toEqual(['aggregation.action_required', 'aggregation.succeeded']);
  });
});

describe('errors are problem+json', () => {
  it('missing or wrong API key → 401', async () => {
    for (const key of [null, 'not-a-real-key-but-long-enough-to-parse']) {
      const response = await api('GET', '/webhooks', { key });
      expect(response.status).toBe(401);
      expect(response.headers.get('content-type')).toBe('application/problem+json');
      expect(response.body).toMatchObject({ status: 401, code: 'unauthorized' });
      expect(response.headers.get('x-request-id')).toBeTruthy();
    }
  });

  it('unknown route → 404, wrong method → 405', async () => {
    const unknown = await api('GET', '/no/such/route');
    expect(unknown.status).toBe(404);
    expect(unknown.body).toMatchObject({ code: 'route_not_found' });
    const wrongMethod = await api('GET', '/users/u1/members/MBR-1/refresh');
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get('allow')).toBe('POST');
  });

  it('a malformed member guid → 400 naming the field, before any MX call', async () => {
    await sim('POST', '/_sim/reset');
    const response = await refresh('user-1', 'not-a-guid');
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    expect(response.body).toMatchObject({ code: 'validation_failed', field: 'member_guid' });
    expect(response.body.detail).toContain('member_guid');
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
