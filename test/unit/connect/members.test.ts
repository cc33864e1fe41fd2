import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../lib/clock.ts';
import { Members } from '../../../lib/connect/members.ts';
import { UseCasesRuleError } from '../../../lib/connect/use-cases.ts';
import { silentLog } from '../../../lib/logger.ts';
import { MxError } from '../../../lib/mx/errors.ts';

describe('a member update naming no use cases', () => {
  it('asks for them, naming the field, when MX will not show the member’s own (its 403 for want of PFM)', async () => {
    const updates: unknown[] = [];
    const members = new Members({
      nexus: {
        readMember: async () => {
          throw new MxError('MX_FORBIDDEN', 'MX answered 403', {
            method: 'GET',
            route: '/users/{user_guid}/members/{member_guid}',
            status: 403,
          });
        },
        updateMember: async (...args: unknown[]) => void updates.push(args),
      },
      clock: new ManualClock(0),
      log: silentLog,
      metrics: { add: () => {} },
      useCasesEnabled: true,
    } as never);
    const refused = members.update('user-1', 'MBR-1', { metadata: 'hello' });
    await expect(refused).rejects.toBeInstanceOf(UseCasesRuleError);
    await expect(refused).rejects.toMatchObject({ field: 'use_cases', message: expect.stringMatching(/name use_cases/) });
    expect(updates).toEqual([]);
  });
});
