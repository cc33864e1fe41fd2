import { describe, expect, it } from 'vitest';
import { ReconcileEnrolment } from '../../../lib/aggregation/reconcile-enrolment.ts';
import { ManualClock } from '../../../lib/clock.ts';
import { silentLog } from '../../../lib/logger.ts';
import type { MetricsSink } from '../../../lib/metrics.ts';

function setup(enroll: (userId: string, now: number) => Promise<boolean>) {
  const counted: [string, Record<string, string>][] = [];
  const metrics = { add: (name: string, _v: number, dims: Record<string, string>) => void counted.push([name, dims]) };
  const enrolment = new ReconcileEnrolment({
    schedule: { enroll },
    clock: new ManualClock(Date.parse('2026-11-24T12:00:00Z')),
    log: silentLog,
    metrics: metrics as unknown as MetricsSink,
  });
  return { enrolment, counted };
}

describe('ReconcileEnrolment', () => {
  it('puts a served user on the cycle once', async () => {
    const schedule = new Map<string, number>();
    const { enrolment, counted } = setup(async (userId, now) => {
      if (schedule.has(userId)) return false;
      schedule.set(userId, now);
      return true;
    });
    await enrolment.note('user-1');
    await enrolment.note('user-1');
    expect(schedule).toEqual(new Map([['user-1', Date.parse('2026-11-24T12:00:00Z')]]));
    expect(counted).toEqual([
      ['ReconcileEnrolments', { outcome: 'enrolled' }],
      ['ReconcileEnrolments', { outcome: 'already' }],
    ]);
  });

  it('never fails the call it follows: a failed write is counted, and the next session tries again', async () => {
    const { enrolment, counted } = setup(async () => {
      throw Object.assign(new Error('throttled'), { name: 'ProvisionedThroughputExceededException' });
    });
    await expect(enrolment.note('user-1')).resolves.toBeUndefined();
    expect(counted).toEqual([['ReconcileEnrolments', { outcome: 'failed' }]]);
  });
});
