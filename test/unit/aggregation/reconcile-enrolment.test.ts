import { describe, expect, it } from 'vitest';
import { ReconcileEnrolment, SERVED_NOTE_INTERVAL_MS } from '../../../lib/aggregation/reconcile-enrolment.ts';
import { ManualClock } from '../../../lib/clock.ts';
import { silentLog } from '../../../lib/logger.ts';
import type { MetricsSink } from '../../../lib/metrics.ts';

function setup(write: (userId: string, now: number) => Promise<boolean>) {
  const clock = new ManualClock(Date.parse('2026-11-24T12:00:00Z'));
  const counted: [string, Record<string, string>][] = [];
  const calls: string[] = [];
  const metrics = { add: (name: string, _v: number, dims: Record<string, string>) => void counted.push([name, dims]) };
  const enrolment = new ReconcileEnrolment({
    schedule: {
      serve: (userId, now) => (calls.push('serve'), write(userId, now)),
    },
    clock,
    log: silentLog,
    metrics: metrics as unknown as MetricsSink,
  });
  return { enrolment, counted, calls, clock };
}

describe('ReconcileEnrolment', () => {
  it('puts a served user on the cycle once, and counts it then only', async () => {
    const schedule = new Map<string, number>();
    const { enrolment, counted } = setup(async (userId, now) => {
      if (schedule.has(userId)) return false;
      schedule.set(userId, now);
      return true;
    });
    await enrolment.note('user-1');
    await enrolment.note('user-1');
    expect(schedule).toEqual(new Map([['user-1', Date.parse('2026-11-24T12:00:00Z')]]));
    expect(counted).toEqual([['ReconcileEnrolments', { outcome: 'enrolled' }]]);
  });

  it("notes an app's use of a session made before once a day per container", async () => {
    const app = setup(async () => false);
    await app.enrolment.used('user-1');
    expect(app.enrolment.used('user-1')).toBeUndefined();
    await app.enrolment.note('user-2');
    expect(app.enrolment.used('user-2')).toBeUndefined();
    app.clock.advance(SERVED_NOTE_INTERVAL_MS);
    await app.enrolment.used('user-1');
    expect(app.calls).toEqual(['serve', 'serve', 'serve']);
  });

  it('never fails the call it follows: a failed write is counted, and the next session tries again', async () => {
    const { enrolment, counted } = setup(async () => {
      throw Object.assign(new Error('throttled'), { name: 'ProvisionedThroughputExceededException' });
    });
    await expect(enrolment.note('user-1')).resolves.toBeUndefined();
    expect(counted).toEqual([['ReconcileEnrolments', { outcome: 'failed' }]]);
  });
});
