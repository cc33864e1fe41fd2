import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseMxWebhook } from '../../../lib/mx/webhook-payload.ts';

const MEMBER = 'MBR-7c6f361b-e582-15b6-60c0-358f12466b4b';

/** Reference §6, as MX documents them. */
const aggregation = {
  action: 'member_data_updated',
  completed_at: 1_767_225_600,
  completed_on: '2026-01-01',
  is_background: false,
  job_guid: 'JOB-1',
  member_guid: MEMBER,
  transactions_created_count: 3,
  transactions_updated_count: 0,
  type: 'AGGREGATION',
  user_guid: 'USR-1',
  user_id: 'partner-user-1',
};
const connectionStatus = {
  action: 'CHANGED',
  connection_status: 'CHALLENGED',
  connection_status_id: 3,
  connection_status_message: 'The institution needs more information.',
  member_guid: MEMBER,
  type: 'CONNECTION_STATUS',
  user_guid: 'USR-1',
};

describe('parseMxWebhook', () => {
  it('reads the AGGREGATION and CONNECTION_STATUS payloads of MX’s webhooks guide', () => {
    expect(parseMxWebhook(aggregation)).toEqual({
      ok: true,
      webhook: {
        type: 'AGGREGATION',
        memberGuid: MEMBER,
        userId: 'partner-user-1',
        userGuid: 'USR-1',
        action: 'member_data_updated',
        jobGuid: 'JOB-1',
        isBackground: false,
      },
    });
    expect(parseMxWebhook(connectionStatus)).toEqual({
      ok: true,
      webhook: {
        type: 'CONNECTION_STATUS',
        memberGuid: MEMBER,
        userGuid: 'USR-1',
        action: 'CHANGED',
        connectionStatus: 'CHALLENGED',
      },
    });
  });

  it('reads VERIFICATION, HISTORY and BALANCE as member_data_updated pushes, as AGGREGATION is read', () => {
    // MX's VERIFICATION webhook has `accounts` and no `is_background` or transaction counts.
    const { is_background, transactions_created_count, transactions_updated_count, ...common } = aggregation;
    const verification = { ...common, accounts: ['ACT-1'], type: 'VERIFICATION' };
    expect(parseMxWebhook(verification)).toEqual({
      ok: true,
      webhook: expect.objectContaining({ type: 'VERIFICATION', memberGuid: MEMBER, jobGuid: 'JOB-1', isBackground: false }),
    });
    expect(parseMxWebhook({ ...aggregation, type: 'HISTORY' })).toMatchObject({ ok: true, webhook: { type: 'HISTORY' } });
    // MX's aggregation webhook page: `type` may be AGGREGATION, BALANCE, HISTORY or STATEMENT.
    expect(parseMxWebhook({ ...aggregation, type: 'BALANCE' })).toMatchObject({ ok: true, webhook: { type: 'BALANCE' } });
  });

  it('tolerates nulls, missing or odd informational fields and new fields', () => {
    const odd = { type: 'CONNECTION_STATUS', member_guid: MEMBER, connection_status: 42, action: null, brand_new: { x: 1 } };
    expect(parseMxWebhook(odd)).toEqual({
      ok: true,
      webhook: { type: 'CONNECTION_STATUS', memberGuid: MEMBER, userGuid: null, action: null, connectionStatus: null },
    });
    // A user id or guid that is not one reads as absent: the webhook is placed by the other, or not at all.
    expect(parseMxWebhook({ ...aggregation, user_id: '../x', user_guid: 7 })).toMatchObject({
      ok: true,
      webhook: { userId: null, userGuid: null },
    });
    expect(parseMxWebhook({ type: 'AGGREGATION', member_guid: MEMBER, job_guid: null })).toMatchObject({
      ok: true,
      webhook: { jobGuid: null, action: null },
    });
  });

  it.each([
    [undefined, 'no `type`'],
    ['AGGREGATION', 'no `type`'],
    [[aggregation], 'no `type`'],
    [{ ...aggregation, type: 'STATEMENT' }, '"STATEMENT" is not one'],
    [{ ...aggregation, type: '__proto__' }, '"__proto__" is not one'],
    [{ ...aggregation, member_guid: null }, 'without a valid member_guid'],
    [{ ...connectionStatus, member_guid: 'ACT-1' }, 'without a valid member_guid'],
  ])('declines %j (%s)', (body, reason) => {
    const parsed = parseMxWebhook(body);
    expect(parsed.ok).toBe(false);
    expect(parsed.ok ? '' : parsed.reason).toContain(reason);
  });

  it('never throws, whatever JSON arrives', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (body) => {
        expect(() => parseMxWebhook(body)).not.toThrow();
      }),
    );
  });

  it('never throws on payloads close to MX shapes either', () => {
    const near = fc.record(
      {
        type: fc.constantFrom('AGGREGATION', 'CONNECTION_STATUS', 'BALANCE', 'constructor', ''),
        member_guid: fc.oneof(fc.constant(MEMBER), fc.string(), fc.constant(null), fc.integer()),
        action: fc.jsonValue(),
        job_guid: fc.jsonValue(),
        connection_status: fc.jsonValue(),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(near, (body) => {
        const parsed = parseMxWebhook(body);
        if (parsed.ok) expect(parsed.webhook.memberGuid).toBe(MEMBER);
      }),
    );
  });

  it("reads MX's TRANSACTIONS webhook (a transaction under `action`, with or without `type`) and MEMBER deleted", () => {
    const transaction = { guid: 'TRN-1', member_guid: MEMBER, user_guid: 'USR-1', user_id: 'partner-user-1', amount: 4.5 };
    for (const action of ['created', 'updated', 'deleted', 'DELETED']) {
      expect(parseMxWebhook({ action, transaction })).toEqual({
        ok: true,
        webhook: {
          type: 'TRANSACTIONS',
          action: action.toLowerCase(),
          transactionGuid: 'TRN-1',
          memberGuid: MEMBER,
          userId: 'partner-user-1',
          userGuid: 'USR-1',
        },
      });
    }
    expect(
      parseMxWebhook({ type: 'TRANSACTION', action: 'updated', transaction: { ...transaction, is_deleted: true } }),
    ).toMatchObject({
      ok: true,
      webhook: { action: 'deleted' },
    });
    expect(parseMxWebhook({ action: 'deleted', member: { guid: MEMBER, user_guid: 'USR-1' } })).toEqual({
      ok: true,
      webhook: { type: 'MEMBER', action: 'deleted', memberGuid: MEMBER, userId: null, userGuid: 'USR-1' },
    });
    // The record's fields at the top level, as MX's field tables list them beside `type` and `action`.
    for (const type of ['TRANSACTIONS', 'TRANSACTION']) {
      expect(parseMxWebhook({ type, action: 'deleted', ...transaction })).toMatchObject({
        ok: true,
        webhook: { type: 'TRANSACTIONS', action: 'deleted', transactionGuid: 'TRN-1', memberGuid: MEMBER },
      });
    }
    for (const type of ['MEMBER', 'MEMBERS']) {
      expect(parseMxWebhook({ type, action: 'deleted', guid: MEMBER, user_guid: 'USR-1' })).toMatchObject({
        ok: true,
        webhook: { type: 'MEMBER', action: 'deleted', memberGuid: MEMBER, userGuid: 'USR-1' },
      });
    }
    // A flat record only for those types: an AGGREGATION with a `guid` of its own stays an AGGREGATION.
    expect(parseMxWebhook({ type: 'AGGREGATION', action: 'member_data_updated', guid: 'X', member_guid: MEMBER })).toMatchObject({
      ok: true,
      webhook: { type: 'AGGREGATION', memberGuid: MEMBER },
    });
    for (const [body, reason] of [
      [{ type: 'MEMBER', action: 'updated', guid: MEMBER }, 'MEMBER action "updated"'],
      [{ action: 'created', member: { guid: MEMBER } }, 'MEMBER action "created"'],
      [{ action: 'merged', transaction }, 'TRANSACTIONS action "merged"'],
      [{ action: 'deleted', transaction: { ...transaction, guid: 'ACT-1' } }, 'valid transaction guid'],
      [{ action: 'deleted', transaction: { guid: 'TRN-1' } }, 'member_guid'],
    ] as const) {
      const parsed = parseMxWebhook(body);
      expect(parsed.ok).toBe(false);
      expect(parsed.ok ? '' : parsed.reason).toContain(reason);
    }
  });
});
