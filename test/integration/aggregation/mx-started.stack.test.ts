import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalStack, SIMULATOR_WEBHOOK_CREDENTIALS, startLocalStack } from '../../../infra/local/local-stack.ts';
import { localServicesConfig } from '../../../infra/local/local-services.ts';
import { relayOf } from '../../../infra/local/relay.ts';
import { MX_DAILY_CADENCE_MS } from '../../../lib/aggregation/reconcile-turn.ts';
import { ReconcileRepository } from '../../../lib/aggregation/reconcile-repo.ts';
import { createDocumentClient } from '../../../lib/aws/dynamodb-client.ts';
import { ManualClock } from '../../../lib/clock.ts';
import { startWebhookReceiver } from '../../support/webhook-receiver.ts';

/**
 * Two of the reconcile's windows on (MX's day plus the 6 h interval): every user is due, and no push is counted
 * within a window before (the counters are real hours): MX's webhooks look off, so every turn reads MX.
 */
const PAST_WINDOW_MS = 2 * (MX_DAILY_CADENCE_MS + 6 * 3600_000) + 60_000;
let dispatchedAt = 0;
/** PAST_WINDOW_MS past now and past the last dispatch of this file: the reconcile walks forward in time only. */
const pastWindow = () => (dispatchedAt = Math.max(Date.now(), dispatchedAt) + PAST_WINDOW_MS);

/**
 * Aggregations MX runs without the relay asking, and the connection statuses MX announces, reach client apps: the
 * simulator aggregates a member on MX's side (its Nexus API called directly, as the Connect widget or MX's own
 * schedule would) and pushes its webhooks to the relay, which opens an `mx` job for the aggregation — one, however
 * often MX reports it — and announces a changed connection status once, after reading the member from MX.
 */
