import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../lib/clock.ts';
import { connectionStatus } from '../../connection-statuses.ts';
import { type SimHarness, startOwnSimulator, startSimHarness, startWebhookEndpoint } from './sim-harness.ts';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

type Member = Record<string, unknown>;

const memberOf = async (response: Response) => ((await response.json()) as { member: Member }).member;

/**
 * A harness pushing to a fresh endpoint, with user-1's member MBR-1 (1 s runs). `mx` calls Nexus as user-1 in a new
 * session (sessions end 30 minutes after their last call, and these tests move the clock by hours).
 */
async function pushingHarness() {
  const harness = await startSimHarness();
  const endpoint = await startWebhookEndpoint();
  await harness.control('/_sim/webhooks', { url: endpoint.url, username: 'sim-webhooks', password: 'sim-webhook-password' });
  await harness.putMember({ user_id: 'user-1', member_guid: 'MBR-1', aggregation: { duration_ms: 1_000 } });
  const mx = async (path: string, init?: RequestInit) => harness.nexus(path, await harness.openSession('user-1'), init);
  const nexusMember = async (path = '/members/MBR-1') => memberOf(await mx(path));
  return { ...harness, endpoint, mx, nexusMember };
}

/** Runs the member's aggregation through Nexus to its CONNECTED end, pushing its webhook. */
async function aggregated(harness: SimHarness & { mx: (path: string) => Promise<Response> }, guid = 'MBR-1') {
  await harness.mx(`/members/${guid}/aggregate`);
  harness.clock.advance(1_000);
  await harness.sim.deliverDueWebhooks();
}

const bodies = (endpoint: { received: { body: Record<string, unknown> }[] }, guid = 'MBR-1') =>
  endpoint.received.map(({ body }) => body).filter((body) => body.member_guid === guid);

