import { describe, expect, it } from 'vitest';
import { startOwnSimulator, startSimHarness, startWebhookEndpoint as startEndpoint } from './sim-harness.ts';

describe('mx-sim webhooks', () => {
  it('POST /_sim/webhooks turns pushing on and off; GET shows it without the password', async () => {
    const { control } = await startSimHarness();
    const on = await control('/_sim/webhooks', { url: 'http://127.0.0.1:9/mx/webhooks', username: 'u', password: 'secret-pw' });
    expect(on.status).toBe(200);
    expect(await on.json()).toEqual({ webhooks: { url: 'http://127.0.0.1:9/mx/webhooks', username: 'u', mode: 'always' } });
    const shown = await control('/_sim/webhooks');
    expect(await shown.text()).not.toContain('secret-pw');

    for (const off of [{}, { url: null }]) {
      const response = await control('/_sim/webhooks', off);
      expect(await response.json()).toEqual({ webhooks: null });
    }
    expect(await (await control('/_sim/webhooks')).json()).toEqual({ webhooks: null, attempts: [] });
  });

  it('refuses a bad target with a 400 naming the field', async () => {
    const { control } = await startSimHarness();
    const response = await control('/_sim/webhooks', { url: 'mailto:mx@example.com', username: 'u', password: 'p' });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ error: { message: expect.stringContaining('url') } });
  });

  it('pushes AGGREGATION when a run ends CONNECTED and CONNECTION_STATUS for CHALLENGED, then REJECTED', async () => {
    const { sim, clock, control, putMember, openSession, nexus, stats } = await startSimHarness();
    const endpoint = await startEndpoint();
    await control('/_sim/webhooks', { url: endpoint.url, username: 'sim-webhooks', password: 'sim-webhook-password' });
    await putMember({ user_id: 'user-1', member_guid: 'MBR-plain', aggregation: { duration_ms: 5_000 } });
    await putMember({
      user_id: 'user-1',
      member_guid: 'MBR-mfa',
      aggregation: { duration_ms: 1_000, challenge: { label: 'Color?', answer: 'blue' } },
    });
    const token = await openSession('user-1');
    await nexus('/members/MBR-plain/aggregate', token);
    await nexus('/members/MBR-mfa/aggregate', token);

    clock.advance(1_000);
    await sim.deliverDueWebhooks();
    const { challenges } = (await (await nexus('/members/MBR-mfa/challenges', token)).json()) as {
      challenges: { guid: string }[];
    };
    await nexus('/members/MBR-mfa/resume', token, {
      method: 'PUT',
      body: JSON.stringify({ challenges: [{ guid: challenges[0]!.guid, value: 'red' }] }),
    });
    await sim.deliverDueWebhooks();
    clock.advance(4_000);
    await sim.deliverDueWebhooks();

    expect(endpoint.received.map(({ body }) => [body.member_guid, body.type, body.connection_status ?? body.action])).toEqual([
      ['MBR-mfa', 'CONNECTION_STATUS', 'CHALLENGED'],
      ['MBR-mfa', 'CONNECTION_STATUS', 'REJECTED'],
      ['MBR-plain', 'AGGREGATION', 'member_data_updated'],
    ]);
    const basic = `Basic ${Buffer.from('sim-webhooks:sim-webhook-password').toString('base64')}`;
    expect(endpoint.received.every(({ authorization }) => authorization === basic)).toBe(true);
    const { attempts } = (await (await control('/_sim/webhooks')).json()) as { attempts: { outcome: string }[] };
    expect(attempts.map((attempt) => attempt.outcome)).toEqual(['delivered', 'delivered', 'delivered']);
    // Pushes and control calls are not MX-side calls.
    expect(Object.keys((await stats()).calls).some((route) => route.includes('_sim'))).toBe(false);
  });

  it('pushes a TRANSACTIONS webhook for each transaction a run created, updated or deleted (posting: both)', async () => {
    const { sim, clock, control, putMember, openSession, nexus } = await startSimHarness();
    const endpoint = await startEndpoint();
    await control('/_sim/webhooks', { url: endpoint.url, username: 'sim-webhooks', password: 'sim-webhook-password' });
    const member = await putMember({
      user_id: 'user-tx',
      transactions: 0,
      aggregation: { duration_ms: 1_000, transactions: { add: 2, update: 0, post: 0 } },
    });
    const token = await openSession('user-tx');
    await nexus(`/members/${member.guid}/aggregate`, token);
    clock.advance(1_000);
    await sim.deliverDueWebhooks();
    await sim.deliverDueWebhooks();
    await putMember({
      user_id: 'user-tx',
      member_guid: member.guid,
      aggregation: { duration_ms: 1_000, transactions: { add: 0, update: 1, post: 1 } },
    });
    clock.advance(60_000);
    await nexus(`/members/${member.guid}/aggregate`, token);
    clock.advance(1_000);
    await sim.deliverDueWebhooks();
    await sim.deliverDueWebhooks();

    const transactions = endpoint.received.filter(({ body }) => body.transaction !== undefined).map(({ body }) => body);
    expect(transactions.map((body) => body.action)).toEqual(['created', 'created', 'deleted', 'created', 'updated']);
    const [first, second, deleted, posted, updated] = transactions.map((body) => body.transaction as Record<string, unknown>);
    expect(first).toMatchObject({
      status: 'PENDING',
      member_guid: member.guid,
      user_id: 'user-tx',
      created_at: expect.any(Number),
    });
    expect([first!.guid, second!.guid]).toContain(deleted!.guid);
    expect(posted).toMatchObject({ status: 'POSTED', amount: deleted!.amount, account_guid: deleted!.account_guid });
    expect(posted!.guid).not.toBe(deleted!.guid);
    expect([first!.guid, second!.guid]).toContain(updated!.guid);
    // Each run's AGGREGATION webhook too, counting what it created and updated.
    const aggregation = endpoint.received.filter(({ body }) => body.type === 'AGGREGATION').map(({ body }) => body);
    expect(aggregation.map((body) => [body.transactions_created_count, body.transactions_updated_count])).toEqual([
      [2, 0],
      [1, 1],
    ]);
  });

  it('with the system clock, pushes on a real timer at the end of the run', async () => {
    const sim = await startOwnSimulator({});
    const endpoint = await startEndpoint();
    const post = (path: string, body: unknown) => fetch(`${sim.url}${path}`, { method: 'POST', body: JSON.stringify(body) });
    await post('/_sim/webhooks', { url: endpoint.url, username: 'u', password: 'p' });
    await post('/_sim/members', { user_id: 'user-1', member_guid: 'MBR-1', aggregation: { duration_ms: 200 } });
    const sso = await fetch(`${sim.url}/sim-client/users/user-1/api_token`, { headers: { 'MD-API-KEY': 'sim-api-key' } });
    const { api_token } = (await sso.json()) as { api_token: { token: string } };
    const session = await fetch(`${sim.url}/sessions`, {
      method: 'POST',
      headers: { 'MD-API-TOKEN': api_token.token },
      // Without it the session would start an aggregation of its own (as MX documents), racing the one under test.
      body: JSON.stringify({ session: { skip_aggregation: true } }),
    });
    const { session: opened } = (await session.json()) as { session: { token: string } };
    const startedAt = Date.now();
    await fetch(`${sim.url}/members/MBR-1/aggregate`, { headers: { 'MD-SESSION-TOKEN': opened.token } });

    await expect.poll(() => endpoint.received.length, { timeout: 2_000, interval: 10 }).toBe(1);
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(200);
    expect(endpoint.received[0]!.body).toMatchObject({ type: 'AGGREGATION', member_guid: 'MBR-1' });
  });
});
