import { describe, expect, it } from 'vitest';
import { DEFAULT_AGGREGATION_SCRIPT } from '../../aggregation-script.ts';
import { parseMemberSpec } from '../../member-spec.ts';

describe('parseMemberSpec', () => {
  it('needs only a user id; everything else defaults', () => {
    expect(parseMemberSpec({ user_id: 'u-1' })).toEqual({
      userId: 'u-1',
      memberGuid: undefined,
      name: undefined,
      useCases: undefined,
      script: DEFAULT_AGGREGATION_SCRIPT,
      data: {},
    });
  });

  it('reads a full spec', () => {
    expect(
      parseMemberSpec({
        user_id: 'u-1',
        member_guid: 'MBR-abc_1',
        name: 'Gringotts',
        use_cases: ['PFM', 'MONEY_MOVEMENT', 'PFM'],
        accounts: 3,
        transactions: 12,
        aggregation: {
          duration_ms: 10_000,
          final_status: 'CONNECTED',
          challenge: { label: 'What is your favorite color?', answer: 'blue' },
          transactions: { add: 4, update: 2, post: 1 },
        },
      }),
    ).toEqual({
      userId: 'u-1',
      memberGuid: 'MBR-abc_1',
      name: 'Gringotts',
      useCases: ['PFM', 'MONEY_MOVEMENT'],
      script: {
        durationMs: 10_000,
        finalStatus: 'CONNECTED',
        challenge: { label: 'What is your favorite color?', answer: 'blue' },
        transactions: { add: 4, update: 2, post: 1 },
      },
      data: { accounts: 3, transactions: 12 },
    });
  });

  it('fills a partial aggregation from the default script', () => {
    expect(parseMemberSpec({ user_id: 'u', aggregation: { final_status: 'DENIED' } }).script).toEqual({
      ...DEFAULT_AGGREGATION_SCRIPT,
      finalStatus: 'DENIED',
    });
  });

  it.each([
    [{}, 'user_id'],
    [{ user_id: '' }, 'user_id'],
    [{ user_id: 7 }, 'user_id'],
    [{ user_id: 'u', member_guid: 'ACT-1' }, 'member_guid'],
    [{ user_id: 'u', member_guid: 'MBR-../x' }, 'member_guid'],
    [{ user_id: 'u', name: '' }, 'name'],
    [{ user_id: 'u', use_cases: ['SAVINGS'] }, 'use_cases'],
    [{ user_id: 'u', use_cases: [] }, 'use_cases'],
    [{ user_id: 'u', use_cases: 'PFM' }, 'use_cases'],
    [{ user_id: 'u', aggregation: [] }, 'aggregation'],
    [{ user_id: 'u', aggregation: { final_status: 'DONE' } }, 'aggregation.final_status'],
    [{ user_id: 'u', aggregation: { final_status: 'CHALLENGED' } }, 'aggregation.challenge'],
    [{ user_id: 'u', aggregation: { duration_ms: -1 } }, 'aggregation.duration_ms'],
    [{ user_id: 'u', aggregation: { duration_ms: '2000' } }, 'aggregation.duration_ms'],
    [{ user_id: 'u', aggregation: { challenge: { label: 'Q?' } } }, 'aggregation.challenge'],
    [{ user_id: 'u', accounts: -1 }, 'accounts'],
    [{ user_id: 'u', accounts: 21 }, 'accounts'],
    [{ user_id: 'u', accounts: 1.5 }, 'accounts'],
    [{ user_id: 'u', transactions: 1001 }, 'transactions'],
    [{ user_id: 'u', transactions: { add: 1 } }, 'transactions'],
    [{ user_id: 'u', accounts: 0, transactions: 5 }, 'transactions need an account'],
    [{ user_id: 'u', use_cases: ['MONEY_MOVEMENT'], transactions: 5 }, 'transactions need PFM'],
    [null, 'body'],
  ])('rejects %j, naming %s', (body, field) => {
    expect(() => parseMemberSpec(body)).toThrow(field);
  });
});