describe('POST /_sim/members/{member_guid}/background_aggregation', () => {
  it('starts a run MX started: a new job, the script’s transactions, AGGREGATION with is_background true', async () => {
    const harness = await pushingHarness();
    const { clock, control, putMember, stats, userSummary, sim, endpoint, nexusMember } = harness;
    await putMember({
      user_id: 'user-1',
      member_guid: 'MBR-1',
      transactions: 0,
      aggregation: { duration_ms: 1_000, transactions: { add: 2, update: 0 } },
    });
    await control('/_sim/reset', {});

    const response = await control('/_sim/members/MBR-1/background_aggregation', {});
    expect(response.status).toBe(200);
    const started = await memberOf(response);
    expect(started).toMatchObject({
      guid: 'MBR-1',
      connection_status: 'RECONNECTED',
      is_being_aggregated: true,
      aggregated_at: new Date(clock.now()).toISOString(),
      most_recent_job_guid: expect.stringMatching(/^JOB-/),
    });
    // MX's own doing: no MX-side call is counted.
    expect(await stats()).toEqual({ calls: {}, paths: [], aggregations_started_by_sessions: 0 });

    clock.advance(1_000);
    await sim.deliverDueWebhooks();
    expect(bodies(endpoint)).toEqual([
      expect.objectContaining({
        type: 'AGGREGATION',
        is_background: true,
        job_guid: started.most_recent_job_guid,
        transactions_created_count: 2,
        user_id: 'user-1',
      }),
    ]);
    expect(await nexusMember()).toMatchObject({
      connection_status: 'CONNECTED',
      successfully_aggregated_at: new Date(clock.now()).toISOString(),
    });
    expect((await userSummary('user-1')).transactions.count).toBe(2);
  });

  it('keeps the changes of the run it replaces, though no MX call came between', async () => {
    const harness = await pushingHarness();
    await harness.putMember({
      user_id: 'user-1',
      member_guid: 'MBR-1',
      transactions: 0,
      aggregation: { duration_ms: 1_000, transactions: { add: 3, update: 0 } },
    });
    await aggregated(harness);
    expect((await harness.control('/_sim/members/MBR-1/background_aggregation', {})).status).toBe(200);
    harness.clock.advance(1_000);
    expect((await harness.userSummary('user-1')).transactions.count).toBe(6);
  });

  it('on the system clock, pushes its AGGREGATION webhook when the run ends', async () => {
    const sim = await startOwnSimulator({});
    const endpoint = await startWebhookEndpoint();
    const post = (path: string, body: unknown) => fetch(`${sim.url}${path}`, { method: 'POST', body: JSON.stringify(body) });
    await post('/_sim/webhooks', { url: endpoint.url, username: 'u', password: 'p' });
    await post('/_sim/members', { user_id: 'user-1', member_guid: 'MBR-1', aggregation: { duration_ms: 100 } });
    expect((await post('/_sim/members/MBR-1/background_aggregation', {})).status).toBe(200);
    await expect.poll(() => endpoint.received.length, { timeout: 2_000, interval: 10 }).toBe(1);
    expect(endpoint.received[0]!.body).toMatchObject({ type: 'AGGREGATION', is_background: true, member_guid: 'MBR-1' });
  });

  it('a run an aggregate call started keeps is_background false', async () => {
    const harness = await pushingHarness();
    await aggregated(harness);
    await harness.control('/_sim/members/MBR-1/background_aggregation', {});
    harness.clock.advance(1_000);
    await harness.sim.deliverDueWebhooks();
    expect(bodies(harness.endpoint).map((body) => [body.type, body.is_background])).toEqual([
      ['AGGREGATION', false],
      ['AGGREGATION', true],
    ]);
  });

  it('answers 409 while the member aggregates (either way started) or when MX may not aggregate it, 404 unknown', async () => {
    const { control, mx, putMember, clock } = await pushingHarness();
    await mx('/members/MBR-1/aggregate');
    const running = await control('/_sim/members/MBR-1/background_aggregation', {});
    expect(running.status).toBe(409);
    expect(await running.json()).toEqual({ error: { message: expect.stringContaining('being aggregated') } });

    clock.advance(1_000);
    expect((await control('/_sim/members/MBR-1/background_aggregation', {})).status).toBe(200);
    expect((await control('/_sim/members/MBR-1/background_aggregation', {})).status).toBe(409);

    await putMember({ user_id: 'user-1', member_guid: 'MBR-mm', use_cases: ['MONEY_MOVEMENT'] });
    const moneyMovement = await control('/_sim/members/MBR-mm/background_aggregation', {});
    expect(moneyMovement.status).toBe(409);
    expect(await moneyMovement.json()).toEqual({ error: { message: expect.stringContaining('PFM') } });

    const unknown = await control('/_sim/members/MBR-nope/background_aggregation', {});
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toEqual({ error: { message: 'member MBR-nope does not exist' } });
  });
});

