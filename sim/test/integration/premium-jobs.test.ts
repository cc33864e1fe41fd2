import { describe, expect, it } from 'vitest';
import { startSimHarness, startWebhookEndpoint } from './sim-harness.ts';

type Body = Record<string, any>;
const json = async (response: Response): Promise<Body> => (await response.json()) as Body;
const post = (body?: unknown): RequestInit => ({ method: 'POST', ...(body === undefined ? {} : { body: JSON.stringify(body) }) });

async function memberAt(institutionCode: string | undefined, extra: Record<string, unknown> = {}) {
  const harness = await startSimHarness();
  await harness.putMember({
    user_id: 'user-1',
    member_guid: 'MBR-1',
    ...(institutionCode === undefined ? {} : { institution_code: institutionCode }),
    aggregation: { duration_ms: 4000, final_status: 'CONNECTED' },
    ...extra,
  });
  const token = await harness.openSession('user-1');
  const nexus = (path: string, init?: RequestInit) => harness.nexus(path, token, init);
  return { ...harness, token, nexus };
}

describe('mx-sim premium jobs', () => {
  it('verifies a member (MFA answered), then serves its account numbers per member and per account', async () => {
    const { nexus, clock, putMember } = await memberAt(undefined);
    await putMember({
      user_id: 'user-1',
      member_guid: 'MBR-1',
      use_cases: ['MONEY_MOVEMENT'],
      aggregation: { duration_ms: 4000, final_status: 'CONNECTED', challenge: { label: 'Code?', answer: '1234' } },
    });
    expect(await json(await nexus('/members/MBR-1/account_numbers'))).toEqual({ account_numbers: [] });

    const started = await nexus('/members/MBR-1/verify', post({ include_transactions: false }));
    expect(started.status).toBe(200);
    expect((await json(started)).member).toMatchObject({ is_being_aggregated: true });
    // The same job again: 202, nothing new; another kind meanwhile: 409.
    expect((await nexus('/members/MBR-1/verify', post())).status).toBe(202);
    expect((await nexus('/members/MBR-1/identify', post())).status).toBe(409);
    expect((await nexus('/members/MBR-1/aggregate', post())).status).toBe(403);

    clock.advance(4000);
    const { challenges } = await json(await nexus('/members/MBR-1/challenges'));
    const resumed = await nexus('/members/MBR-1/resume', {
      method: 'PUT',
      body: JSON.stringify({ challenges: [{ guid: challenges[0].guid, value: '1234' }] }),
    });
    expect(resumed.status).toBe(200);
    clock.advance(1000);
    expect((await json(await nexus('/members/MBR-1'))).member).toMatchObject({
      connection_status: 'CONNECTED',
      is_being_aggregated: false,
    });

    // One set per account of the member (the control API gives it two).
    const { account_numbers: numbers } = await json(await nexus('/members/MBR-1/account_numbers'));
    expect(numbers).toHaveLength(2);
    expect(numbers).toEqual(
      Array(2).fill({
        account_guid: expect.stringMatching(/^ACT-/),
        account_number: expect.stringMatching(/^44\d{10}$/),
        institution_number: null,
        member_guid: 'MBR-1',
        passed_validation: true,
        routing_number: expect.stringMatching(/^0\d{8}$/),
        transit_number: null,
        user_guid: expect.stringMatching(/^USR-/),
      }),
    );
    expect(numbers[0].account_number).not.toBe(numbers[1].account_number);
    const byAccount = await json(await nexus(`/accounts/${numbers[1].account_guid}/account_number`));
    expect(byAccount).toEqual({ account_numbers: [numbers[1]] });
    expect((await nexus('/accounts/ACT-nobody/account_number')).status).toBe(404);
    // Owners come from an identification, which has not run.
    expect(await json(await nexus('/members/MBR-1/account_owners'))).toEqual({ account_owners: [] });
  });

  it('identifies a member, then lists its account owners', async () => {
    const { nexus, clock } = await memberAt(undefined);
    expect((await nexus('/members/MBR-1/identify', post({ include_transactions: true }))).status).toBe(202);
    clock.advance(4000);
    const { account_owners: owners } = await json(await nexus('/members/MBR-1/account_owners'));
    expect(owners).toHaveLength(2);
    expect(owners[0]).toEqual(
      expect.objectContaining({
        member_guid: 'MBR-1',
        owner_name: expect.stringMatching(/^\S+ \S+$/),
        email: expect.stringContaining('@owners.example'),
        phone: expect.stringMatching(/^801-555-\d{4}$/),
      }),
    );
  });

  it('refuses a job the institution does not support (400, MX’s message) and history without PFM (403)', async () => {
    const iron = await memberAt('iron_bank');
    const verify = await iron.nexus('/members/MBR-1/verify', post());
    expect(verify.status).toBe(400);
    expect(await json(verify)).toEqual({
      error: { code: 4001, message: "Member's institution does not support instant account verification" },
    });
    expect((await iron.nexus('/members/MBR-1/identify', post())).status).toBe(400);
    expect((await iron.nexus('/members/MBR-1/extend_history', post())).status).toBe(202);
    const institution = await json(
      await iron.nexus(`/institutions/${(await json(await iron.nexus('/members/MBR-1'))).member.institution_guid}`),
    );
    expect(institution.institution).toMatchObject({
      code: 'iron_bank',
      supports_account_verification: false,
      supports_account_identification: false,
      supports_transaction_history: true,
    });

    expect((await (await memberAt('gringotts')).nexus('/members/MBR-1/extend_history', post())).status).toBe(400);
    const moneyMovement = await memberAt(undefined, { use_cases: ['MONEY_MOVEMENT'] });
    expect((await moneyMovement.nexus('/members/MBR-1/extend_history', post())).status).toBe(403);
    expect((await moneyMovement.nexus('/members/MBR-1/verify', post({ include_transactions: 'yes' }))).status).toBe(400);
  });

  it('pushes VERIFICATION and HISTORY webhooks when those jobs end; none for an identification', async () => {
    const { nexus, clock, control, sim } = await memberAt(undefined);
    const endpoint = await startWebhookEndpoint();
    await control('/_sim/webhooks', { url: endpoint.url, username: 'mx', password: 'secret-password' });

    for (const path of ['verify', 'identify', 'extend_history']) {
      expect((await nexus(`/members/MBR-1/${path}`, post())).status).toBeLessThan(300);
      clock.advance(4000);
      await sim.deliverDueWebhooks();
    }
    expect(endpoint.received.map(({ body }) => body.type)).toEqual(['VERIFICATION', 'HISTORY']);
    expect(endpoint.received[0]!.body).toMatchObject({
      action: 'member_data_updated',
      accounts: [expect.stringMatching(/^ACT-/), expect.stringMatching(/^ACT-/)],
      job_guid: expect.stringMatching(/^JOB-/),
      member_guid: 'MBR-1',
      user_id: 'user-1',
    });
  });
});
