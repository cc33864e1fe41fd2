import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Job, JobStatus } from '../../../lib/aggregation/job.ts';
import { MemberJobs } from '../../../lib/aggregation/member-jobs.ts';
import { MxPush } from '../../../lib/mx-events/mx-push.ts';
import { ManualClock } from '../../../lib/clock.ts';
import { silentLog, type Log } from '../../../lib/logger.ts';
import type { MetricsSink } from '../../../lib/metrics.ts';
import type { MemberReport, PollMessage } from '../../../lib/queue/poll-message.ts';

const MEMBER = 'MBR-7c6f361b-e582-15b6-60c0-358f12466b4b';
const push = (memberGuid: string, more: Record<string, unknown> = {}) =>
  JSON.stringify({ type: 'AGGREGATION', action: 'member_data_updated', member_guid: memberGuid, job_guid: 'JOB-1', ...more });

const job = (status: JobStatus, step: number): Job => ({
  id: 'job_000000001aaaaaaaaaaaaaaaa',
  userId: 'user-1',
  memberGuid: MEMBER,
  status,
  kind: 'aggregation',
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
  const reported: MemberReport[] = [];
  const byId = new Map(jobs.map((j) => [j.id, j]));
  const pushed = new Map<string, number>();
  const seen = new Set<string>();
  const counted: Record<string, string>[] = [];
  // The aggregation slice's own nudge, over in-memory jobs and a recording poll queue.
  const memberJobs = new MemberJobs({
    jobs: {
      async get(jobId) {
        return byId.get(jobId);
      },
      async markPushed(jobId, step) {
        const pushedAt = pushed.get(jobId);
        if (byId.get(jobId)?.step !== step || (pushedAt !== undefined && pushedAt >= step)) return false;
        pushed.set(jobId, step);
        return true;
      },
    },
    pointers: {
      async activeJobIdsOfMember(memberGuid) {
        if (options.failReads) throw new Error('DynamoDB is down');
        return jobs.filter((j) => j.memberGuid === memberGuid).map((j) => j.id);
      },
      async activeJobId() {
        throw new Error('a push names the member only');
      },
    },
    states: { gone: async () => {} },
    pollQueue: {
      async schedule(message) {
        sent.push(message);
      },
    },
    clock,
  });
  const service = new MxPush({
    memberJobs,
    reports: {
      async schedule(message) {
        reported.push(message);
      },
    },
    replays: {
      async first(digest) {
        if (seen.has(digest)) return false;
        seen.add(digest);
        return true;
      },
    },
    clock,
    log: options.log ?? silentLog,
    metrics: { add: (_name, _value, dimensions) => void counted.push(dimensions as Record<string, string>) } as MetricsSink,
  });
  return { service, sent, reported, clock, byId, counted };
}

describe('MxPush', () => {
  it('sends a member with an active job one immediate poll for the job’s current step', async () => {
    const { service, sent, clock } = setup([job('aggregating', 4)]);
    const outcome = await service.receive(push(MEMBER));
    expect(outcome).toEqual({ kind: 'polled', jobId: 'job_000000001aaaaaaaaaaaaaaaa', step: 4 });
    expect(sent).toEqual([{ job_id: 'job_000000001aaaaaaaaaaaaaaaa', step: 4, due_at: clock.now(), detected_by: 'push' }]);
  });

  it('does nothing more for a body seen before (a replay), whatever its key order or spacing', async () => {
    const { service, sent, counted } = setup([job('aggregating', 4)]);
    await service.receive(push(MEMBER));
    const replayed = ` {"job_guid":"JOB-1", "member_guid":"${MEMBER}", "action":"member_data_updated", "type":"AGGREGATION"} `;
    expect(await service.receive(replayed)).toEqual({ kind: 'replayed' });
    expect(sent).toHaveLength(1);
    expect(counted).toEqual([{ outcome: 'taken' }, { outcome: 'replayed' }]);
  });

  it('takes the same CONNECTION_STATUS body again (it names no time: a change back is news); marks no ignored body; counts no transaction it does not read', async () => {
    const { service, reported, counted } = setup([]);
    const status = JSON.stringify({
      type: 'CONNECTION_STATUS',
      action: 'CHANGED',
      connection_status: 'DENIED',
      member_guid: MEMBER,
      user_guid: 'USR-1',
    });
    await service.receive(status);
    await service.receive(status);
    expect(reported).toHaveLength(2);
    const created = JSON.stringify({ action: 'created', transaction: { guid: 'TRN-1', member_guid: MEMBER } });
    expect(await service.receive(created)).toMatchObject({ kind: 'ignored' });
    expect(await service.receive(created)).toMatchObject({ kind: 'ignored' });
    expect(await service.receive('not json')).toMatchObject({ kind: 'ignored' });
    expect(counted.map((dimensions) => dimensions.outcome)).toEqual(['taken', 'taken', 'ignored']);
  });

  it('polls a job once per step however many pushes come; a push after its step moved polls again', async () => {
    const { service, sent, byId } = setup([job('aggregating', 4)]);
    expect(await service.receive(push(MEMBER, { job_guid: 'JOB-1' }))).toMatchObject({ kind: 'polled', step: 4 });
    for (let i = 2; i <= 50; i++) {
      expect(await service.receive(push(MEMBER, { job_guid: `JOB-${i}` }))).toMatchObject({ kind: 'coalesced', step: 4 });
    }
    byId.set('job_000000001aaaaaaaaaaaaaaaa', job('aggregating', 5));
    expect(await service.receive(push(MEMBER, { job_guid: 'JOB-51' }))).toMatchObject({ kind: 'polled', step: 5 });
    expect(sent.map((message) => message.step)).toEqual([4, 5]);
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

  it('reports a member without an active job to worker-poll, with the user as MX named it', async () => {
    const { service, sent, reported, clock } = setup([]);
    const body = push(MEMBER, { user_id: 'user-1', user_guid: 'USR-1', is_background: true });
    expect(await service.receive(body)).toEqual({ kind: 'reported', memberGuid: MEMBER });
    expect(sent).toEqual([]);
    expect(reported).toEqual([
      {
        member_report: { kind: 'aggregation', member_guid: MEMBER, user_id: 'user-1', user_guid: 'USR-1', is_background: true },
        due_at: clock.now(),
      },
    ]);
  });

  it('reports a CONNECTION_STATUS by MX’s user guid only, and a malformed user id as absent', async () => {
    const { service, reported } = setup([job('succeeded', 2)]);
    await service.receive(
      JSON.stringify({
        type: 'CONNECTION_STATUS',
        action: 'CHANGED',
        connection_status: 'EXPIRED',
        member_guid: MEMBER,
        user_guid: 'USR-9',
      }),
    );
    await service.receive(push(MEMBER, { user_id: '../etc', user_guid: 'USR-9' }));
    expect(reported.map((message) => message.member_report)).toEqual([
      { kind: 'connection_status', member_guid: MEMBER, user_guid: 'USR-9' },
      { kind: 'aggregation', member_guid: MEMBER, user_guid: 'USR-9', is_background: false },
    ]);
  });

  it('reports a TRANSACTIONS deleted and a MEMBER deleted to the transactions sync, even for a member with a job: no poll', async () => {
    const { service, sent, reported, clock } = setup([job('aggregating', 3)]);
    const transaction = { guid: 'TRN-1', member_guid: MEMBER, user_guid: 'USR-1', user_id: 'user-1' };
    expect(await service.receive(JSON.stringify({ action: 'deleted', transaction }))).toEqual({
      kind: 'reported',
      memberGuid: MEMBER,
    });
    await service.receive(JSON.stringify({ action: 'deleted', member: { guid: MEMBER, user_guid: 'USR-1' } }));
    // Created and updated ones are read by the sync itself, and announced by the aggregation's end.
    expect(await service.receive(JSON.stringify({ action: 'created', transaction }))).toMatchObject({ kind: 'ignored' });
    expect(sent).toEqual([]);
    expect(reported).toEqual([
      {
        member_report: {
          kind: 'transactions',
          member_guid: MEMBER,
          user_id: 'user-1',
          user_guid: 'USR-1',
          transaction: { guid: 'TRN-1', action: 'deleted' },
        },
        due_at: clock.now(),
      },
      { member_report: { kind: 'member_deleted', member_guid: MEMBER, user_guid: 'USR-1' }, due_at: clock.now() },
    ]);
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
