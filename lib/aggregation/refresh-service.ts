import { setTimeout as sleep } from 'node:timers/promises';
import type { Clock } from '../clock.ts';
import { ConflictError } from '../errors.ts';
import type { Log } from '../logger.ts';
import type { AggregationMetrics } from './aggregation-metrics.ts';
import type { NexusClient } from '../mx/nexus-client.ts';
import type { DelayedQueue } from '../queue/delayed-queue.ts';
import type { PollMessage } from '../queue/poll-message.ts';
import type { ActiveJobsRepository } from './active-jobs-repo.ts';
import type { JobsRepository } from './jobs-repo.ts';
import type { AggregationEvents } from './aggregation-events.ts';
import { startedEvent } from './job-events.ts';
import { isMxStarted, type Job, type JobKind, type JobTrigger, newJobId } from './job.ts';
import { isPremium, JobNotSupportedError, type JobSupport, PREMIUM_KINDS } from './job-support.ts';
import { lacksPfm, type PfmRefusalsRepository, UseCaseNotPermittedError } from './pfm-refusals-repo.ts';
import { MxError } from '../mx/errors.ts';
import { classifyMember } from '../mx/connection-status.ts';
import { snapshotOf } from './member-snapshot.ts';
import type { Member } from '../mx/member.ts';
import type { DurationModel } from './duration-model.ts';
import type { InstitutionTiming } from './institution-timing.ts';
import { MIN_POLL_DELAY_SECONDS, nextPollAt } from './poll-schedule.ts';
import type { PushCoverage } from './push-coverage.ts';

export interface RefreshRequest {
  userId: string;
  memberGuid: string;
  kind?: JobKind;
  includeHoldings?: boolean;
  includeTransactions?: boolean;
  /** Kept on a job this request starts (a joined job keeps its own). */
  correlationId?: string;
}

export interface RefreshDeps {
  jobs: JobsRepository;
  /** The member's active-job pointer: one job per member, claimed before MX is called. */
  pointers: ActiveJobsRepository;
  nexus: Pick<NexusClient, 'aggregateMember' | 'startPremiumJob' | 'readMember'>;
  support: Pick<JobSupport, 'check'>;
  /** Members MX will not aggregate (no PFM), as MX last said: refused before MX is asked again. */
  refusals: Pick<PfmRefusalsRepository, 'lookup' | 'record'>;
  pollQueue: DelayedQueue<PollMessage>;
  events: AggregationEvents;
  clock: Clock;
  log: Log;
  deadlineSeconds: number;
  metrics: AggregationMetrics;
  trigger?: Extract<JobTrigger, 'refresh' | 'refresh_request'>;
  timing: Pick<InstitutionTiming, 'model'>;
  coverage: Pick<PushCoverage, 'covered'>;
  maxPollDelaySeconds: number;
  sleep?: (ms: number) => Promise<void>;
}

/** A job's active pointer outlives its deadline by this much, so the poll loop always ends it first. */
export const ACTIVE_POINTER_GRACE_MS = 5 * 60_000;

/** A refresh finding the pointer held by a job not yet written (its holder waits for MX) rereads after each, then 409s. */
export const JOIN_WAITS_MS = [100, 200, 400, 800, 1_600] as const;

/**
 * Starts an aggregation, or joins the one running. One active job per member: the job's id claims the member's pointer
 * with a conditional put before MX is called, under the request's user, so a request naming another user's member
 * neither blocks nor reveals the owner's job. A refresh that loses the claim joins the holder's job without calling MX.
 */
export class RefreshService {
  readonly #sleep: (ms: number) => Promise<void>;

  constructor(private readonly deps: RefreshDeps) {
    this.#sleep = deps.sleep ?? ((ms) => sleep(ms));
  }

  async refresh(request: RefreshRequest): Promise<{ job: Job; joined: boolean }> {
    const kind = request.kind ?? 'aggregation';
    await this.#refuseBeforeMx(request, kind);
    const claim = await this.#claim(request, kind);
    if ('joined' in claim) return claim.joined;
    const { jobId, now } = claim;
    const { pointers } = this.deps;

    let started: Member;
    try {
      started = await this.#start(request, kind);
    } catch (error) {
      // MX did not start anything: free the member, so the next refresh tries afresh.
      await pointers.releaseActive(request, jobId);
      throw error;
    }
    const job = await this.#open(request, jobId, now, started, this.deps.trigger ?? 'refresh', kind);
    return { job, joined: false };
  }

