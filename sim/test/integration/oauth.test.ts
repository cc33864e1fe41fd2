import { describe, expect, it } from 'vitest';
import { startSimHarness, startWebhookEndpoint } from './sim-harness.ts';
import { catalogueGuid } from '../../institutions.ts';

type Body = Record<string, any>;
const json = async (response: Response): Promise<Body> => (await response.json()) as Body;

async function oauthMember(extra: Record<string, unknown> = {}) {
  const harness = await startSimHarness();
  await harness.putMember({ user_id: 'user-1', member_guid: 'MBR-seed' });
  const token = await harness.openSession('user-1');
  const nexus = (path: string, init?: RequestInit) => harness.nexus(path, token, init);
  const created = await nexus('/members', {
    method: 'POST',
    body: JSON.stringify({
      member: { institution_guid: catalogueGuid('mx_bank_oauth'), is_oauth: true, use_cases: ['PFM'], ...extra },
    }),
  });
  return { ...harness, nexus, created };
}

/** The OAuth page's decision, as its button posts it; answers where the browser is sent (or the page). */
const decide = (uri: string, decision: 'authorize' | 'deny') =>
  fetch(`${uri}/${decision}`, { method: 'POST', redirect: 'manual' });

describe('mx-sim OAuth members', () => {
  it('creates a PENDING member with a one-time window URI; authorizing it starts the aggregation', async () => {
    const { created, nexus, clock } = await oauthMember();
    expect(created.status).toBe(202);
    const { member } = await json(created);
    expect(member).toMatchObject({ is_oauth: true, connection_status: 'PENDING', is_being_aggregated: false });
    expect(member.oauth_window_uri).toMatch(/\/_sim\/oauth\/[A-Za-z0-9_-]{20,}$/);

    const opened = await fetch(member.oauth_window_uri);
    expect(opened.status).toBe(200);
    expect(await opened.text()).toContain('Authorize');
    expect((await decide(member.oauth_window_uri, 'authorize')).status).toBe(200);
    expect((await json(await nexus(`/members/${member.guid}`))).member).toMatchObject({ is_being_aggregated: true });
    clock.advance(2_000);
    expect((await json(await nexus(`/members/${member.guid}`))).member).toMatchObject({ connection_status: 'CONNECTED' });
    // One time only.
    expect((await fetch(member.oauth_window_uri)).status).toBe(410);
  });

  it('re-authorises through a new window, sending the browser back to client_redirect_url; a denial reads DENIED', async () => {
    const { created, nexus, control } = await oauthMember({ skip_aggregation: true });
    const endpoint = await startWebhookEndpoint();
    await control('/_sim/webhooks', { url: endpoint.url, username: 'mx', password: 'secret-password' });
    const { member } = await json(created);
    await decide(member.oauth_window_uri, 'authorize');
    // skip_aggregation: authorised without aggregating.
    expect((await json(await nexus(`/members/${member.guid}`))).member).toMatchObject({
      connection_status: 'CONNECTED',
      is_being_aggregated: false,
    });

    const redirect = 'https://app.example/oauth-done?from=relay';
    const window = await nexus(
      `/members/${member.guid}/oauth_window_uri?referral_source=APP&client_redirect_url=${encodeURIComponent(redirect)}`,
    );
    expect(window.status).toBe(200);
    const uri = (await json(window)).member.oauth_window_uri as string;
    const denied = await decide(uri, 'deny');
    expect(denied.status).toBe(303);
    expect(denied.headers.get('location')).toBe(
      `https://app.example/oauth-done?from=relay&status=error&member_guid=${member.guid}`,
    );
    expect((await json(await nexus(`/members/${member.guid}`))).member).toMatchObject({ connection_status: 'DENIED' });

    expect((await nexus(`/members/${member.guid}/oauth_window_uri?referral_source=PIGEON`)).status).toBe(400);
    expect((await nexus('/members/MBR-seed/oauth_window_uri')).status).toBe(400);
  });

  it('refuses OAuth at an institution without it, and credentials with it', async () => {
    const { nexus } = await oauthMember();
    const create = (member: Record<string, unknown>) => nexus('/members', { method: 'POST', body: JSON.stringify({ member }) });
    const noOauth = await create({ institution_guid: catalogueGuid('gringotts'), is_oauth: true, use_cases: ['PFM'] });
    expect(noOauth.status).toBe(400);
    expect(await json(noOauth)).toEqual({ error: { code: 4001, message: 'Member cannot use OAuth' } });
    const withCredentials = await create({
      institution_guid: catalogueGuid('mx_bank_oauth'),
      is_oauth: true,
      credentials: [],
      use_cases: ['PFM'],
    });
    expect(await json(withCredentials)).toEqual({ error: { code: 4001, message: 'An OAuth member takes no credentials.' } });
  });
});
