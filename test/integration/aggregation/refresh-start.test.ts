import { noMetrics } from '../../../lib/metrics.ts';
import { describe, expect, it, vi } from 'vitest';
import { JOIN_WAITS_MS, type RefreshDeps, RefreshService } from '../../../lib/aggregation/refresh-service.ts';
import { ConflictError, NotFoundError } from '../../../lib/errors.ts';
import { ManualClock } from '../../../lib/clock.ts';
import { silentLog } from '../../../lib/logger.ts';
import type { Member } from '../../../lib/mx/member.ts';
import type { DelayedQueue } from '../../../lib/queue/delayed-queue.ts';
import type { PollMessage } from '../../../lib/queue/poll-message.ts';
import { ActiveJobsRepository } from '../../../lib/aggregation/active-jobs-repo.ts';
import { JobsRepository } from '../../../lib/aggregation/jobs-repo.ts';
import { useLocalEngines } from '../../support/local-table.ts';
import { plainFirstPoll } from '../../support/aggregation-parts.ts';

/** These tests start aggregations only: MX is never asked for a premium job. */
const aggregationsOnly = {
  support: { check: async () => undefined },
  refusals: { lookup: async () => ({ seen: true }), record: async () => undefined },
  readMember: (): Promise<Member> => Promise.reject(new Error('no member read in this test')),
  startPremiumJob: (): Promise<Member> => Promise.reject(new Error('no premium job in this test')),
};
/**
 * The start of a job over dynalite, with an injected clock and an MX aggregate call that takes as long as the test
 * says — as when it waits at the events-refresh rate gate before it is sent.
 */
const local = useLocalEngines();

function setup(callTakesMs: number, schedule: Partial<Pick<RefreshDeps, 'timing' | 'coverage' | 'maxPollDelaySeconds'>> = {}) {
  const clock = new ManualClock(Date.UTC(2026, 5, 1, 8));
  const scheduled: PollMessage[] = [];
  const published: { type: string; data: unknown }[] = [];
  let mxStartedAt: number | undefined;
  const refresh = new RefreshService({
    metrics: noMetrics,
    jobs: new JobsRepository(local.table),
    pointers: new ActiveJobsRepository(local.table),
    support: aggregationsOnly.support,
    refusals: aggregationsOnly.refusals,
    nexus: {
      startPremiumJob: aggregationsOnly.startPremiumJob,
      readMember: aggregationsOnly.readMember,
      async aggregateMember(_userId, memberGuid) {
        clock.advance(callTakesMs);
        mxStartedAt = clock.now();
        const member = { guid: memberGuid, connection_status: 'CONNECTED', is_being_aggregated: true } as Member;
        return { member, alreadyRunning: false };
      },
    },
    pollQueue: { schedule: async (message: PollMessage) => void scheduled.push(message) } as unknown as DelayedQueue<PollMessage>,
    events: { publish: async (event) => void published.push(event) },
    clock,
    log: silentLog,
    deadlineSeconds: 1200,
    ...plainFirstPoll,
    ...schedule,
  });
  return { clock, refresh, scheduled, published, mxStartedAt: () => mxStartedAt! };
}

describe('RefreshService: the first poll', () => {
  it.each([0, 4_000, 6_500])('is due 3 s after MX answered the aggregate call, which took %i ms', async (callTakesMs) => {
    const { refresh, scheduled, mxStartedAt } = setup(callTakesMs);
    const { job } = await refresh.refresh({ userId: 'user-gate', memberGuid: `MBR-gate-${callTakesMs}` });

    expect(scheduled).toEqual([{ job_id: job.id, step: 0, due_at: mxStartedAt() + 3_000 }]);
    expect(job.nextPollAt).toBe(mxStartedAt() + 3_000);
    // Stored too: the step rules and the sweeper judge the first poll by it.
    expect((await new JobsRepository(local.table).get(job.id))!.nextPollAt).toBe(mxStartedAt() + 3_000);
    expect(job.createdAt).toBe(mxStartedAt() - callTakesMs);
  });
});

