import { request as httpRequest } from 'node:http';
import { describe, expect, it } from 'vitest';
import { type ListBody, startSeededReader, startSimHarness } from './sim-harness.ts';

describe('mx-sim control API', () => {
  it('creates members (201) and reads them back without being counted', async () => {
    const { control, putMember, stats } = await startSimHarness();
    const created = await putMember({ user_id: 'user-1', name: 'Gringotts' });
    expect(created.guid).toMatch(/^MBR-/);

    const read = await control(`/_sim/members/${String(created.guid)}`);
    expect(read.status).toBe(200);
    expect(await read.json()).toEqual({ member: created });
    expect((await control('/_sim/members/MBR-nope')).status).toBe(404);
    expect(await stats()).toEqual({ calls: {}, paths: [], aggregations_started_by_sessions: 0 });
  });

  it('re-posting a guid re-scripts the member and keeps its owner', async () => {
    const { clock, putMember, openSession, nexus } = await startSimHarness();
    const original = await putMember({ user_id: 'owner', member_guid: 'MBR-1' });
    const rescripted = await putMember({
      user_id: 'intruder',
      member_guid: 'MBR-1',
      use_cases: ['PFM'],
      aggregation: { duration_ms: 100, final_status: 'LOCKED' },
    });
    expect(rescripted).toMatchObject({ user_guid: original.user_guid, use_cases: ['PFM'] });

    const token = await openSession('owner');
    await nexus('/members/MBR-1/aggregate', token);
    clock.advance(100);
    expect(await (await nexus('/members/MBR-1', token)).json()).toMatchObject({ member: { connection_status: 'LOCKED' } });
  });

  it.each([
    [{}, 'user_id'],
    [{ user_id: 'u', member_guid: 'ACT-1' }, 'member_guid'],
    [{ user_id: 'u', use_cases: ['SAVINGS'] }, 'use_cases'],
    [{ user_id: 'u', aggregation: { final_status: 'FINISHED' } }, 'final_status'],
    [{ user_id: 'u', aggregation: { duration_ms: -5 } }, 'duration_ms'],
  ])('refuses %j with a 400 naming %s', async (body, field) => {
    const { control } = await startSimHarness();
    const response = await control('/_sim/members', body);
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ error: { message: expect.stringContaining(field) } });
  });

  it('refuses a body that is not JSON', async () => {
    const { sim } = await startSimHarness();
    const response = await fetch(`${sim.url}/_sim/members`, { method: 'POST', body: '{"user_id":' });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ error: { message: 'body must be valid JSON' } });
  });

  it('counts MX-side calls by route pattern and keeps the raw paths; reset clears them', async () => {
    const { sim, putMember, openSession, nexus, control, stats } = await startSimHarness();
    await putMember({ user_id: 'user-1', member_guid: 'MBR-1' });
    const token = await openSession('user-1');
    await nexus('/members/MBR-1', token);
    await nexus('/members/MBR-1', token);
    await nexus('/members/MBR-1/aggregate', token);
    await nexus('/members/MBR-1/refresh', token, { method: 'POST' });
    await nexus('/members?page=2', token);
    await fetch(`${sim.url}/sim-client/users/user-1/api_token.json`, { headers: { 'MD-API-KEY': 'sim-api-key' } });

    expect((await stats()).calls).toEqual({
      'GET /{client_id}/users/{user_id}/api_token': 2,
      'POST /sessions': 1,
      'GET /members/{member_guid}': 2,
      'GET /members/{member_guid}/aggregate': 1,
      'POST /members/{member_guid}/refresh': 1,
      'GET /members': 1,
    });
    expect((await stats()).paths).toEqual([
      '/sim-client/users/user-1/api_token',
      '/sessions',
      '/members/MBR-1',
      '/members/MBR-1',
      '/members/MBR-1/aggregate',
      '/members/MBR-1/refresh',
      '/members?page=2',
      '/sim-client/users/user-1/api_token.json',
    ]);
    await nexus('/members/MBR-nope', token);
    const byMember = async () => (await control('/_sim/stats/members')).json();
    expect(await byMember()).toEqual({
      members: {
        'MBR-1': {
          'GET /members/{member_guid}': 2,
          'GET /members/{member_guid}/aggregate': 1,
          'POST /members/{member_guid}/refresh': 1,
        },
      },
    });

    const reset = await control('/_sim/reset', {});
    expect(reset.status).toBe(204);
    expect(await stats()).toEqual({ calls: {}, paths: [], aggregations_started_by_sessions: 0 });
    expect(await byMember()).toEqual({ members: {} });
    expect((await nexus('/members/MBR-1', token)).status).toBe(200);
  });

  it('records paths exactly as received, hostile ones included, and keeps the last 1000', async () => {
    const { sim, stats } = await startSimHarness();
    // node:http sends `path` untouched; fetch and URL strings would resolve the dot segments first.
    const rawGet = (path: string) =>
      new Promise<number>((resolve, reject) => {
        httpRequest({ host: '127.0.0.1', port: sim.port, path }, (response) => {
          response.resume();
          resolve(response.statusCode ?? 0);
        })
          .on('error', reject)
          .end();
      });

    expect(await rawGet('/members/../sessions')).toBe(404);
    expect(await rawGet('/members/MBR-1%2F..%2Fx')).toBe(401);
    const { calls, paths } = await stats();
    expect(paths).toEqual(['/members/../sessions', '/members/MBR-1%2F..%2Fx']);
    expect(calls).toEqual({ 'GET (unmatched)': 1, 'GET /members/{member_guid}': 1 });

    for (let batch = 0; batch < 1005; batch += 67) {
      await Promise.all(Array.from({ length: 67 }, (_, index) => fetch(`${sim.url}/members/MBR-${batch + index}`)));
    }
    const recent = (await stats()).paths;
    expect(recent).toHaveLength(1000);
    expect(recent).not.toContain('/members/../sessions');
  });

  describe('GET /_sim/users/{user_id}', () => {
    it('summarises a seeded user with ids that all resolve through the read routes', async () => {
      const { get, summary, clock } = await startSeededReader('sim-user-pfm');
      // Seeded data is dated as of the hour the simulator started: its newest day is that day.
      const started = new Date(clock.now()).toISOString().slice(0, 10);
      expect(summary).toEqual({
        user_id: 'sim-user-pfm',
        user_guid: expect.stringMatching(/^USR-/),
        members: [expect.stringMatching(/^MBR-/), expect.stringMatching(/^MBR-/)],
        accounts: Array.from({ length: 5 }, () => expect.stringMatching(/^ACT-/)),
        beats: Array.from({ length: 5 }, () => expect.stringMatching(/^BET-/)),
        spending_plans: Array.from({ length: 2 }, () => ({
          guid: expect.stringMatching(/^SPL-/),
          spending_plan_accounts: [expect.stringMatching(/^SPA-/), expect.stringMatching(/^SPA-/)],
        })),
        categories: expect.any(Array),
        transactions: {
          count: expect.any(Number),
          first_date: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/),
          last_date: started,
          created_first: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/),
          created_last: started,
          updated_first: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/),
          updated_last: started,
        },
      });

      for (const member of summary.members) expect((await get(`/members/${member}`)).status).toBe(200);
      const accounts = (await get<ListBody<'accounts'>>('/accounts')).body.accounts;
      expect(accounts.map((account) => account.guid)).toEqual(summary.accounts);
      for (const beat of summary.beats) expect((await get(`/beats/${beat}`)).status).toBe(200);
      for (const plan of summary.spending_plans) {
        expect((await get(`/spending_plans/${plan.guid}`)).status).toBe(200);
        for (const planAccount of plan.spending_plan_accounts) {
          expect((await get(`/spending_plans/${plan.guid}/spending_plan_account/${planAccount}`)).status).toBe(200);
        }
      }
      const { first_date, last_date } = summary.transactions;
      expect(summary.categories.length).toBeGreaterThanOrEqual(10);
      for (const category of summary.categories) {
        const byCategory = await get<ListBody<'transactions'>>(
          `/transactions/by_category_guid/${category.guid}/by_date/${first_date}/${last_date}`,
        );
        expect(byCategory.body.transactions.length).toBeGreaterThan(0);
        expect(byCategory.body.transactions[0]!.top_level_category_guid).toBe(category.top_level_category_guid);
      }
    });

    it('summarises users without transactions with empty lists and null days', async () => {
      const { putMember, userSummary } = await startSimHarness();
      const member = await putMember({ user_id: 'newcomer', accounts: 0 });
      const empty = {
        count: 0,
        first_date: null,
        last_date: null,
        created_first: null,
        created_last: null,
        updated_first: null,
        updated_last: null,
      };

      expect(await userSummary('newcomer')).toEqual({
        user_id: 'newcomer',
        user_guid: member.user_guid,
        members: [member.guid],
        accounts: [],
        beats: [],
        spending_plans: [],
        categories: [],
        transactions: empty,
      });
      expect(await userSummary('sim-user-mm')).toMatchObject({
        accounts: [expect.any(String), expect.any(String)],
        transactions: empty,
      });
    });

    it('answers 404 for an unknown user', async () => {
      const { control } = await startSimHarness();
      const response = await control('/_sim/users/nobody');
      expect(response.status).toBe(404);
      expect(await response.json()).toEqual({ error: { message: 'user nobody does not exist' } });
    });
  });
});
