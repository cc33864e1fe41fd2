import { describe, expect, it } from 'vitest';
import { startMxSimulator } from '../../server.ts';
import { startSimHarness } from './sim-harness.ts';

/** `POST /_sim/dialect`: the shapes MX's documents leave open, one switch each. */
describe('dialects', () => {
  it('shows the defaults and the choices, refuses an unknown choice naming it, and resets with {}', async () => {
    const { control } = await startSimHarness();
    const shown = (await (await control('/_sim/dialect')).json()) as { dialect: Record<string, string>; choices: object };
    expect(shown.dialect).toEqual({
      session_expired: '401',
      aggregate_answer: 'member',
      sso_answer: 'json',
      challenges_key: 'present',
      timestamps: 'milliseconds',
      use_cases: 'opted_in',
    });
    expect((await control('/_sim/dialect', { sso_answer: 'yaml' })).status).toBe(400);
    expect(await (await control('/_sim/dialect', { colour: 'blue' })).text()).toContain('colour');
    await control('/_sim/dialect', { sso_answer: 'xml' });
    expect(((await (await control('/_sim/dialect', {})).json()) as { dialect: object }).dialect).toEqual(shown.dialect);
  });

  it('starts in the dialect it is given, which {} restores', async () => {
    const sim = await startMxSimulator({ dialect: { use_cases: 'not_opted_in' } });
    try {
      const reset = await fetch(`${sim.url}/_sim/dialect`, { method: 'POST', body: '{}' });
      expect(((await reset.json()) as { dialect: object }).dialect).toMatchObject({ use_cases: 'not_opted_in' });
    } finally {
      await sim.close();
    }
  });

  it('session_expired 4011_under_400: an unknown session is answered HTTP 400 with code 4011', async () => {
    const { control, nexus } = await startSimHarness();
    await control('/_sim/dialect', { session_expired: '4011_under_400' });
    const answer = await nexus('/members', 'not-a-session');
    expect(answer.status).toBe(400);
    expect(await answer.json()).toEqual({ error: { code: 4011, message: 'Session expired or invalid.' } });
  });

  it('sso_answer xml and refused: the api_token in XML, or 403', async () => {
    const { control, sim } = await startSimHarness();
    const token = () =>
      fetch(`${sim.url}/sim-client/users/sim-user-pfm/api_token.json`, {
        headers: { 'MD-API-KEY': 'sim-api-key', Accept: 'application/vnd.moneydesktop.sso.v3+json' },
      });
    await control('/_sim/dialect', { sso_answer: 'xml' });
    const xml = await token();
    expect(xml.headers.get('content-type')).toBe('application/vnd.moneydesktop.sso.v3+xml');
    expect(await xml.text()).toMatch(/^<\?xml[\s\S]*<api_token><token>[^<]+<\/token>/);
    await control('/_sim/dialect', { sso_answer: 'refused' });
    expect((await token()).status).toBe(403);
  });

  it('aggregate_answer status_only, challenges_key missing, timestamps seconds and offset', async () => {
    const { control, putMember, openSession, nexus, clock } = await startSimHarness();
    const member = await putMember({
      user_id: 'dialect-user',
      aggregation: { duration_ms: 1000, final_status: 'CONNECTED', challenge: { label: 'City?', answer: 'Paris' } },
    });
    const session = await openSession('dialect-user');
    await control('/_sim/dialect', { aggregate_answer: 'status_only', challenges_key: 'missing', timestamps: 'seconds' });
    const started = await nexus(`/members/${member.guid}/aggregate`, session);
    expect([started.status, await started.text()]).toEqual([200, '']);
    clock.advance(1000);
    expect(await (await nexus(`/members/${member.guid}/challenges`, session)).json()).toEqual({});
    const read = (await (await nexus(`/members/${member.guid}`, session)).json()) as { member: { aggregated_at: string } };
    expect(read.member.aggregated_at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    await control('/_sim/dialect', { timestamps: 'offset' });
    const offset = (await (await nexus(`/members/${member.guid}`, session)).json()) as { member: { aggregated_at: string } };
    expect(offset.member.aggregated_at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}\+00:00$/);
  });
});
