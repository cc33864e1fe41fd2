import { describe, expect, it } from 'vitest';
import type { Job, JobStatus } from '../../../lib/aggregation/job.ts';
import { MemberJobs } from '../../../lib/aggregation/member-jobs.ts';
import { ManualClock } from '../../../lib/clock.ts';
import type { PollMessage } from '../../../lib/queue/poll-message.ts';

const job = (id: string, status: JobStatus, step: number) => ({ id, status, step, userId: 'user-1', memberGuid: 'MBR-1' }) as Job;

/** MemberJobs over in-memory jobs: `byUser` is what the consistent read by user and member finds, `byMember` the index. */
function setup(jobs: Job[], found: { byUser?: string; byMember: string[] }) {
  const clock = new ManualClock(1_000);
  const sent: PollMessage[] = [];
  const gone: string[] = [];
  const reads: string[] = [];
  const pushed = new Set<string>();
  const memberJobs = new MemberJobs({
    jobs: {
      get: async (id) => jobs.find((j) => j.id === id),
      // One push per step (JobsRepository.markPushed's condition, in memory).
      markPushed: async (id, step) => !pushed.has(`${id}/${step}`) && Boolean(pushed.add(`${id}/${step}`)),
    },
    pointers: {
      async activeJobId() {
        reads.push('by user');
        return found.byUser;
      },
      async activeJobIdsOfMember() {
        reads.push('by member');
        return found.byMember;
      },
    },
    states: { gone: async (userId, memberGuid) => void gone.push(`${userId}/${memberGuid}`) },
    pollQueue: { schedule: async (message) => void sent.push(message) },
    clock,
  });
  return { memberJobs, sent, gone, reads };
}

describe('MemberJobs', () => {
  it('nudges the aggregating job found by the member alone (a push), with what detected it', async () => {
    const { memberJobs, sent, reads } = setup([job('job_a', 'succeeded', 9), job('job_b', 'aggregating', 4)], {
      byMember: ['job_a', 'job_b'],
    });
    expect(await memberJobs.pollNow({ memberGuid: 'MBR-1' }, 'push')).toMatchObject({ id: 'job_b' });
    expect(sent).toEqual([{ job_id: 'job_b', step: 4, due_at: 1_000, detected_by: 'push' }]);
    expect(reads).toEqual(['by member']);
    // Another push for the same step: no second poll.
    expect(await memberJobs.pollNow({ memberGuid: 'MBR-1' }, 'push')).toMatchObject({ id: 'job_b', coalesced: true });
    expect(sent).toHaveLength(1);
  });

  it('finds the job by the member and its user when the user is known (a deletion), with no detector: a poll', async () => {
    const { memberJobs, sent, reads } = setup([job('job_b', 'aggregating', 2)], { byUser: 'job_b', byMember: [] });
    expect(await memberJobs.pollNow({ memberGuid: 'MBR-1', userId: 'user-1' })).toMatchObject({ id: 'job_b' });
    expect(sent).toEqual([{ job_id: 'job_b', step: 2, due_at: 1_000 }]);
    expect(reads).toEqual(['by user']);
  });

  it('sends nothing for a member without an aggregating job', async () => {
    const ended = setup([job('job_a', 'failed', 3)], { byUser: 'job_a', byMember: ['job_a'] });
    expect(await ended.memberJobs.pollNow({ memberGuid: 'MBR-1', userId: 'user-1' })).toBeUndefined();
    expect(await ended.memberJobs.pollNow({ memberGuid: 'MBR-1' }, 'push')).toBeUndefined();
    const none = setup([], { byMember: [] });
    expect(await none.memberJobs.pollNow({ memberGuid: 'MBR-1', userId: 'user-1' })).toBeUndefined();
    expect([...ended.sent, ...none.sent]).toEqual([]);
  });

  it('records a member MX no longer has as gone', async () => {
    const { memberJobs, gone } = setup([], { byMember: [] });
    await memberJobs.gone('user-1', 'MBR-1');
    expect(gone).toEqual(['user-1/MBR-1']);
  });
});