const { MX_WEBHOOK_USERNAME: username, MX_WEBHOOK_PASSWORD: password } = SIMULATOR_WEBHOOK_CREDENTIALS;
/** MX's webhook credentials, as the simulator sends them. */
const authorization = `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
const NEXUS = 'application/vnd.mx.nexus.v1+json';
const SSO = 'application/vnd.moneydesktop.sso.v3+json';

let stack: LocalStack;
let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;

beforeAll(async () => {
  receiver = await startWebhookReceiver();
  stack = await startLocalStack({ port: 0, simPort: 0, env: { LOG_LEVEL: 'ERROR' } });
  const created = await relay('POST', '/webhooks', { url: receiver.url });
  receiver.useSecret(created.body.webhook.secret);
  await sim('POST', '/_sim/webhooks', { url: `${stack.url}/mx/webhooks`, username, password });
}, 60_000);

afterAll(async () => {
  await receiver?.close();
  await stack?.stop();
});

async function call(url: string, method: string, headers: Record<string, string>, body?: unknown) {
  const response = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : undefined) as any };
}

const relay = (method: string, path: string, body?: unknown) =>
  call(`${stack.url}${path}`, method, { authorization: `Bearer ${stack.apiKey}`, 'content-type': 'application/json' }, body);

async function sim(method: string, path: string, body?: unknown) {
  const answer = await call(`${stack.simulatorUrl}${path}`, method, { 'content-type': 'application/json' }, body);
  expect(answer.status, `simulator ${method} ${path}: ${JSON.stringify(answer.body)}`).toBeLessThan(300);
  return answer.body;
}

/** MX aggregates the member on its own: its Nexus API called with a session of MX's user, not through the relay. */
async function mxAggregates(userId: string, memberGuid: string): Promise<void> {
  const token = await call(`${stack.simulatorUrl}/sim-client/users/${userId}/api_token.json`, 'GET', {
    'MD-API-KEY': 'sim-api-key',
    Accept: SSO,
  });
  const session = await call(
    `${stack.simulatorUrl}/sessions`,
    'POST',
    {
      'MD-API-TOKEN': token.body.api_token.token,
      Accept: NEXUS,
      'Content-Type': NEXUS,
    },
    { session: { skip_aggregation: true } },
  );
  const started = await call(`${stack.simulatorUrl}/members/${memberGuid}/aggregate`, 'GET', {
    'MD-SESSION-TOKEN': session.body.session.token,
    Accept: NEXUS,
  });
  expect(started.status).toBe(200);
}

/** A user whose member the relay has followed once (a refresh): the relay knows the member and its user. */
async function knownMember() {
  const userId = `mx-started-${randomUUID().slice(0, 8)}`;
  const { member } = await sim('POST', '/_sim/members', {
    user_id: userId,
    aggregation: { duration_ms: 300, final_status: 'CONNECTED' },
  });
  const refreshed = await relay('POST', `/users/${userId}/members/${member.guid}/refresh`, {});
  expect(refreshed.status).toBe(202);
  await receiver.waitFor((event) => event.type === 'aggregation.succeeded' && event.data.job.id === refreshed.body.job.id);
  return { userId, memberGuid: member.guid as string };
}

describe('a refresh inside MX’s throttle window', () => {
  it('ends succeeded with mx_aggregated: false — MX answered without aggregating', async () => {
    await sim('POST', '/_sim/settings', { throttle_window_minutes: 180 });
    try {
      const { userId, memberGuid } = await knownMember();
      const refreshed = await relay('POST', `/users/${userId}/members/${memberGuid}/refresh`, {});
      expect(refreshed.status).toBe(202);
      const [ended] = await receiver.waitFor(
        (event) => event.data.job?.id === refreshed.body.job.id && event.type !== 'aggregation.started',
      );
      expect(ended!.type).toBe('aggregation.succeeded');
      expect(ended!.data.job.mx_aggregated).toBe(false);
    } finally {
      await sim('POST', '/_sim/settings', {});
    }
  }, 30_000);

  it('while a refresh MX did aggregate says mx_aggregated: true', async () => {
    const { userId, memberGuid } = await knownMember();
    const refreshed = await relay('POST', `/users/${userId}/members/${memberGuid}/refresh`, {});
    const [ended] = await receiver.waitFor(
      (event) => event.data.job?.id === refreshed.body.job.id && event.type !== 'aggregation.started',
    );
    expect(ended!.data.job.mx_aggregated).toBe(true);
  }, 30_000);
});

describe('without MX’s webhooks: the reconcile', () => {
  it('finds the aggregation MX ran (an mx job) and the status MX changed, on the dispatcher’s schedule', async () => {
    await sim('POST', '/_sim/webhooks', {});
    try {
      const { userId, memberGuid } = await knownMember();
      // The stack's dispatcher runs on the system clock, hours before this user is due: a dispatcher of the same
      // tables, on a clock two of the reconcile's windows on (webhooks look off), sends the user.
      const clock = new ManualClock(Date.now());
      const { dispatcher } = relayOf(localServicesConfig(stack.engines, stack.simulatorUrl!), { clock }).reconcileDispatch;
      await sim('POST', `/_sim/members/${memberGuid}/background_aggregation`, {});
      await waitUntil(async () => (await sim('GET', `/_sim/members/${memberGuid}`)).member.is_being_aggregated === false);

      clock.set(pastWindow());
      expect((await dispatcher.dispatch()).sent).toBeGreaterThanOrEqual(1);
      const [ended] = await receiver.waitFor(
        (event) =>
          event.type === 'aggregation.succeeded' && event.data.job?.user_id === userId && event.data.job?.trigger === 'mx',
      );
      expect(ended!.data.job).toMatchObject({ member_guid: memberGuid, mx_aggregated: true });
      // Dispatched again before its next turn: not sent twice.
      expect((await dispatcher.dispatch()).sent).toBe(0);

      await sim('POST', `/_sim/members/${memberGuid}/connection_status`, { connection_status: 'LOCKED' });
      clock.set(pastWindow());
      expect((await dispatcher.dispatch()).sent).toBeGreaterThanOrEqual(1);
      const [changed] = await receiver.waitFor(
        (event) =>
          event.type === 'member.connection_status_changed' &&
          (event.data as { member_guid?: string }).member_guid === memberGuid,
      );
      expect(changed!.data).toMatchObject({
        connection_status: 'LOCKED',
        previous_connection_status: 'CONNECTED',
        action_required: true,
      });
      expect((await jobsOf(userId)).map((job) => job.trigger).sort()).toEqual(['mx', 'refresh']);
    } finally {
      await sim('POST', '/_sim/webhooks', { url: `${stack.url}/mx/webhooks`, username, password });
    }
  }, 30_000);

  it('finds a new user’s first member, connected through MX’s widget with nothing else from the app', async () => {
    await sim('POST', '/_sim/webhooks', {});
    try {
      const userId = `mx-started-${randomUUID().slice(0, 8)}`;
      // The app's one call: a widget URL (the user made at MX, and put on the reconcile's schedule).
      const widget = { widget_type: 'connect_widget', use_cases: ['PFM'] };
      expect((await relay('POST', `/users/${userId}/widget_urls`, widget)).status).toBe(201);
      const { member } = await sim('POST', '/_sim/members', {
        user_id: userId,
        aggregation: { duration_ms: 200, final_status: 'CONNECTED' },
      });
      await sim('POST', `/_sim/members/${member.guid}/background_aggregation`, {});
      await waitUntil(async () => (await sim('GET', `/_sim/members/${member.guid}`)).member.is_being_aggregated === false);

      const clock = new ManualClock(pastWindow());
      const { dispatcher } = relayOf(localServicesConfig(stack.engines, stack.simulatorUrl!), { clock }).reconcileDispatch;
      expect((await dispatcher.dispatch()).sent).toBeGreaterThanOrEqual(1);
      const [ended] = await receiver.waitFor(
        (event) => event.type === 'aggregation.succeeded' && event.data.job?.user_id === userId,
      );
      expect(ended!.data.job).toMatchObject({ member_guid: member.guid, trigger: 'mx', mx_aggregated: true });
    } finally {
      await sim('POST', '/_sim/webhooks', { url: `${stack.url}/mx/webhooks`, username, password });
    }
  }, 30_000);
});

const jobsOf = async (userId: string) => (await relay('GET', `/users/${userId}/jobs`)).body.jobs as any[];

describe('aggregations MX starts on its own', () => {
  it('become a job with trigger mx, its end announced once; MX reporting it 100 times more opens no other', async () => {
    const { userId, memberGuid } = await knownMember();
    await mxAggregates(userId, memberGuid);
    const [succeeded] = await receiver.waitFor(
      (event) => event.type === 'aggregation.succeeded' && event.data.job.user_id === userId && event.data.job.trigger === 'mx',
    );
    expect(succeeded!.verified).toBe(true);
    expect(succeeded!.data.job).toMatchObject({ member_guid: memberGuid, mx_aggregated: true });
    // MX had finished when it reported the aggregation: its end, without a start announced after it.
    expect(receiver.events.filter((event) => event.data.job?.id === succeeded!.data.job.id).map((event) => event.type)).toEqual([
      'aggregation.succeeded',
    ]);

    // MX resends, late and twice: the same aggregation, reported again, is known.
    const { attempts } = await sim('GET', '/_sim/webhooks');
    const pushed = attempts.filter(
      (a: { type: string; member_guid: string }) => a.type === 'AGGREGATION' && a.member_guid === memberGuid,
    );
    expect(pushed.length).toBeGreaterThan(0);
    const body = {
      type: 'AGGREGATION',
      action: 'member_data_updated',
      member_guid: memberGuid,
      user_id: userId,
      is_background: false,
    };
    const reads = await mxReads(memberGuid);
    const answers = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        call(
          `${stack.url}/mx/webhooks`,
          'POST',
          { authorization, 'content-type': 'application/json' },
          { ...body, job_guid: `JOB-${i}` },
        ),
      ),
    );
    expect(answers.every((answer) => answer.status === 204)).toBe(true);
    // Wait for the hints to be read (one MX read for them all), then count: the refresh's job and the one mx job.
    await waitUntil(async () => (await mxReads(memberGuid)) > reads);
    expect((await jobsOf(userId)).map((job) => job.trigger).sort()).toEqual(['mx', 'refresh']);
  }, 60_000);

  it('a refresh the relay started is not reported again as MX’s when its webhook comes late', async () => {
    const { userId, memberGuid } = await knownMember();
    const body = { type: 'AGGREGATION', action: 'member_data_updated', member_guid: memberGuid, user_id: userId };
    const reads = await mxReads(memberGuid);
    expect(
      (await call(`${stack.url}/mx/webhooks`, 'POST', { authorization, 'content-type': 'application/json' }, body)).status,
    ).toBe(204);
    await waitUntil(async () => (await mxReads(memberGuid)) > reads);
    expect((await jobsOf(userId)).map((job) => job.trigger)).toEqual(['refresh']);
  }, 30_000);
});

describe('connection statuses MX announces', () => {
  it('one member.connection_status_changed when MX expires the credentials (MX names the user by its guid only)', async () => {
    const { userId, memberGuid } = await knownMember();
    await sim('POST', `/_sim/members/${memberGuid}/connection_status`, { connection_status: 'EXPIRED' });
    const [changed] = await receiver.waitFor(
      (event) =>
        event.type === 'member.connection_status_changed' && (event.data as { member_guid?: string }).member_guid === memberGuid,
    );
    expect(changed!.verified).toBe(true);
    expect(changed!.data).toEqual({
      user_id: userId,
      member_guid: memberGuid,
      connection_status: 'EXPIRED',
      previous_connection_status: 'CONNECTED',
      action_required: true,
      reconnect: { widget_type: 'connect_widget', current_member_guid: memberGuid },
    });
    // The webhook MX sent names the user by its guid only.
    const { attempts } = await sim('GET', '/_sim/webhooks');
    expect(
      attempts.some((a: { type: string; member_guid: string }) => a.type === 'CONNECTION_STATUS' && a.member_guid === memberGuid),
    ).toBe(true);
    // A CONNECTION_STATUS MX's read contradicts (the member is EXPIRED, as recorded) announces nothing more.
    const { user_guid } = await sim('GET', `/_sim/users/${userId}`);
    const contradicted = {
      type: 'CONNECTION_STATUS',
      action: 'CHANGED',
      connection_status: 'LOCKED',
      member_guid: memberGuid,
      user_guid,
    };
    const reads = await mxReads(memberGuid);
    await call(`${stack.url}/mx/webhooks`, 'POST', { authorization, 'content-type': 'application/json' }, contradicted);
    await waitUntil(async () => (await mxReads(memberGuid)) > reads);
    expect(
      receiver.events.filter(
        (event) =>
          event.type === 'member.connection_status_changed' &&
          (event.data as { member_guid?: string }).member_guid === memberGuid,
      ),
    ).toHaveLength(1);
  }, 30_000);

  it('a CONNECTION_STATUS for a member no job followed is placed by MX’s user guid, learnt by the reconcile', async () => {
    const userId = `mx-started-${randomUUID().slice(0, 8)}`;
    const widget = { widget_type: 'connect_widget', use_cases: ['PFM'] };
    expect((await relay('POST', `/users/${userId}/widget_urls`, widget)).status).toBe(201);
    const { member } = await sim('POST', '/_sim/members', { user_id: userId });
    // The user's first turn: the reconcile reads its members (the member's status is the baseline) and learns MX's
    // guid of the user.
    const config = localServicesConfig(stack.engines, stack.simulatorUrl!);
    const clock = new ManualClock(pastWindow());
    expect((await relayOf(config, { clock }).reconcileDispatch.dispatcher.dispatch()).sent).toBeGreaterThanOrEqual(1);
    const schedule = new ReconcileRepository({ client: createDocumentClient(config.aws), tableName: config.tableName });
    const { user_guid } = await sim('GET', `/_sim/users/${userId}`);
    await waitUntil(async () => (await schedule.usersOfMxUser(user_guid)).join() === userId);

    await sim('POST', `/_sim/members/${member.guid}/connection_status`, { connection_status: 'LOCKED' });
    const [changed] = await receiver.waitFor(
      (event) =>
        event.type === 'member.connection_status_changed' && (event.data as { member_guid?: string }).member_guid === member.guid,
    );
    expect(changed!.data).toMatchObject({ user_id: userId, connection_status: 'LOCKED', action_required: true });
    expect(await jobsOf(userId)).toEqual([]);

    // A second member, connected at MX and never seen by the relay, first met through MX's CONNECTION_STATUS in a
    // status that needs the user: announced once (from no previous status), however often MX repeats it.
    const { member: second } = await sim('POST', '/_sim/members', { user_id: userId });
    await sim('POST', `/_sim/members/${second.guid}/connection_status`, { connection_status: 'EXPIRED' });
    const isSecond = (event: { type: string; data: unknown }) =>
      event.type === 'member.connection_status_changed' && (event.data as { member_guid?: string }).member_guid === second.guid;
    const [first] = await receiver.waitFor(isSecond);
    expect(first!.data).toMatchObject({ user_id: userId, connection_status: 'EXPIRED', previous_connection_status: null });
    const repeat = {
      type: 'CONNECTION_STATUS',
      action: 'CHANGED',
      connection_status: 'EXPIRED',
      member_guid: second.guid,
      user_guid,
    };
    // Five times (each body a little different: a body sent again within MX's retry horizon does nothing), read once.
    const reads = await mxReads(second.guid);
    for (let time = 0; time < 5; time++) {
      const again = { ...repeat, connection_status_message: `again ${time}` };
      await call(`${stack.url}/mx/webhooks`, 'POST', { authorization, 'content-type': 'application/json' }, again);
    }
    await waitUntil(async () => (await mxReads(second.guid)) > reads);
    expect(receiver.events.filter(isSecond)).toHaveLength(1);
  }, 30_000);

  it('a CONNECTION_STATUS for a member the relay has never followed is counted, not an error to MX', async () => {
    const body = {
      type: 'CONNECTION_STATUS',
      action: 'CHANGED',
      connection_status: 'LOCKED',
      member_guid: 'MBR-unknown',
      user_guid: 'USR-unknown',
    };
    expect(
      (await call(`${stack.url}/mx/webhooks`, 'POST', { authorization, 'content-type': 'application/json' }, body)).status,
    ).toBe(204);
  });

  it('the members needing their user are listed across users (GET /members?state=needs_user) until they no longer do', async () => {
    const expired = await knownMember();
    const locked = await knownMember();
    const changedTo = (member: { memberGuid: string }, status: string) =>
      receiver.waitFor(
        (event) =>
          event.type === 'member.connection_status_changed' &&
          (event.data as { member_guid?: string; connection_status?: string }).member_guid === member.memberGuid &&
          (event.data as { connection_status?: string }).connection_status === status,
      );
    await sim('POST', `/_sim/members/${expired.memberGuid}/connection_status`, { connection_status: 'EXPIRED' });
    await changedTo(expired, 'EXPIRED');
    await sim('POST', `/_sim/members/${locked.memberGuid}/connection_status`, { connection_status: 'LOCKED' });
    await changedTo(locked, 'LOCKED');
    const needing = async () =>
      (
        (await relay('GET', '/members?state=needs_user&limit=100')).body.members as {
          member_guid: string;
          needs_user_since: string;
        }[]
      ).filter((m) => [expired.memberGuid, locked.memberGuid].includes(m.member_guid));
    const listed = await needing();
    expect(listed).toEqual([
      {
        user_id: locked.userId,
        member_guid: locked.memberGuid,
        connection_status: 'LOCKED',
        needs_user_since: expect.stringMatching(/Z$/),
        reconnect: { widget_type: 'connect_widget', current_member_guid: locked.memberGuid },
      },
      expect.objectContaining({ user_id: expired.userId, member_guid: expired.memberGuid, connection_status: 'EXPIRED' }),
    ]);
    // Another status that needs the user keeps the member listed since the first.
    await sim('POST', `/_sim/members/${locked.memberGuid}/connection_status`, { connection_status: 'EXPIRED' });
    await changedTo(locked, 'EXPIRED');
    expect((await needing())[0]).toMatchObject({
      member_guid: locked.memberGuid,
      connection_status: 'EXPIRED',
      needs_user_since: listed[0]!.needs_user_since,
    });
    // The user reconnects one (MX pushes nothing for a healed status: the next refresh reads it); the other is deleted
    // through the relay: neither needs anyone any more.
    await sim('POST', `/_sim/members/${expired.memberGuid}/connection_status`, { connection_status: 'CONNECTED' });
    expect((await relay('POST', `/users/${expired.userId}/members/${expired.memberGuid}/refresh`, {})).status).toBe(202);
    await changedTo(expired, 'CONNECTED');
    expect((await relay('DELETE', `/users/${locked.userId}/members/${locked.memberGuid}`)).status).toBe(204);
    expect(await needing()).toEqual([]);
    const bad = await relay('GET', '/members?state=everything');
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ code: 'validation_failed', field: 'state' });
  }, 40_000);
});

/** The simulator's count of member reads (`GET /members/{guid}`) of this member: how the relay's reads are seen. */
/**
 * MX's reads that can show the member: its own, and every list of members (MX's webhooks are confirmed by one list of
 * the user's members; the list is not counted per member).
 */
async function mxReads(memberGuid: string): Promise<number> {
  const [stats, { calls }] = await Promise.all([sim('GET', '/_sim/stats/members'), sim('GET', '/_sim/stats')]);
  return ((stats.members[memberGuid]?.['GET /members/{member_guid}'] ?? 0) as number) + ((calls['GET /members'] ?? 0) as number);
}

async function waitUntil(condition: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
