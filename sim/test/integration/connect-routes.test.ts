import { describe, expect, it } from 'vitest';
import { startSimHarness } from './sim-harness.ts';

const SSO = 'application/vnd.moneydesktop.sso.v3+json';
const MDX = 'application/vnd.moneydesktop.mdx.v5+json';

/** The simulator's partner APIs for connecting: users made by id at MDX Real Time, widget URLs under the use_cases opt-in. */
describe('MDX Real Time create user and SSO widget URLs', () => {
  const post = (url: string, body: unknown, apiKey = 'sim-api-key', media = SSO) =>
    fetch(url, {
      method: 'POST',
      headers: { 'MD-API-KEY': apiKey, accept: media, 'content-type': media },
      body: JSON.stringify(body),
    });
  const createUser = (sim: { realtimeUrl: string }, id: string, apiKey?: string) =>
    post(`${sim.realtimeUrl}/sim-client/users.json`, { user: { id } }, apiKey, MDX);

  it('makes a user once (409 after), and a URL only for a user it knows', async () => {
    const { sim } = await startSimHarness();
    const urls = (user: string, body: unknown) => post(`${sim.url}/sim-client/users/${user}/urls.json`, body);
    const widget = { url: { type: 'connect_widget', use_cases: ['PFM'] } };
    expect((await urls('new-user', widget)).status).toBe(404);
    // The SSO host has no users route: MX makes users through MDX Real Time only.
    expect((await post(`${sim.url}/sim-client/users.json`, { user: { id: 'new-user' } })).status).toBe(404);
    const created = await createUser(sim, 'new-user');
    expect(created.status).toBe(200);
    expect(created.headers.get('content-type')).toBe(MDX);
    expect(await created.json()).toMatchObject({ user: { id: 'new-user', guid: expect.stringMatching(/^USR-/) } });
    expect((await createUser(sim, 'new-user')).status).toBe(409);
    expect((await createUser(sim, 'x', 'wrong-key')).status).toBe(401);

    const answer = await urls('new-user', widget);
    expect(answer.status).toBe(200);
    const { url } = (await answer.json()) as { url: { url: string; type: string; user_id: string } };
    expect(url).toMatchObject({
      type: 'connect_widget',
      user_id: 'new-user',
      url: expect.stringMatching(/\/_sim\/widgets\/\S{30,}$/),
    });
  });

  it('refuses a Connect URL without use_cases when opted in, and any use_cases when not', async () => {
    const { sim, control } = await startSimHarness();
    await createUser(sim, 'u');
    const urls = (body: unknown) => post(`${sim.url}/sim-client/users/u/urls.json`, { url: body });
    expect((await urls({ type: 'connect_widget' })).status).toBe(400);
    expect((await urls({ type: 'connections_widget', use_cases: [] })).status).toBe(400);
    expect((await urls({ type: 'accounts_widget' })).status).toBe(200);
    await control('/_sim/dialect', { use_cases: 'not_opted_in' });
    expect((await urls({ type: 'connect_widget', use_cases: ['PFM'] })).status).toBe(400);
    expect((await urls({ type: 'connect_widget' })).status).toBe(200);
  });
});
