import { setTimeout as sleep } from 'node:timers/promises';
import type { Clock } from '../clock.ts';
import { ConflictError } from '../errors.ts';
import type { Log } from '../logger.ts';
import type { MetricsSink } from '../metrics.ts';
import type { NexusClient } from '../mx/nexus-client.ts';
import type { DelayedQueue } from '../queue/delayed-queue.ts';
import type { PollMessage } from '../queue/poll-message.ts';
import type { ActiveJobsRepository } from './active-jobs-repo.ts';
import type { JobsRepository } from './jobs-repo.ts';
import type { EventSink } from '../notify/events.ts';
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
  /** MX's job to start: an aggregation (the default) or a premium one (lib/aggregation/job-support.ts). */
  kind?: JobKind;
  includeHoldings?: boolean;
  includeTransactions?: boolean;
  /** The requester's own id for this refresh; kept on a job this request starts (a joined job keeps its own). */
  correlationId?: string;
}

export interface RefreshDeps {
  jobs: JobsRepository;
  /** The member's active-job pointer: one job per member, claimed before MX is called. */
  pointers: ActiveJobsRepository;
  nexus: Pick<NexusClient, 'aggregateMember' | 'startPremiumJob' | 'readMember'>;
  /** Refuses a premium job the member's institution does not support, before MX is asked to start it. */
  support: Pick<JobSupport, 'check'>;
  /** Members MX will not aggregate (no PFM), as MX last said: refused before MX is asked again. */
  refusals: Pick<PfmRefusalsRepository, 'lookup' | 'record'>;
  pollQueue: DelayedQueue<PollMessage>;
  events: EventSink;
  clock: Clock;
  log: Log;
  deadlineSeconds: number;
  metrics: MetricsSink;
  /** Who asks for the refreshes this service starts: a refresh over HTTP (the default) or a refresh request. */
  trigger?: Extract<JobTrigger, 'refresh' | 'refresh_request'>;
  /**
   * What the first poll's time is planned with, as every later one is (poll-schedule.ts): the institution's learned
   * durations and whether MX's pushes announce the ends.
   */
  timing: Pick<InstitutionTiming, 'model'>;
  coverage: Pick<PushCoverage, 'covered'>;
  maxPollDelaySeconds: number;
  /** How a refresh joining a job not yet written waits (JOIN_WAITS_MS); a timer by default. */
  sleep?: (ms: number) => Promise<void>;
}

/** A job's active pointer outlives its deadline by this much, so the poll loop always ends it first. */
export const ACTIVE_POINTER_GRACE_MS = 5 * 60_000;

/**
 * A refresh that finds the member's pointer held by a job not yet written (its holder is waiting for MX) reads it
 * again after each of these waits, then answers 409 (retry): 3.1 s in all, longer than MX usually takes to answer.
 */
export const JOIN_WAITS_MS = [100, 200, 400, 800, 1_600] as const;

