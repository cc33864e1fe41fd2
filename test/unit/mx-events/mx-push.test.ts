import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Job, JobStatus } from '../../../lib/aggregation/job.ts';
import { MxPush } from '../../../lib/mx-events/mx-push.ts';
import { ManualClock } from '../../../lib/clock.ts';
import { silentLog, type Log } from '../../../lib/logger.ts';
import type { PollMessage } from '../../../lib/queue/poll-message.ts';

const MEMBER = 'MBR-7c6f361b-e582-15b6-60c0-358f12466b4b';
const push = (memberGuid: string) =>
  JSON.stringify({ type: 'AGGREGATION', action: 'member_data_updated', member_guid: memberGuid, job_guid: 'JOB-1' });

const job = (status: JobStatus, step: number): Job => ({
  id: 'job_000000001aaaaaaaaaaaaaaaa',
  userId: 'user-1',
  memberGuid: MEMBER,
  status,
  trigger: 'refresh',
  connectionStatus: 'RECONNECTED',
  step,
  polls: step,
  pollErrors: 0,
  createdAt: 0,
  updatedAt: 0,
  deadlineAt: 1_200_000,
  nextPollAt: 30_000,
});

/** An MxPush over in-memory jobs (`active` maps member → job) and a recording poll queue. */
function setup(jobs: Job[], options: { failReads?: boolean; log?: Log } = {}) {
  const clock = new ManualClock();
  const sent: PollMessage[] = [];
  const byId = new Map(jobs.map((j) => [j.id, j]));
  const service = new MxPush({
    jobs: {
      async activeJobIdsOfMember(memberGuid) {
        if (options.failReads) throw new Error('DynamoDB is down');
        return jobs.filter((j) => j.memberGuid === memberGuid).map((j) => j.id);
      },
      async get(jobId) {
        return byId.get(jobId);
      },
    },
    pollQueue: {
      async schedule(message) {
        sent.push(message);
      },
    },
    clock,
    log: options.log ?? silentLog,
  });
  return { service, sent, clock };
}

describe('MxPush', () => {
  it('sends a member with an active job one immediate poll for the job’s current step', async () => {
    const { service, sent, clock } = setup([job('aggregating', 4)]);
    const outcome = await service.receive(push(MEMBER));
    expect(outcome).toEqual({ kind: 'polled', jobId: 'job_000000001aaaaaaaaaaaaaaaa', step: 4 });
    expect(sent).toEqual([{ job_id: 'job_000000001aaaaaaaaaaaaaaaa', step: 4, due_at: clock.now(), trigger: 'push' }]);
  });

  it('CONNECTION_STATUS pushes poll the same way', async () => {
    const { service, sent } = setup([job('aggregating', 0)]);
    const body = JSON.stringify({
      type: 'CONNECTION_STATUS',
      action: 'CHANGED',
      connection_status: 'DENIED',
      member_guid: MEMBER,
    });
    await service.receive(body);
    expect(sent).toHaveLength(1);
  });

  it('does nothing (logging at debug) for a member without an active job', async () => {
    const debug: unknown[] = [];
    const log = { ...silentLog, debug: (...args: unknown[]) => debug.push(args) };
    const { service, sent } = setup([], { log });
    expect(await service.receive(push(MEMBER))).toEqual({ kind: 'no_active_job', memberGuid: MEMBER });
    expect(sent).toEqual([]);
    expect(debug).toHaveLength(1);
  });

  it('does nothing for a job that has already ended', async () => {
    const { service, sent } = setup([job('succeeded', 2)]);
    expect((await service.receive(push(MEMBER))).kind).toBe('no_active_job');
    expect(sent).toEqual([]);
  });

  it('ignores what it cannot read, and sends nothing', async () => {
    const { service, sent } = setup([job('aggregating', 1)]);
    for (const body of [undefined, '', 'not json', '{"type":"BALANCE"}', JSON.stringify({ type: 'AGGREGATION' })]) {
      expect((await service.receive(body)).kind).toBe('ignored');
    }
    expect(sent).toEqual([]);
  });

  it('reports a store failure as an outcome instead of throwing: the poll loop catches up', async () => {
    const { service, sent } = setup([job('aggregating', 1)], { failReads: true });
    expect(await service.receive(push(MEMBER))).toEqual({ kind: 'failed', memberGuid: MEMBER });
    expect(sent).toEqual([]);
  });

  it('never throws, whatever the body', async () => {
    const { service } = setup([job('aggregating', 1)]);
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string(),
          fc.jsonValue().map((value) => JSON.stringify(value)),
        ),
        async (body) => {
          await expect(service.receive(body)).resolves.toBeDefined();
        },
      ),
    );
  });
});
