import { describe, expect, it } from 'vitest';
import { memberOf, NEEDS_USER_STATUSES, needsUser, userActionOf } from '../../../console/src/members.ts';
import { classifyMember, CONNECTION_STATUSES } from '../../../lib/mx/connection-status.ts';

describe("the console's members", () => {
  it.each(CONNECTION_STATUSES.flatMap((status) => [true, false].map((aggregating) => [status, aggregating] as const)))(
    '%s (aggregating: %s) needs the user exactly when the relay would end its job action_required',
    (status, aggregating) => {
      const member = { connection_status: status, is_being_aggregated: aggregating };
      expect(needsUser(member)).toBe(classifyMember(member) === 'action_required');
    },
  );

  it('lists each status that needs the user once, and only statuses MX has', () => {
    expect(new Set(NEEDS_USER_STATUSES).size).toBe(NEEDS_USER_STATUSES.length);
    for (const status of NEEDS_USER_STATUSES) expect(CONNECTION_STATUSES).toContain(status);
  });

  it('reads MX’s member record, whatever MX leaves out', () => {
    expect(
      memberOf({
        guid: 'MBR-1',
        name: 'MX Bank',
        institution_code: 'mxbank',
        connection_status: 'DENIED',
        connection_status_message: 'Update your credentials.',
        is_being_aggregated: false,
        aggregated_at: '2026-06-30T18:00:00.000Z',
        successfully_aggregated_at: null,
        use_cases: ['PFM'],
        most_recent_job_guid: 'JOB-1',
        is_oauth: true,
      }),
    ).toEqual({
      guid: 'MBR-1',
      name: 'MX Bank',
      institution_code: 'mxbank',
      connection_status: 'DENIED',
      connection_status_message: 'Update your credentials.',
      is_being_aggregated: false,
      is_oauth: true,
      aggregated_at: '2026-06-30T18:00:00.000Z',
      successfully_aggregated_at: undefined,
      use_cases: ['PFM'],
    });
    expect(memberOf({ guid: 'MBR-2', use_cases: null })).toMatchObject({
      is_being_aggregated: false,
      is_oauth: false,
      use_cases: null,
    });
    expect(needsUser(memberOf({ guid: 'MBR-3' }))).toBe(false);
  });

  it('tells how the user acts, naming the console action: MFA for CHALLENGED, a reconnect of the member otherwise', () => {
    expect(userActionOf({ connection_status: 'CHALLENGED' })).toMatch(/question.*\(Answer MFA\).*\(Reconnect\)/);
    expect(userActionOf({ connection_status: 'LOCKED' })).toMatch(/^The user reconnects in the Connect widget.*\(Reconnect\)/);
    // An OAuth member is re-authorised at the bank, through a one-time OAuth window.
    expect(userActionOf({ connection_status: 'EXPIRED', is_oauth: true })).toMatch(/^Re-authorise at the bank.*\(Re-authorise\)/);
  });
});