/**
 * Starts an aggregation, or joins the one already running for the member. One active job per member: the job's id
 * claims the member's active pointer with a conditional put before MX is called (the pointer of the member under the
 * request's user: MX has not yet said the member is that user's, and a request naming another user's member must
 * neither block nor reveal the owner's job — MX refuses it as it refuses an unknown member); the job is written once MX has
 * answered, started and all, in one put. A concurrent refresh that loses the claim finds the job's id behind the
 * pointer and returns that job — waiting for it while its holder waits for MX (JOIN_WAITS_MS) — without calling MX.
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

  /** What MX is known to refuse is refused here, MX not asked: a job the institution lacks, an aggregation without PFM. */
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

  /**
   * An aggregation of a member whose use cases leave out PFM (MX's 403), as MX last said; a member the relay has
   * never seen is read from MX first (once: its first job's end records it), so its first refresh is refused too.
   */
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

  /** Asks MX to start the job; its answer (or, without one, the member read after it). */
  async #start(request: RefreshRequest, kind: JobKind): Promise<Member> {
    const { nexus } = this.deps;
    if (isPremium(kind)) {
      return nexus.startPremiumJob(request.userId, request.memberGuid, PREMIUM_KINDS[kind].job, {
        includeTransactions: kind === 'history' ? undefined : request.includeTransactions,
      });
    }
    try {
      const { member } = await nexus.aggregateMember(request.userId, request.memberGuid, {
        includeHoldings: request.includeHoldings,
        includeTransactions: request.includeTransactions,
      });
      return member;
    } catch (error) {
      // MX's 403: the member's use cases leave out PFM. The next refreshes are refused without asking MX again.
      if (error instanceof MxError && error.code === 'MX_FORBIDDEN') {
        await this.deps.refusals.record(request, this.deps.clock.now()).catch(() => undefined);
      }
      throw error;
    }
  }

  /**
   * A job for an aggregation MX has started on its own accord: on a member created, or updated with credentials,
   * through the relay (`member`: MX's answer), or on its own (lib/aggregation/member-watch.ts, which names the job
   * `jobId` it has taken the aggregation for). Joins the member's active job when there is one.
   */
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
   * The member's active pointer for a new job, or the running job holding it (joined) when it is of the same kind —
   * of another, a conflict, as MX runs one job per member (its 409). A job that has ended keeps the pointer until its
   * terminal event is out: the refresh waits for it to go and claims it then, once — a new refresh never joins a job
   * that has ended.
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

  /** Writes the job for an aggregation MX has started (`started`: its answer), schedules its first poll, announces it. */
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
    job.nextPollAt = await this.#firstPollAt(job, started);
    try {
      await jobs.create(job);
    } catch (error) {
      // MX is aggregating but no job follows it: free the member, so a retried refresh can (MX answers it in progress).
      await pointers.releaseActive(request, jobId).catch(() => undefined);
      throw error;
    }
    await this.deps.pollQueue.schedule({ job_id: job.id, step: job.step, due_at: job.nextPollAt });
    // An aggregation MX has already finished when the relay learns of it (a report, the reconcile) has only its end.
    if (!isMxStarted(trigger) || classifyMember(started) === 'in_progress') {
      await this.deps.events.publish(startedEvent(job, clock.now()));
    }
    // With the request id of the call that started it (log context): the line that ties a client's request to its job.
    this.deps.log.info(`${kind} started`, { job_id: job.id, member_guid: job.memberGuid, trigger, kind });
    this.deps.metrics.add('JobsStarted', 1, { trigger, kind });
    return job;
  }

  /**
   * From when MX answered, not from when the job was written (the call may have waited for a rate slot in
   * events-refresh, and MX must not be read sooner than 3 s after it started the aggregation), on the schedule every
   * later poll follows. The aggregation has started: a failure to read the schedule's inputs falls back to 3 s.
   */
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

  /** The running job behind the member's pointer, or `ended` once an ended job behind it has let it go. */
  async #activeJobFor(request: Pick<RefreshRequest, 'userId' | 'memberGuid'>): Promise<Job | 'ended'> {
    const { jobs, pointers, clock } = this.deps;
    const activeId = await pointers.activeJobId(request, clock.now());
    for (let waited = 0; activeId !== undefined; waited++) {
      const active = await jobs.get(activeId);
      if (active?.status === 'aggregating') return active;
      // Its holder is still waiting for MX (no job yet), or announcing its end: wait while the pointer names it.
      if (waited === JOIN_WAITS_MS.length) {
        throw new ConflictError(`A refresh of this member is ${active ? 'finishing' : 'starting'}; retry the request.`);
      }
      await this.#sleep(JOIN_WAITS_MS[waited]!);
      if ((await pointers.activeJobId(request, clock.now())) !== activeId) {
        if (active) return 'ended';
        break;
      }
    }
    // The holder finished (or MX refused it) between our claim and this read: the member is free again, but do not loop here.
    throw new ConflictError('A refresh of this member just finished; retry the request.');
  }
}
