import { noMetrics } from '../../../lib/metrics.ts';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Job } from '../../../lib/aggregation/job.ts';
import { judgeJob, STALLED_AFTER_MS, Sweeper } from '../../../lib/aggregation/sweeper.ts';
import { ManualClock } from '../../../lib/clock.ts';
import { silentLog } from '../../../lib/logger.ts';
import type { DelayedQueue } from '../../../lib/queue/delayed-queue.ts';
import type { PollMessage } from '../../../lib/queue/poll-message.ts';

const T = Date.UTC(2026, 5, 1);
const job = (id: string, change: Partial<Job>): Job => ({
  id,
  userId: 'user-1',
  memberGuid: `MBR-${id}`,
  status: 'aggregating',
  kind: 'aggregation',
  trigger: 'refresh',
  connectionStatus: null,
  step: 3,
  polls: 3,
  pollErrors: 0,
  createdAt: T - 600_000,
  updatedAt: T,
  deadlineAt: T + 600_000,
  nextPollAt: T,
  ...change,
});

/** A sweeper over in-memory pointers and jobs (a pointer may name a job that is gone), recording what it schedules and releases. */
function sweepOver(entries: { job: Job; gone?: boolean; claimedAt?: number; moved?: boolean }[], now: number | ManualClock) {
  const scheduled: PollMessage[] = [];
  const released: string[] = [];
  const pointers = {
    async *activeJobs() {
      for (const { job, claimedAt } of entries)
        yield {
          jobId: job.id,
          memberGuid: job.memberGuid,
          userId: job.userId,
          claimedAt: claimedAt ?? job.createdAt,
        };
    },
    releaseActive: async (_: unknown, jobId: string) => void released.push(jobId),
  };
  const jobs = {
    get: async (id: string) => entries.find((entry) => entry.job.id === id && !entry.gone)?.job,
    // As the table records it: the re-drive counted on the job, unless it moved meanwhile.
    async markRedriven(redriven: Pick<Job, 'id' | 'step' | 'status'>, at: number) {
      const entry = entries.find((candidate) => candidate.job.id === redriven.id);
      if (!entry || entry.moved) return false;
      entry.job = { ...entry.job, redrive: { at, count: (entry.job.redrive?.count ?? 0) + 1 } };
      return true;
    },
  };
  const pollQueue = {
    schedule: async (message: PollMessage) => void scheduled.push(message),
  } as unknown as DelayedQueue<PollMessage>;
  const clock = typeof now === 'number' ? new ManualClock(now) : now;
  const sweeper = new Sweeper({ metrics: noMetrics, jobs, pointers, pollQueue, clock, log: silentLog });
  return { sweep: () => sweeper.sweep(), scheduled, released };
}

describe('Sweeper', () => {
  it('re-drives an ended, unannounced job only once it is STALLED_AFTER_MS past its end, and never releases it meanwhile', async () => {
    const ended = job('ended', { status: 'succeeded', finishedAt: T - STALLED_AFTER_MS, updatedAt: T - STALLED_AFTER_MS });
    const justEnded = job('just-ended', { status: 'failed', finishedAt: T - 1_000, updatedAt: T - 1_000 });
    // An unannounced job keeps its pointer (released only once its terminal event is out): the sweeper's way back to it.
    const { sweep, scheduled, released } = sweepOver([{ job: ended }, { job: justEnded }], T + 1);
    expect(await sweep()).toEqual({
      active: 2,
      repolled: 0,
      renotified: 1,
      released: 0,
      tracked: 0,
      redelivered: 0,
      retried: 0,
      resumed: 0,
    });
    expect(scheduled).toEqual([{ job_id: 'ended', step: 3, due_at: T + 1, detected_by: 'sweeper' }]);
    expect(released).toEqual([]);
  });

  it('re-polls an overdue aggregating job, leaves one on time alone, and releases a pointer whose job is gone', async () => {
    const overdue = job('overdue', { nextPollAt: T - STALLED_AFTER_MS - 1 });
    const onTime = job('on-time', { nextPollAt: T + 3_000 });
    const gone = job('gone', { status: 'succeeded', finishedAt: T - 3_600_000 });
    const { sweep, scheduled, released } = sweepOver([{ job: overdue }, { job: onTime }, { job: gone, gone: true }], T);
    expect(await sweep()).toEqual({
      active: 3,
      repolled: 1,
      renotified: 0,
      released: 1,
      tracked: 0,
      redelivered: 0,
      retried: 0,
      resumed: 0,
    });
    expect(scheduled).toEqual([{ job_id: 'overdue', step: 3, due_at: T, detected_by: 'sweeper' }]);
    expect(released).toEqual(['gone']);
  });

  it('re-drives a late job again only after twice the last wait (a backlog is not a lost message), up to 30 minutes', async () => {
    const late = { job: job('late', { nextPollAt: T - STALLED_AFTER_MS - 1 }) };
    const clock = new ManualClock(T);
    const { sweep, scheduled } = sweepOver([late], clock);
    const redriveTimes: number[] = [];
    // Sweeps every minute for three hours while the job's step never applies (its messages wait behind a backlog).
    for (let minute = 0; minute <= 180; minute++) {
      const before = scheduled.length;
      await sweep();
      if (scheduled.length > before) redriveTimes.push((clock.now() - T) / 60_000);
      clock.advance(60_000);
    }
    // Each wait twice the last, from 2 minutes up to 30, caught by the first sweep past it.
    expect(redriveTimes).toEqual([0, 3, 8, 17, 34, 65, 96, 127, 158]);
    expect(late.job.redrive).toEqual({ at: T + 158 * 60_000, count: 9 });
  });

  it('does not re-drive a job that moved since it was read', async () => {
    const { sweep, scheduled } = sweepOver([{ job: job('moved', { nextPollAt: T - STALLED_AFTER_MS - 1 }), moved: true }], T);
    expect(await sweep()).toMatchObject({ repolled: 0 });
    expect(scheduled).toEqual([]);
  });

  it('leaves a pointer without a job alone while its refresh may still be waiting for MX, and releases it a stall window on', async () => {
    const coming = job('coming', {});
    const claimedAt = T - STALLED_AFTER_MS;
    expect(await sweepOver([{ job: coming, gone: true, claimedAt }], T).sweep()).toMatchObject({ active: 1, released: 0 });
    const later = sweepOver([{ job: coming, gone: true, claimedAt }], T + 1);
    expect(await later.sweep()).toMatchObject({ active: 1, released: 1 });
    expect(later.released).toEqual(['coming']);
  });
});

describe('judgeJob', () => {
  it('calls an ended job behind its pointer lost exactly when it is more than STALLED_AFTER_MS past its end', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('succeeded', 'action_required', 'failed', 'timed_out') as fc.Arbitrary<Job['status']>,
        fc.integer({ min: -600_000, max: 600_000 }),
        (status, sinceEnd) => {
          const verdict = judgeJob(job('j', { status, finishedAt: T }), T + sinceEnd);
          expect(verdict).toBe(sinceEnd > STALLED_AFTER_MS ? 'notification_lost' : 'notifying');
        },
      ),
    );
  });
});