describe('RefreshService: the first poll on the schedule every later poll follows', () => {
  const model = { samples: 50, p10Ms: 40_000, p50Ms: 60_000, p90Ms: 90_000 };

  it('sleeps until just before the institution’s fastest tenth usually end (0.85 × p10) when its durations are known', async () => {
    const { refresh, scheduled } = setup(0, { timing: { model: async () => model }, maxPollDelaySeconds: 900 });
    const { job } = await refresh.refresh({ userId: 'user-model', memberGuid: 'MBR-model-1' });
    expect(scheduled).toEqual([{ job_id: job.id, step: 0, due_at: job.createdAt + 34_000 }]);
  });

  it('while MX’s pushes announce the ends, checks at 12 s — for a known institution not before its p90', async () => {
    const covered = { coverage: { covered: async () => true }, maxPollDelaySeconds: 900 };
    const generic = setup(0, { ...covered, timing: { model: async () => undefined } });
    const first = await generic.refresh.refresh({ userId: 'user-push', memberGuid: 'MBR-push-1' });
    expect(generic.scheduled).toEqual([{ job_id: first.job.id, step: 0, due_at: first.job.createdAt + 12_000 }]);
    const known = setup(0, { ...covered, timing: { model: async () => model } });
    const second = await known.refresh.refresh({ userId: 'user-push', memberGuid: 'MBR-push-2' });
    expect(known.scheduled).toEqual([{ job_id: second.job.id, step: 0, due_at: second.job.createdAt + 90_000 }]);
  });

  it('falls back to 3 s when the model cannot be read: the aggregation has started, the job stays', async () => {
    const { refresh, scheduled, mxStartedAt } = setup(0, {
      timing: {
        model: async () => {
          throw new Error('throttled');
        },
      },
      maxPollDelaySeconds: 900,
    });
    const { job } = await refresh.refresh({ userId: 'user-nomodel', memberGuid: 'MBR-nomodel-1' });
    expect(scheduled).toEqual([{ job_id: job.id, step: 0, due_at: mxStartedAt() + 3_000 }]);
    expect(await new ActiveJobsRepository(local.table).activeJobId(job, job.createdAt)).toBe(job.id);
  });
});

describe('RefreshService: correlation_id', () => {
  it('keeps the request’s correlation id on the job it starts, in its view and its started event', async () => {
    const { refresh, published } = setup(0);
    const { job } = await refresh.refresh({ userId: 'user-corr', memberGuid: 'MBR-corr-1', correlationId: 'order-42' });

    expect(job.correlationId).toBe('order-42');
    expect((await new JobsRepository(local.table).get(job.id))!.correlationId).toBe('order-42');
    expect(published).toEqual([
      expect.objectContaining({
        type: 'aggregation.started',
        data: expect.objectContaining({ job: expect.objectContaining({ id: job.id, correlation_id: 'order-42' }) }),
      }),
    ]);
  });

  it('shows none when the request had none, and a joining request does not change the job’s', async () => {
    const { refresh } = setup(0);
    const first = await refresh.refresh({ userId: 'user-corr', memberGuid: 'MBR-corr-2' });
    const joined = await refresh.refresh({ userId: 'user-corr', memberGuid: 'MBR-corr-2', correlationId: 'late' });

    expect(joined).toMatchObject({ joined: true, job: { id: first.job.id } });
    expect((await new JobsRepository(local.table).get(first.job.id))!.correlationId).toBeUndefined();
  });
});

