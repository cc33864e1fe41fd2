import { describe, expect, it } from 'vitest';
import { startSimHarness } from './sim-harness.ts';

type Member = Record<string, unknown>;
const json = async <T = { member: Member }>(response: Response): Promise<T> => (await response.json()) as T;

describe('mx-sim members', () => {
  it('returns the MX member shape', async () => {
    const { putMember } = await startSimHarness();
    expect(await putMember({ user_id: 'user-1', member_guid: 'MBR-1', use_cases: ['PFM'] })).toEqual({
      guid: 'MBR-1',
      user_guid: expect.stringMatching(/^USR-/),
      name: 'MX Bank',
      institution_code: 'mxbank',
      institution_guid: expect.stringMatching(/^INS-/),
      use_cases: ['PFM'],
      connection_status: 'CONNECTED',
      connection_status_id: 6,
      connection_status_message: expect.any(String),
      is_being_aggregated: false,
      aggregated_at: null,
      successfully_aggregated_at: null,
      most_recent_job_guid: null,
      is_oauth: false,
      background_aggregation_is_disabled: false,
      is_managed_by_user: false,
      is_user_created: true,
      metadata: null,
      external_guid: null,
    });
  });

  it('lists only the session user’s members, filtered by use case and paginated', async () => {
    const { putMember, openSession, nexus } = await startSimHarness();
    for (let index = 0; index < 15; index += 1) {
      await putMember({ user_id: 'user-1', member_guid: `MBR-${index}`, use_cases: index < 3 ? ['MONEY_MOVEMENT'] : ['PFM'] });
    }
    await putMember({ user_id: 'user-2', member_guid: 'MBR-theirs' });
    const token = await openSession('user-1');

    const all = await json<{ members: Member[]; pagination: unknown }>(await nexus('/members', token));
    expect(all.members.map((member) => member.guid)).toEqual(Array.from({ length: 15 }, (_, index) => `MBR-${index}`));
    expect(all.pagination).toEqual({ current_page: 1, per_page: 25, total_entries: 15, total_pages: 1 });

    const pfmPage2 = await json<{ members: Member[]; pagination: unknown }>(
      await nexus('/members?use_case=PFM&records_per_page=10&page=2', token),
    );
    expect(pfmPage2.members.map((member) => member.guid)).toEqual(['MBR-13', 'MBR-14']);
    expect(pfmPage2.pagination).toEqual({ current_page: 2, per_page: 10, total_entries: 12, total_pages: 2 });

    const tooSmall = await json<{ pagination: unknown }>(await nexus('/members?records_per_page=5', token));
    expect(tooSmall.pagination).toEqual({ current_page: 1, per_page: 25, total_entries: 15, total_pages: 1 });

    const moneyMovement = await json<{ members: Member[] }>(await nexus('/members?use_case=MONEY_MOVEMENT', token));
    expect(moneyMovement.members).toHaveLength(3);

    const invalid = await nexus('/members?use_case=SAVINGS', token);
    expect(invalid.status).toBe(400);
    expect(await invalid.json()).toEqual({ error: { code: 4001, message: expect.stringContaining('use_case') } });
  });

  it('answers 404 for another user’s member, as for an unknown one', async () => {
    const { putMember, openSession, nexus } = await startSimHarness();
    await putMember({ user_id: 'user-1' });
    await putMember({ user_id: 'user-2', member_guid: 'MBR-theirs' });
    const token = await openSession('user-1');

    for (const path of ['/members/MBR-theirs', '/members/MBR-nope', '/members/MBR-theirs/aggregate']) {
      const response = await nexus(path, token);
      expect(response.status).toBe(404);
      expect(await response.json()).toEqual({ error: { code: 4040, message: 'Member not found.' } });
    }
  });

  it('aggregates through real statuses over time, with 202 while running', async () => {
    const { clock, putMember, openSession, nexus } = await startSimHarness();
    await putMember({ user_id: 'user-1', member_guid: 'MBR-1', aggregation: { duration_ms: 8000, final_status: 'CONNECTED' } });
    const token = await openSession('user-1');
    const startedAt = new Date(clock.now()).toISOString();

    const started = await nexus('/members/MBR-1/aggregate?include_holdings=false&include_transactions=true', token, {
      method: 'POST',
    });
    expect(started.status).toBe(200);
    const { member } = await json(started);
    expect(member).toMatchObject({
      connection_status: 'RECONNECTED',
      connection_status_id: 8,
      is_being_aggregated: true,
      aggregated_at: startedAt,
      most_recent_job_guid: expect.stringMatching(/^JOB-/),
    });

    clock.advance(2000);
    const joined = await nexus('/members/MBR-1/refresh', token);
    expect(joined.status).toBe(202);
    expect((await json(joined)).member).toMatchObject({
      connection_status: 'CONNECTED',
      is_being_aggregated: true,
      most_recent_job_guid: member.most_recent_job_guid,
    });

    clock.advance(6000);
    expect((await json(await nexus('/members/MBR-1', token))).member).toMatchObject({
      connection_status: 'CONNECTED',
      is_being_aggregated: false,
      aggregated_at: startedAt,
      successfully_aggregated_at: new Date(clock.now()).toISOString(),
    });
  });

  it('ends on the scripted failure status', async () => {
    const { clock, putMember, openSession, nexus } = await startSimHarness();
    await putMember({ user_id: 'user-1', member_guid: 'MBR-1', aggregation: { duration_ms: 1000, final_status: 'DENIED' } });
    const token = await openSession('user-1');

    await nexus('/members/MBR-1/aggregate', token);
    clock.advance(1000);
    expect((await json(await nexus('/members/MBR-1', token))).member).toMatchObject({
      connection_status: 'DENIED',
      connection_status_id: 2,
      is_being_aggregated: false,
      successfully_aggregated_at: null,
    });
  });

  it('refuses to aggregate a member whose use cases lack PFM (403/4030)', async () => {
    const { putMember, openSession, nexus } = await startSimHarness();
    await putMember({ user_id: 'user-1', member_guid: 'MBR-mm', use_cases: ['MONEY_MOVEMENT'] });
    const token = await openSession('user-1');

    for (const [path, method] of [
      ['/members/MBR-mm/aggregate', 'GET'],
      ['/members/MBR-mm/refresh', 'POST'],
    ] as const) {
      const response = await nexus(path, token, { method });
      expect(response.status).toBe(403);
      expect(await response.json()).toEqual({ error: { code: 4030, message: expect.any(String) } });
    }
    expect((await json(await nexus('/members/MBR-mm', token))).member.is_being_aggregated).toBe(false);
  });

  describe('MFA', () => {
    const challengedMember = async () => {
      const harness = await startSimHarness();
      await harness.putMember({
        user_id: 'user-1',
        member_guid: 'MBR-mfa',
        aggregation: {
          duration_ms: 4000,
          final_status: 'CONNECTED',
          challenge: { label: 'What is your favorite color?', answer: 'blue' },
        },
      });
      const token = await harness.openSession('user-1');
      await harness.nexus('/members/MBR-mfa/aggregate', token, { method: 'POST' });
      return { ...harness, token };
    };
    const resume = (harness: Awaited<ReturnType<typeof challengedMember>>, body: unknown) =>
      harness.nexus('/members/MBR-mfa/resume', harness.token, { method: 'PUT', body: JSON.stringify(body) });

    it('lists no challenges and refuses answers (405) until the member is CHALLENGED', async () => {
      const harness = await challengedMember();
      expect(await (await harness.nexus('/members/MBR-mfa/challenges', harness.token)).json()).toEqual({ challenges: [] });
      const early = await resume(harness, { challenges: [{ guid: 'CRD-x', value: 'blue' }] });
      expect(early.status).toBe(405);
      expect(await early.json()).toEqual({ error: { code: 4050, message: expect.any(String) } });
    });

    it('challenges, then resumes on the right answer', async () => {
      const harness = await challengedMember();
      harness.clock.advance(4000);
      expect((await json(await harness.nexus('/members/MBR-mfa', harness.token))).member).toMatchObject({
        connection_status: 'CHALLENGED',
        connection_status_id: 3,
        is_being_aggregated: false,
      });
      const { challenges } = await json<{ challenges: { guid: string }[] }>(
        await harness.nexus('/members/MBR-mfa/challenges', harness.token),
      );
      expect(challenges).toEqual([
        {
          guid: expect.stringMatching(/^CRD-/),
          type: 'TEXT',
          field_name: expect.any(String),
          label: 'What is your favorite color?',
        },
      ]);

      const resumed = await resume(harness, { member: { challenges: [{ guid: challenges[0]!.guid, value: 'blue' }] } });
      expect(resumed.status).toBe(200);
      expect((await json(resumed)).member).toMatchObject({ connection_status: 'RESUMED', is_being_aggregated: true });

      harness.clock.advance(1000);
      expect((await json(await harness.nexus('/members/MBR-mfa', harness.token))).member).toMatchObject({
        connection_status: 'CONNECTED',
        is_being_aggregated: false,
        successfully_aggregated_at: new Date(harness.clock.now()).toISOString(),
      });
    });

    it('rejects a wrong answer, and answers 400 to a malformed body', async () => {
      const harness = await challengedMember();
      harness.clock.advance(4000);
      const { challenges } = await json<{ challenges: { guid: string }[] }>(
        await harness.nexus('/members/MBR-mfa/challenges', harness.token),
      );

      for (const malformed of [{}, { challenges: 'blue' }, { challenges: [{ guid: challenges[0]!.guid }] }, []]) {
        const response = await resume(harness, malformed);
        expect(response.status).toBe(400);
        expect(((await response.json()) as { error: { code: number } }).error.code).toBe(4001);
      }
      const notJson = await harness.nexus('/members/MBR-mfa/resume', harness.token, { method: 'PUT', body: '{' });
      expect(notJson.status).toBe(400);

      const rejected = await resume(harness, { challenges: [{ guid: challenges[0]!.guid, value: 'red' }] });
      expect(rejected.status).toBe(200);
      expect((await json(rejected)).member).toMatchObject({ connection_status: 'REJECTED', is_being_aggregated: false });
    });
  });

  it('answers unknown routes 404 and wrong methods 405, with the MX error body', async () => {
    const { sim, putMember, openSession, nexus } = await startSimHarness();
    await putMember({ user_id: 'user-1' });
    const token = await openSession('user-1');

    const unknown = await nexus('/no_such_resource', token);
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toEqual({ error: { code: 4040, message: expect.any(String) } });
    const wrongMethod = await fetch(`${sim.url}/members`, { method: 'DELETE' });
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get('allow')).toBe('GET, POST');
    expect(await wrongMethod.json()).toEqual({ error: { code: 4050, message: expect.any(String) } });
  });
});