describe('/_sim/settings', () => {
  it('shows both settings off by default; POST sets the ones named, {} restores the start-up ones', async () => {
    const { control } = await startSimHarness();
    const off = { settings: { background_aggregation_minutes: 0, throttle_window_minutes: 0 } };
    expect(await (await control('/_sim/settings')).json()).toEqual(off);

    const set = await control('/_sim/settings', { background_aggregation_minutes: 60, throttle_window_minutes: 180 });
    expect(set.status).toBe(200);
    const on = { settings: { background_aggregation_minutes: 60, throttle_window_minutes: 180 } };
    expect(await set.json()).toEqual(on);
    expect(await (await control('/_sim/settings')).json()).toEqual(on);

    expect(await (await control('/_sim/settings', { throttle_window_minutes: 5 })).json()).toEqual({
      settings: { background_aggregation_minutes: 0, throttle_window_minutes: 5 },
    });
    expect(await (await control('/_sim/settings', {})).json()).toEqual(off);
  });

  it('starts from the options given, which {} restores', async () => {
    const sim = await startOwnSimulator({ backgroundAggregationMinutes: 1440, throttleWindowMinutes: 180 });
    const post = (body: unknown) => fetch(`${sim.url}/_sim/settings`, { method: 'POST', body: JSON.stringify(body) });
    const started = { settings: { background_aggregation_minutes: 1440, throttle_window_minutes: 180 } };
    expect(await (await fetch(`${sim.url}/_sim/settings`)).json()).toEqual(started);
    await post({ background_aggregation_minutes: 0, throttle_window_minutes: 0 });
    expect(await (await post({})).json()).toEqual(started);
  });

  it('options take effect from the start: rounds every interval', async () => {
    const clock = new ManualClock();
    const sim = await startOwnSimulator({ clock, backgroundAggregationMinutes: 60 });
    await fetch(`${sim.url}/_sim/members`, { method: 'POST', body: JSON.stringify({ user_id: 'u', member_guid: 'MBR-1' }) });
    clock.advance(60 * MINUTE);
    expect(sim.runDueBackgroundAggregations()).toContain('MBR-1');
  });

  it.each([
    [{ background_aggregation_minutes: -1 }, 'background_aggregation_minutes'],
    [{ throttle_window_minutes: 'soon' }, 'throttle_window_minutes'],
    [{ background_minutes: 5 }, 'background_minutes'],
  ])('refuses %j with a 400 naming %s', async (body, field) => {
    const { control } = await startSimHarness();
    const response = await control('/_sim/settings', body);
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ error: { message: expect.stringContaining(field) } });
  });
});

describe('background aggregation on a schedule', () => {
  it('under a ManualClock, runDueBackgroundAggregations starts a run for each member due, marked background', async () => {
    const harness = await pushingHarness();
    const { clock, control, putMember, sim, endpoint, mx, stats } = harness;
    await putMember({ user_id: 'user-1', member_guid: 'MBR-mm', use_cases: ['MONEY_MOVEMENT'] });
    await putMember({ user_id: 'user-1', member_guid: 'MBR-expired' });
    await putMember({ user_id: 'user-1', member_guid: 'MBR-recent', aggregation: { duration_ms: 1_000 } });
    await control('/_sim/members/MBR-expired/connection_status', { connection_status: 'EXPIRED' });
    await control('/_sim/settings', { background_aggregation_minutes: 60 });

    clock.advance(30 * MINUTE);
    expect((await mx('/members/MBR-recent/aggregate')).status).toBe(200);
    clock.advance(30 * MINUTE - 1);
    expect(sim.runDueBackgroundAggregations()).toEqual([]);
    await control('/_sim/reset', {});

    clock.advance(1);
    const started = sim.runDueBackgroundAggregations();
    expect(started).toContain('MBR-1');
    expect(started).not.toContain('MBR-mm');
    expect(started).not.toContain('MBR-expired');
    expect(started).not.toContain('MBR-recent');
    expect(await memberOf(await control('/_sim/members/MBR-1'))).toMatchObject({
      is_being_aggregated: true,
      aggregated_at: new Date(clock.now()).toISOString(),
    });
    expect(await stats()).toEqual({ calls: {}, paths: [], aggregations_started_by_sessions: 0 });

    clock.advance(1_000);
    await sim.deliverDueWebhooks();
    expect(bodies(endpoint)).toEqual([expect.objectContaining({ type: 'AGGREGATION', is_background: true })]);
  });

  it('on the system clock, rounds run on their own timer (minutes may be fractions)', async () => {
    const sim = await startOwnSimulator({});
    const endpoint = await startWebhookEndpoint();
    const post = (path: string, body: unknown) => fetch(`${sim.url}${path}`, { method: 'POST', body: JSON.stringify(body) });
    await post('/_sim/webhooks', { url: endpoint.url, username: 'u', password: 'p' });
    await post('/_sim/members', { user_id: 'user-1', member_guid: 'MBR-1', aggregation: { duration_ms: 50 } });
    await post('/_sim/settings', { background_aggregation_minutes: 0.003 }); // 180 ms

    await expect.poll(() => bodies(endpoint).length, { timeout: 3_000, interval: 10 }).toBeGreaterThanOrEqual(1);
    expect(bodies(endpoint)[0]).toMatchObject({ type: 'AGGREGATION', is_background: true, member_guid: 'MBR-1' });
  });
});

