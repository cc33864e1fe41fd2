import { describe, expect, it } from 'vitest';
import { judgeStep } from '../../../lib/aggregation/poll-service.ts';

describe('judgeStep', () => {
  const job = { step: 5, nextPollAt: 100_000 };

  it('applies the current step', () => {
    expect(judgeStep(5, job, 0)).toBe('apply');
  });

  it('treats older and future steps as stale', () => {
    expect(judgeStep(3, job, 999_999)).toBe('stale');
    expect(judgeStep(6, job, 0)).toBe('stale');
  });

  it('hands back the previous step until the next poll is overdue, then resends the current one', () => {
    expect(judgeStep(4, job, 100_000)).toBe('retry_later');
    expect(judgeStep(4, job, 104_999)).toBe('retry_later');
    expect(judgeStep(4, job, 105_000)).toBe('resend_current');
  });
});