describe('RefreshService: two refreshes of one member at once', () => {
  /** A refresh service whose MX aggregate call waits until the test answers it, and whose waits the test runs. */
  function racing(onWait: (ms: number) => Promise<void>) {
    const clock = new ManualClock(Date.UTC(2026, 5, 2, 8));
    const jobs = new JobsRepository(local.table);
    const pointers = new ActiveJobsRepository(local.table);
    const calls: string[] = [];
    let answer!: { resolve: (member: Member) => void; reject: (error: Error) => void };
    const refresh = new RefreshService({
      metrics: noMetrics,
      jobs,
      pointers,
      support: aggregationsOnly.support,
      refusals: aggregationsOnly.refusals,
      nexus: {
        startPremiumJob: aggregationsOnly.startPremiumJob,
        readMember: aggregationsOnly.readMember,
        aggregateMember: (_userId, memberGuid) =>
          new Promise((resolve, reject) => {
            calls.push(memberGuid);
            answer = { resolve: (member) => resolve({ member, alreadyRunning: false }), reject };
          }),
      },
      pollQueue: { schedule: async () => undefined } as unknown as DelayedQueue<PollMessage>,
      events: { publish: async () => undefined },
      clock,
      log: silentLog,
      deadlineSeconds: 1200,
      ...plainFirstPoll,
      sleep: onWait,
    });
    return { jobs, pointers, calls, refresh, answer: () => answer };
  }
  const member = (guid: string) => ({ guid, connection_status: 'CONNECTED', is_being_aggregated: true }) as Member;
  type Racing = ReturnType<typeof racing>;
  const target = (memberGuid: string) => ({ userId: 'user-race', memberGuid });

  /** A refresh of `member` that MX answers, its job then ended (the pointer still its own: its end not yet announced). */
  async function endedJob({ jobs, calls, refresh, answer }: Racing, of: ReturnType<typeof target>) {
    const first = refresh.refresh(of);
    await vi.waitFor(() => expect(calls).toHaveLength(1));
    answer().resolve(member(of.memberGuid));
    const { job } = await first;
    expect(await jobs.finish(job.id, job.step, { status: 'succeeded', polled: true, now: Date.UTC(2026, 5, 2, 8) })).toBe(true);
    return job;
  }

  /** The next refresh of `of` claims the member, calls MX and starts a job of its own. */
  async function startsItsOwn({ calls, refresh, answer }: Racing, of: ReturnType<typeof target>, ended: { id: string }) {
    const second = refresh.refresh(of);
    await vi.waitFor(() => expect(calls).toHaveLength(2));
    answer().resolve(member(of.memberGuid));
    const started = await second;
    expect(started.joined).toBe(false);
    expect(started.job.id).not.toBe(ended.id);
  }

  it('the one that loses the claim while the winner waits for MX returns the winner’s job once it is written; MX is called once', async () => {
    let first!: Promise<unknown>;
    const waits: number[] = [];
    const { jobs, pointers, calls, refresh, answer } = racing(async (ms) => {
      waits.push(ms);
      // The claim comes first and the job only once MX has answered: nothing to read yet.
      const pointer = await pointers.activeJobId({ userId: 'user-race', memberGuid: 'MBR-race-1' }, Date.UTC(2026, 5, 2, 8));
      expect(pointer).toBeDefined();
      expect(await jobs.get(pointer!)).toBeUndefined();
      answer().resolve(member('MBR-race-1'));
      await first;
    });
    first = refresh.refresh({ userId: 'user-race', memberGuid: 'MBR-race-1' });
    await vi.waitFor(() => expect(calls).toHaveLength(1));
    const second = await refresh.refresh({ userId: 'user-race', memberGuid: 'MBR-race-1' });

    const winner = (await first) as { job: { id: string }; joined: boolean };
    expect(winner.joined).toBe(false);
    expect(second).toMatchObject({ joined: true, job: { id: winner.job.id, connectionStatus: 'CONNECTED' } });
    expect(calls).toEqual(['MBR-race-1']);
    expect(waits).toEqual([JOIN_WAITS_MS[0]]);
  });

  it('when MX refuses the winner, the waiting one answers 409 (retry) as soon as the pointer is gone, and no job is left', async () => {
    let first!: Promise<unknown>;
    const { jobs, pointers, calls, refresh, answer } = racing(async () => {
      answer().reject(new Error('MX refused'));
      await first.catch(() => undefined);
    });
    first = refresh.refresh({ userId: 'user-race', memberGuid: 'MBR-race-2' });
    await vi.waitFor(() => expect(calls).toHaveLength(1));
    const pointer = await pointers.activeJobId({ userId: 'user-race', memberGuid: 'MBR-race-2' }, Date.UTC(2026, 5, 2, 8));

    await expect(refresh.refresh({ userId: 'user-race', memberGuid: 'MBR-race-2' })).rejects.toThrow(
      new ConflictError('A refresh of this member just finished; retry the request.'),
    );
    await expect(first).rejects.toThrow('MX refused');
    expect(await jobs.get(pointer!)).toBeUndefined();
    expect(
      await pointers.activeJobId({ userId: 'user-race', memberGuid: 'MBR-race-2' }, Date.UTC(2026, 5, 2, 8)),
    ).toBeUndefined();
  });

  it('a refresh finding an ended job behind the pointer (its end being announced) starts its own once the pointer goes', async () => {
    const of = target('MBR-race-4');
    const waits: number[] = [];
    let ended!: { id: string };
    const race = racing(async (ms) => {
      waits.push(ms);
      // The ended job's terminal event is out: it lets the member go.
      await race.pointers.releaseActive(of, ended.id);
    });
    ended = await endedJob(race, of);

    await startsItsOwn(race, of, ended);
    expect(waits).toEqual([JOIN_WAITS_MS[0]]);
  });

  it('a refresh whose claim loses to an ended job that lets the member go before the pointer is read claims it again', async () => {
    const of = target('MBR-race-6');
    const race = racing(async () => undefined);
    const ended = await endedJob(race, of);
    // The ended job's end is announced between the next refresh's lost claim and its read of the pointer.
    const claim = race.pointers.claimActive.bind(race.pointers);
    vi.spyOn(race.pointers, 'claimActive').mockImplementationOnce(async (...args) => {
      const won = await claim(...args);
      await race.pointers.releaseActive(of, ended.id);
      return won;
    });

    await startsItsOwn(race, of, ended);
  });

  it('an ended job that keeps the pointer (its end not yet announced) is waited for, then answered 409; MX is not called', async () => {
    const of = target('MBR-race-5');
    const waits: number[] = [];
    const race = racing(async (ms) => void waits.push(ms));
    const { calls, refresh } = race;
    await endedJob(race, of);

    await expect(refresh.refresh(of)).rejects.toThrow(
      new ConflictError('A refresh of this member is finishing; retry the request.'),
    );
    expect(waits).toEqual([...JOIN_WAITS_MS]);
    expect(calls).toHaveLength(1);
  });

  it('a pointer whose job never comes (its refresh died) is waited for JOIN_WAITS_MS in all, then answered 409', async () => {
    const waits: number[] = [];
    const { pointers, calls, refresh } = racing(async (ms) => void waits.push(ms));
    const now = Date.UTC(2026, 5, 2, 8);
    const orphan = { userId: 'user-race', memberGuid: 'MBR-race-3' };
    expect(await pointers.claimActive(orphan, 'job_orphan', now + 60_000, now)).toBe(true);

    await expect(refresh.refresh({ userId: 'user-race', memberGuid: 'MBR-race-3' })).rejects.toThrow(
      new ConflictError('A refresh of this member is starting; retry the request.'),
    );
    expect(waits).toEqual([...JOIN_WAITS_MS]);
    expect(calls).toEqual([]);
  });
});