describe('POST /_sim/members/{member_guid}/connection_status', () => {
  it('sets the status until the next run, aggregation times unchanged, and pushes MX’s CONNECTION_STATUS at once', async () => {
    const harness = await pushingHarness();
    const { clock, control, sim, endpoint, nexusMember, mx, stats } = harness;
    await aggregated(harness);
    const before = await nexusMember();
    await control('/_sim/reset', {});
    clock.advance(HOUR);

    const response = await control('/_sim/members/MBR-1/connection_status', { connection_status: 'EXPIRED' });
    expect(response.status).toBe(200);
    const { message } = connectionStatus('EXPIRED');
    const expired = { ...before, connection_status: 'EXPIRED', connection_status_id: 19, connection_status_message: message };
    expect(await memberOf(response)).toEqual(expired);
    expect(await stats()).toEqual({ calls: {}, paths: [], aggregations_started_by_sessions: 0 });
    await sim.deliverDueWebhooks();
    const user = await harness.userSummary('user-1');
    expect(bodies(endpoint).slice(1)).toEqual([
      {
        action: 'CHANGED',
        connection_status: 'EXPIRED',
        connection_status_id: 19,
        connection_status_message: message,
        member_guid: 'MBR-1',
        type: 'CONNECTION_STATUS',
        user_guid: user.user_guid,
      },
    ]);
    expect(bodies(endpoint)[1]).not.toHaveProperty('user_id');

    clock.advance(HOUR);
    expect(await nexusMember()).toEqual(expired);

    // The next run clears it.
    await mx('/members/MBR-1/refresh', { method: 'POST' });
    expect(await nexusMember()).toMatchObject({ connection_status: 'RECONNECTED', is_being_aggregated: true });
    clock.advance(1_000);
    expect(await nexusMember()).toMatchObject({ connection_status: 'CONNECTED', is_being_aggregated: false });
  });

  it('CONNECTED heals the member without a webhook', async () => {
    const harness = await pushingHarness();
    const { control, sim, endpoint } = harness;
    await aggregated(harness);
    await control('/_sim/members/MBR-1/connection_status', { connection_status: 'LOCKED' });
    const healed = await control('/_sim/members/MBR-1/connection_status', { connection_status: 'CONNECTED' });
    expect(await memberOf(healed)).toMatchObject({ connection_status: 'CONNECTED', connection_status_id: 6 });
    await sim.deliverDueWebhooks();
    expect(bodies(endpoint).map((body) => body.connection_status ?? body.type)).toEqual(['AGGREGATION', 'LOCKED']);
  });

  it('takes every end-user-actionable status and pushes each', async () => {
    const { control, sim, endpoint } = await pushingHarness();
    const statuses = ['CHALLENGED', 'DENIED', 'EXPIRED', 'IMPAIRED', 'IMPEDED', 'LOCKED', 'PREVENTED', 'REJECTED'];
    for (const status of statuses) {
      const response = await control('/_sim/members/MBR-1/connection_status', { connection_status: status });
      expect(await memberOf(response)).toMatchObject({ connection_status: status, is_being_aggregated: false });
      await sim.deliverDueWebhooks();
    }
    expect(bodies(endpoint).map((body) => body.connection_status)).toEqual(statuses);
  });

  it('answers 409 while the member aggregates, 400 for a status it does not set, 404 for an unknown member', async () => {
    const { control, mx, sim, endpoint } = await pushingHarness();
    await mx('/members/MBR-1/aggregate');
    const running = await control('/_sim/members/MBR-1/connection_status', { connection_status: 'DENIED' });
    expect(running.status).toBe(409);
    expect(await running.json()).toEqual({ error: { message: expect.stringContaining('being aggregated') } });

    for (const body of [{ connection_status: 'FAILED' }, { connection_status: 'FINISHED' }, {}, { status: 'DENIED' }]) {
      const refused = await control('/_sim/members/MBR-1/connection_status', body);
      expect(refused.status, JSON.stringify(body)).toBe(400);
      expect(await refused.json()).toEqual({ error: { message: expect.stringContaining('connection_status') } });
    }
    expect((await control('/_sim/members/MBR-nope/connection_status', { connection_status: 'DENIED' })).status).toBe(404);
    await sim.deliverDueWebhooks();
    expect(bodies(endpoint)).toEqual([]);
  });

  it('pushes nothing while pushing is off ({} to /_sim/webhooks)', async () => {
    const { control, sim, endpoint } = await pushingHarness();
    await control('/_sim/webhooks', {});
    await control('/_sim/members/MBR-1/connection_status', { connection_status: 'DENIED' });
    await sim.deliverDueWebhooks();
    expect(endpoint.received).toEqual([]);
    expect(await (await control('/_sim/webhooks')).json()).toEqual({ webhooks: null, attempts: [] });
  });

  it('on the system clock, pushes right away', async () => {
    const sim = await startOwnSimulator({});
    const endpoint = await startWebhookEndpoint();
    const post = (path: string, body: unknown) => fetch(`${sim.url}${path}`, { method: 'POST', body: JSON.stringify(body) });
    await post('/_sim/webhooks', { url: endpoint.url, username: 'u', password: 'p' });
    await post('/_sim/members', { user_id: 'user-1', member_guid: 'MBR-1' });
    const response = await post('/_sim/members/MBR-1/connection_status', { connection_status: 'IMPEDED' });
    expect(response.status).toBe(200);
    await expect.poll(() => endpoint.received.length, { timeout: 1_000, interval: 10 }).toBe(1);
    expect(endpoint.received[0]!.body).toMatchObject({ type: 'CONNECTION_STATUS', connection_status: 'IMPEDED' });
  });
});