  /** What MX is known to refuse is refused without asking MX. */
  async #refuseBeforeMx(request: RefreshRequest, kind: JobKind): Promise<void> {
    const { support, metrics } = this.deps;
    try {
      if (isPremium(kind)) await support.check(request.userId, request.memberGuid, kind);
      else await this.#refuseWithoutPfm(request);
    } catch (error) {
      if (error instanceof JobNotSupportedError) metrics.add('JobsRefused', 1, { reason: 'not_supported' });
      if (error instanceof UseCaseNotPermittedError) metrics.add('JobsRefused', 1, { reason: 'no_pfm' });
      throw error;
    }
  }

  /** An unseen member is read from MX first, so its first refresh is refused too. */
  async #refuseWithoutPfm(request: RefreshRequest): Promise<void> {
    const { refusals, clock, nexus } = this.deps;
    const { since, seen } = await refusals.lookup(request, clock.now());
    if (since !== undefined) throw new UseCaseNotPermittedError(since);
    if (seen) return;
    const member = await nexus.readMember(request.userId, request.memberGuid);
    if (!lacksPfm(member.use_cases)) return;
    const now = clock.now();
    await refusals.record(request, now);
    throw new UseCaseNotPermittedError(now);
  }

  async #start(request: RefreshRequest, kind: JobKind): Promise<Member> {
    const { nexus } = this.deps;
    if (isPremium(kind)) {
      return nexus.startPremiumJob(request.userId, request.memberGuid, PREMIUM_KINDS[kind].job, {
        includeTransactions: kind === 'history' || kind === 'balance' ? undefined : request.includeTransactions,
      });
    }
    try {
      const { member } = await nexus.aggregateMember(request.userId, request.memberGuid, {
        includeHoldings: request.includeHoldings,
        includeTransactions: request.includeTransactions,
      });
      return member;
    } catch (error) {
      // The member's use cases leave out PFM: later refreshes are refused without asking MX.
      if (error instanceof MxError && error.code === 'MX_FORBIDDEN') {
        await this.deps.refusals.record(request, this.deps.clock.now()).catch(() => undefined);
      }
      throw error;
    }
  }

  /** A job for an aggregation MX started on its own accord; joins the member's active job when there is one. */
  async follow(
    request: { userId: string; memberGuid: string },
    member: Member,
    trigger: Exclude<JobTrigger, 'refresh' | 'refresh_request'>,
    jobId?: string,
  ): Promise<{ job: Job; joined: boolean }> {
    const claim = await this.#claim(request, 'aggregation', jobId);
    if ('joined' in claim) return claim.joined;
    return { job: await this.#open(request, claim.jobId, claim.now, member, trigger, 'aggregation'), joined: false };
  }

  /**
   * The member's pointer for a new job, or the running job of the same kind (joined); of another kind, a conflict. A
   * new refresh never joins a job that has ended: it waits for its pointer to go and claims it then, once.
   */
  async #claim(
    request: Pick<RefreshRequest, 'userId' | 'memberGuid'>,
    kind: JobKind,
    givenJobId?: string,
  ): Promise<{ jobId: string; now: number } | { joined: { job: Job; joined: true } }> {
    const { pointers, clock } = this.deps;
    for (let attempt = 0; ; attempt++) {
      const now = clock.now();
      const jobId = givenJobId ?? newJobId(now);
      const deadlineAt = now + this.deps.deadlineSeconds * 1000;
      if (await pointers.claimActive(request, jobId, deadlineAt + ACTIVE_POINTER_GRACE_MS, now)) return { jobId, now };
      const active = await this.#activeJobFor(request);
      if (active !== 'ended' && active.kind !== kind) {
        throw new ConflictError(
          `The member's ${active.kind} (${active.id}) is running: MX runs one job per member; retry once it ends.`,
        );
      }
      if (active !== 'ended') return { joined: { job: active, joined: true } };
      if (attempt === 1) throw new ConflictError('A refresh of this member just finished; retry the request.');
    }
  }

  async #open(
    request: Pick<RefreshRequest, 'userId' | 'memberGuid' | 'correlationId'>,
    jobId: string,
    now: number,
    started: Member,
    trigger: JobTrigger,
    kind: JobKind,
  ): Promise<Job> {
    const { jobs, pointers, clock } = this.deps;
    const job: Job = {
      id: jobId,
      userId: request.userId,
      memberGuid: request.memberGuid,
      kind,
      status: 'aggregating',
      trigger,
      connectionStatus: started.connection_status ?? null,
      member: snapshotOf(started),
      step: 0,
      polls: 0,
      pollErrors: 0,
      createdAt: now,
      updatedAt: now,
      deadlineAt: now + this.deps.deadlineSeconds * 1000,
      nextPollAt: now + MIN_POLL_DELAY_SECONDS * 1000,
      ...(request.correlationId === undefined ? {} : { correlationId: request.correlationId }),
    };
    // An aggregation MX has already finished when the relay learns of it has only its end, which its caller takes from
    // the same read (`MemberWatch.aggregationReported`); if that fails, the sweeper polls the stalled job.
    const endedAtMx = isMxStarted(trigger) && classifyMember(started) !== 'in_progress';
    if (!endedAtMx) job.nextPollAt = await this.#firstPollAt(job, started);
    try {
      await jobs.create(job);
    } catch (error) {
      // No job follows MX's aggregation: free the member, so a retried refresh can.
      await pointers.releaseActive(request, jobId).catch(() => undefined);
      throw error;
    }
    if (!endedAtMx) {
      await this.deps.pollQueue.schedule({ job_id: job.id, step: job.step, due_at: job.nextPollAt });
      await this.deps.events.publish(startedEvent(job, clock.now()));
    }
    // The line that ties a client's request id to its job.
    this.deps.log.info(`${kind} started`, { job_id: job.id, member_guid: job.memberGuid, trigger, kind });
    this.deps.metrics.add('JobsStarted', 1, { trigger, kind });
    return job;
  }

  /** Timed from MX's answer, not the job's write. The aggregation has started: failing inputs fall back to the minimum. */
  async #firstPollAt(job: Job, member: Member): Promise<number> {
    const { clock, timing, coverage } = this.deps;
    let model: DurationModel | undefined;
    let pushCovered = false;
    try {
      model = await timing.model(member);
      pushCovered = await coverage.covered();
    } catch (error) {
      this.deps.log.warn('first poll planned without the institution model', { job_id: job.id, error: String(error) });
    }
    return nextPollAt({
      now: clock.now(),
      pollIndex: 0,
      startedAt: job.createdAt,
      deadlineAt: job.deadlineAt,
      maxDelaySeconds: this.deps.maxPollDelaySeconds,
      model,
      pushCovered,
    });
  }

  /**
   * The running job behind the member's pointer, or `ended` once an ended job behind it has let it go — or once the
   * pointer our claim lost to is gone before it could be read (its holder's end had just been announced).
   */
  async #activeJobFor(request: Pick<RefreshRequest, 'userId' | 'memberGuid'>): Promise<Job | 'ended'> {
    const { jobs, pointers, clock } = this.deps;
    const activeId = await pointers.activeJobId(request, clock.now());
    if (activeId === undefined) return 'ended';
    for (let waited = 0; ; waited++) {
      const active = await jobs.get(activeId);
      if (active?.status === 'aggregating') return active;
      // Its holder is still waiting for MX (no job yet), or announcing its end: wait while the pointer names it.
      if (waited === JOIN_WAITS_MS.length) {
        throw new ConflictError(`A refresh of this member is ${active ? 'finishing' : 'starting'}; retry the request.`);
      }
      await this.#sleep(JOIN_WAITS_MS[waited]!);
      if ((await pointers.activeJobId(request, clock.now())) !== activeId) {
        if (active) return 'ended';
        // MX refused its holder: the member is free, but not ours to try at MX again at once.
        throw new ConflictError('A refresh of this member just finished; retry the request.');
      }
    }
  }
}