describe("RefreshService: another user's member", () => {
  it("a refresh naming another user's member, waiting for MX, neither blocks the owner's refresh nor shows its job", async () => {
    const { pointers, refresh } = racingByUser();
    // Mallory names bob's member under her own user id; MX takes its time to refuse her.
    const mallory = refresh.refresh({ userId: 'mallory', memberGuid: 'MBR-cross-1' });
    const bob = refresh.refresh({ userId: 'bob', memberGuid: 'MBR-cross-1' });
    await vi.waitFor(() => expect(pending.map((call) => call.userId).sort()).toEqual(['bob', 'mallory']));
    pending.find((call) => call.userId === 'bob')!.resolve();
    const started = await bob;
    expect(started.joined).toBe(false);

    pending.find((call) => call.userId === 'mallory')!.reject(new NotFoundError('MX: no such member'));
    await expect(mallory).rejects.toThrow('MX: no such member');
    // While bob's job runs, mallory's next try reaches MX again and gets MX's answer, as for an unknown member.
    const again = refresh.refresh({ userId: 'mallory', memberGuid: 'MBR-cross-1' });
    await vi.waitFor(() => expect(pending.filter((call) => call.userId === 'mallory')).toHaveLength(2));
    pending.filter((call) => call.userId === 'mallory')[1]!.reject(new NotFoundError('MX: no such member'));
    await expect(again).rejects.toThrow('MX: no such member');

    const now = Date.UTC(2026, 5, 2, 8);
    expect(await pointers.activeJobId({ userId: 'bob', memberGuid: 'MBR-cross-1' }, now)).toBe(started.job.id);
    expect(await pointers.activeJobId({ userId: 'mallory', memberGuid: 'MBR-cross-1' }, now)).toBeUndefined();
    // MX's webhooks name the member only: they find bob's job.
    expect(await pointers.activeJobIdsOfMember('MBR-cross-1', now)).toEqual([started.job.id]);
  });

  let pending: { userId: string; resolve: () => void; reject: (error: Error) => void }[];
  function racingByUser() {
    pending = [];
    const clock = new ManualClock(Date.UTC(2026, 5, 2, 8));
    const jobs = new JobsRepository(local.table);
    const pointers = new ActiveJobsRepository(local.table);
    const refresh = new RefreshService({
      metrics: noMetrics,
      jobs,
      pointers,
      support: aggregationsOnly.support,
      refusals: aggregationsOnly.refusals,
      nexus: {
        startPremiumJob: aggregationsOnly.startPremiumJob,
        readMember: aggregationsOnly.readMember,
        aggregateMember: (userId, memberGuid) =>
          new Promise((resolve, reject) => {
            const member = { guid: memberGuid, connection_status: 'CONNECTED', is_being_aggregated: true } as Member;
            pending.push({ userId, resolve: () => resolve({ member, alreadyRunning: false }), reject });
          }),
      },
      pollQueue: { schedule: async () => undefined } as unknown as DelayedQueue<PollMessage>,
      events: { publish: async () => undefined },
      clock,
      log: silentLog,
      deadlineSeconds: 1200,
      ...plainFirstPoll,
      sleep: async () => undefined,
    });
    return { pointers, refresh };
  }
});
