import { describe, expect, it } from 'vitest';
import { NEXUS_MEDIA_TYPE, SKIP_AGGREGATION, startSimHarness } from './sim-harness.ts';

const MINUTE = 60_000;
const SESSION_INVALID = { error: { code: 4011, message: 'Session expired or invalid.' } };

describe('mx-sim SSO and sessions', () => {
  it('SSO api token → session → read member', async () => {
    const { sim, putMember, nexus } = await startSimHarness();
    const created = await putMember({ user_id: 'user-1', member_guid: 'MBR-1' });

    const sso = await fetch(`${sim.url}/sim-client/users/user-1/api_token.json`, {
      headers: { 'MD-API-KEY': 'sim-api-key' },
    });
    expect(sso.status).toBe(200);
    const { api_token } = (await sso.json()) as { api_token: { token: string; expires_at: string } };
    expect(api_token.token).toEqual(expect.any(String));
    expect(api_token.expires_at).toBe('2026-01-01T00:10:00.000Z');

    const session = await fetch(`${sim.url}/sessions`, {
      method: 'POST',
      headers: { 'MD-API-TOKEN': api_token.token },
      body: SKIP_AGGREGATION,
    });
    expect(session.status).toBe(200);
    expect(session.headers.get('content-type')).toBe(NEXUS_MEDIA_TYPE);
    const body = (await session.json()) as { session: { token: string; user_guid: string } };
    expect(body.session.user_guid).toBe(created.user_guid);
    expect(body.session.token.length).toBeGreaterThanOrEqual(48);

    const read = await nexus('/members/MBR-1', body.session.token);
    expect(read.status).toBe(200);
    expect(read.headers.get('content-type')).toBe(NEXUS_MEDIA_TYPE);
    expect(await read.json()).toEqual({ member: created });
  });

  it("aggregates the user's members when a session opens without skip_aggregation, as MX documents; never with it", async () => {
    const { sim, putMember, nexus, stats } = await startSimHarness();
    await putMember({ user_id: 'user-1', member_guid: 'MBR-1' });
    await putMember({ user_id: 'user-1', member_guid: 'MBR-2' });
    const open = async (body: string | undefined) => {
      const sso = await fetch(`${sim.url}/sim-client/users/user-1/api_token.json`, { headers: { 'MD-API-KEY': 'sim-api-key' } });
      const { api_token } = (await sso.json()) as { api_token: { token: string } };
      const session = await fetch(`${sim.url}/sessions`, { method: 'POST', headers: { 'MD-API-TOKEN': api_token.token }, body });
      return ((await session.json()) as { session: { token: string } }).session.token;
    };
    const aggregating = async (token: string) =>
      Promise.all(
        ['MBR-1', 'MBR-2'].map(
          async (guid) =>
            ((await (await nexus(`/members/${guid}`, token)).json()) as { member: { is_being_aggregated: boolean } }).member
              .is_being_aggregated,
        ),
      );

    expect(await aggregating(await open(SKIP_AGGREGATION))).toEqual([false, false]);
    expect((await stats()).aggregations_started_by_sessions).toBe(0);

    expect(await aggregating(await open('{}'))).toEqual([true, true]);
    expect((await stats()).aggregations_started_by_sessions).toBe(2);
  });

  it('refuses a wrong API key (401), an unknown client (404) and an unknown user (404)', async () => {
    const { sim, putMember } = await startSimHarness();
    await putMember({ user_id: 'user-1' });
    const sso = (client: string, user: string, key: string) =>
      fetch(`${sim.url}/${client}/users/${user}/api_token`, { headers: { 'MD-API-KEY': key } });

    const wrongKey = await sso('sim-client', 'user-1', 'nope');
    expect(wrongKey.status).toBe(401);
    expect(await wrongKey.json()).toEqual({ error: { code: 4010, message: expect.any(String) } });
    expect((await sso('other-client', 'user-1', 'sim-api-key')).status).toBe(404);
    const unknownUser = await sso('sim-client', 'nobody', 'sim-api-key');
    expect(unknownUser.status).toBe(404);
    expect(await unknownUser.json()).toEqual({ error: { code: 4040, message: expect.any(String) } });
  });

  it('accepts an API token once, and not after 10 minutes', async () => {
    const { sim, clock, putMember } = await startSimHarness();
    await putMember({ user_id: 'user-1' });
    const apiToken = async () => {
      const response = await fetch(`${sim.url}/sim-client/users/user-1/api_token`, {
        headers: { 'MD-API-KEY': 'sim-api-key' },
      });
      return ((await response.json()) as { api_token: { token: string } }).api_token.token;
    };
    const openSession = (token: string) =>
      fetch(`${sim.url}/sessions`, { method: 'POST', headers: { 'MD-API-TOKEN': token }, body: SKIP_AGGREGATION });

    const token = await apiToken();
    expect((await openSession(token)).status).toBe(200);
    expect((await openSession(token)).status).toBe(401);

    const stale = await apiToken();
    clock.advance(10 * MINUTE);
    expect((await openSession(stale)).status).toBe(401);
    expect((await openSession('made-up')).status).toBe(401);
    expect((await fetch(`${sim.url}/sessions`, { method: 'POST', body: '{}' })).status).toBe(401);
  });

  it('slides the 30-minute session expiry with every call', async () => {
    const { clock, putMember, openSession, nexus } = await startSimHarness();
    await putMember({ user_id: 'user-1', member_guid: 'MBR-1' });
    const token = await openSession('user-1');

    clock.advance(29 * MINUTE);
    expect((await nexus('/members/MBR-1', token)).status).toBe(200);
    clock.advance(29 * MINUTE);
    expect((await nexus('/members', token)).status).toBe(200);

    clock.advance(31 * MINUTE);
    const expired = await nexus('/members/MBR-1', token);
    expect(expired.status).toBe(401);
    expect(expired.headers.get('content-type')).toBe(NEXUS_MEDIA_TYPE);
    expect(await expired.json()).toEqual(SESSION_INVALID);
  });

  it('answers 401/4011 to a missing or unknown session token', async () => {
    const { sim, nexus } = await startSimHarness();
    const missing = await fetch(`${sim.url}/members`);
    expect(missing.status).toBe(401);
    expect(await missing.json()).toEqual(SESSION_INVALID);
    expect(await (await nexus('/members', 'not-a-session')).json()).toEqual(SESSION_INVALID);
  });

  it('expire_sessions ends the sessions that exist, once', async () => {
    const { putMember, openSession, nexus, control } = await startSimHarness();
    await putMember({ user_id: 'user-1' });
    await putMember({ user_id: 'user-2' });
    const first = await openSession('user-1');
    const second = await openSession('user-2');

    expect((await control('/_sim/faults', { expire_sessions: true })).status).toBe(200);
    expect((await nexus('/members', first)).status).toBe(401);
    expect(await (await nexus('/members', second)).json()).toEqual(SESSION_INVALID);

    const fresh = await openSession('user-1');
    expect((await nexus('/members', fresh)).status).toBe(200);
    expect((await nexus('/members', fresh)).status).toBe(200);
  });

  it('answers 406 when Accept rules out the Nexus media type', async () => {
    const { putMember, openSession, nexus } = await startSimHarness();
    await putMember({ user_id: 'user-1' });
    const token = await openSession('user-1');

    const refused = await nexus('/members', token, { headers: { accept: 'application/xml' } });
    expect(refused.status).toBe(406);
    expect(await refused.json()).toEqual({ error: { code: 4060, message: expect.any(String) } });
    expect((await nexus('/members', token, { headers: { accept: '*/*' } })).status).toBe(200);
    expect((await nexus('/members', token, { headers: { accept: `text/html, ${NEXUS_MEDIA_TYPE};q=0.9` } })).status).toBe(200);
  });
});