describe('the throttle window', () => {
  it('is off by default: an aggregate call right after a success starts a new run', async () => {
    const harness = await pushingHarness();
    await aggregated(harness);
    const again = await harness.mx('/members/MBR-1/aggregate');
    expect(again.status).toBe(200);
    expect(await memberOf(again)).toMatchObject({ is_being_aggregated: true });
  });

  it('inside it, aggregate and refresh answer 202 with the member unchanged; from its end on, a new run', async () => {
    const harness = await pushingHarness();
    const { clock, control, mx, nexusMember, sim, endpoint } = harness;
    await control('/_sim/settings', { throttle_window_minutes: 180 });
    await aggregated(harness);
    const succeeded = await nexusMember();
    clock.advance(3 * HOUR - 1);

    for (const [path, method] of [
      ['/members/MBR-1/aggregate', 'GET'],
      ['/members/MBR-1/aggregate', 'POST'],
      ['/members/MBR-1/refresh', 'GET'],
      ['/members/MBR-1/refresh', 'POST'],
    ] as const) {
      const throttled = await mx(path, { method });
      expect(throttled.status, `${method} ${path}`).toBe(202);
      expect(await memberOf(throttled)).toEqual(succeeded);
    }
    clock.advance(1_000);
    await sim.deliverDueWebhooks();
    expect(bodies(endpoint)).toHaveLength(1);

    clock.set(Date.parse(String(succeeded.successfully_aggregated_at)) + 3 * HOUR);
    const fresh = await mx('/members/MBR-1/aggregate');
    expect(fresh.status).toBe(200);
    expect(await memberOf(fresh)).toMatchObject({
      is_being_aggregated: true,
      most_recent_job_guid: expect.not.stringMatching(String(succeeded.most_recent_job_guid)),
    });
  });
});
