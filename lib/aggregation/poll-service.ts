import type { Clock } from '../clock.ts';
import { NexusRelayError } from '../errors.ts';
import type { Log } from '../logger.ts';
import type { AggregationMetrics, Detector } from './aggregation-metrics.ts';
import { classifyMember } from '../mx/connection-status.ts';
import { MxError } from '../mx/errors.ts';
import type { Member } from '../mx/member.ts';
import type { NexusClient } from '../mx/nexus-client.ts';
import type { DelayedQueue } from '../queue/delayed-queue.ts';
import type { PollMessage } from '../queue/poll-message.ts';
import type { ActiveJobsRepository } from './active-jobs-repo.ts';
import type { AttentionRepository } from './attention-repo.ts';
import type { JobsRepository } from './jobs-repo.ts';
import type { AggregationEvents } from './aggregation-events.ts';
import { terminalEvent } from './job-events.ts';
import type { Job, TerminalStatus } from './job.ts';
import { lacksPfm, type PfmRefusalsRepository } from './pfm-refusals-repo.ts';
import { snapshotOf } from './member-snapshot.ts';
import type { InstitutionTiming } from './institution-timing.ts';
import { nextPollAt } from './poll-schedule.ts';
import type { PushCoverage } from './push-coverage.ts';
import type { MemberStatesRepository } from './member-states-repo.ts';
import type { JobOutcomeCounts } from './job-outcome-counts.ts';
import type { MemberLedger } from './member-ledger.ts';

/** What reacts to a job's end once it is announced and its member freed. */
export interface JobEndListener {
  jobEnded(job: Job): Promise<void>;
}

export interface PollDeps {
  jobs: JobsRepository;
  refusals: Pick<PfmRefusalsRepository, 'record'>;
  /** Held until the terminal event is out: a redelivery sees an unfinished announcement. */
  pointers: ActiveJobsRepository;
  attention: Pick<AttentionRepository, 'markForAttention'>;
  nexus: Pick<NexusClient, 'readMember' | 'listMemberChallenges'>;
  pollQueue: DelayedQueue<PollMessage>;
  events: AggregationEvents;
  clock: Clock;
  log: Log;
  timing: Pick<InstitutionTiming, 'model' | 'learn'>;
  maxPollDelaySeconds: number;
  coverage: Pick<PushCoverage, 'covered' | 'recordEnd'>;
  outcomes: Pick<JobOutcomeCounts, 'count'>;
  ledger: Pick<MemberLedger, 'jobEnded'>;
  /** Told last, after the event is out and the member free. */
  ended?: JobEndListener;
  histories: Pick<MemberStatesRepository, 'historyCompleted'>;
  metrics: AggregationMetrics;
}

/** Hands a message back to SQS for a later delivery (a batch item failure). */
export class RetryLaterError extends NexusRelayError {
  constructor(message: string) {
    super('RETRY_LATER', message);
    this.name = 'RetryLaterError';
  }
}

/** How long after a step's next poll was due we conclude its message was lost and send it again. */
const LOST_MESSAGE_GRACE_MS = 5_000;

export type StepVerdict = 'apply' | 'stale' | 'retry_later' | 'resend_current';

/**
 * The step just before is a duplicate, or a retry whose next message was never sent: we cannot tell until the next poll
 * is overdue, so hand it back until then; after, the next message was lost: resend it (a duplicate is harmless).
 */
export function judgeStep(messageStep: number, job: Pick<Job, 'step' | 'nextPollAt'>, nowMs: number): StepVerdict {
  if (messageStep === job.step) return 'apply';
  if (messageStep === job.step - 1) return nowMs < job.nextPollAt + LOST_MESSAGE_GRACE_MS ? 'retry_later' : 'resend_current';
  return 'stale';
}

/** How long after MX's `successfully_aggregated_at` the relay knew; an older stamp than the job is the previous aggregation's. */
export function detectionLagMs(
  job: Pick<Job, 'createdAt'>,
  status: TerminalStatus,
  member: Pick<Member, 'successfully_aggregated_at'> | undefined,
  nowMs: number,
): number | undefined {
  if (status !== 'succeeded' || !member?.successfully_aggregated_at) return undefined;
  const finishedAt = Date.parse(member.successfully_aggregated_at);
  if (!Number.isFinite(finishedAt) || finishedAt < job.createdAt - 1_000) return undefined;
  return Math.max(0, nowMs - finishedAt);
}

/** MX answers that mean the member cannot be aggregated at all; anything else is ridden out until the deadline. */
const PERMANENT_MX_ERRORS = new Set(['MX_NOT_FOUND', 'MX_FORBIDDEN', 'MX_BAD_REQUEST', 'MX_CREDENTIALS_REFUSED']);

/**
 * One step of the poll loop. Every write is conditional on the step, so duplicate and stale SQS deliveries change
 * nothing, and the terminal transition is won by exactly one delivery, which publishes the terminal event.
 */
export class PollService {
  constructor(private readonly deps: PollDeps) {}

  /** `read`: the member as its caller just read it from MX, not read again. */
  async handle(message: PollMessage, read?: Member): Promise<void> {
    const { jobs, pointers, pollQueue, clock, log } = this.deps;
    if (await pollQueue.deferIfEarly(message)) return;
    const job = await jobs.get(message.job_id);
    if (!job) {
      log.warn('poll for an unknown job', { job_id: message.job_id });
      return;
    }
    if (job.status !== 'aggregating') {
      // The ending step again: its announcement is unfinished while the job holds the pointer; finishing is idempotent.
      if (message.step === job.step && (await pointers.holdsActive(job, job.id))) await this.#notify(job);
      return;
    }
    switch (judgeStep(message.step, job, clock.now())) {
      case 'stale':
        return;
      case 'retry_later':
        throw new RetryLaterError(
          `job ${job.id} is at step ${job.step}; step ${message.step} is retried once the next poll is overdue`,
        );
      case 'resend_current':
        log.warn('poll message lost; sending it again', { job_id: job.id, step: job.step });
        await pollQueue.schedule({ job_id: job.id, step: job.step, due_at: clock.now() });
        return;
      case 'apply':
        await this.#poll(job, message.detected_by ?? 'poll', read);
    }
  }

  async #poll(job: Job, detector: Detector, read?: Member): Promise<void> {
    const { jobs, clock, log } = this.deps;
    let member: Member | undefined = read;
    try {
      member ??= await this.deps.nexus.readMember(job.userId, job.memberGuid);
    } catch (error) {
      if (!(error instanceof MxError)) throw error;
      log.warn('poll could not read the member', { job_id: job.id, code: error.code, status: error.status });
      if (PERMANENT_MX_ERRORS.has(error.code)) return this.#finish(job, 'failed', undefined, detector);
    }

    const now = clock.now();
    const outcome = member ? classifyMember(member) : 'in_progress';
    if (outcome !== 'in_progress') return this.#finish(job, outcome, member, detector);
    if (now >= job.deadlineAt) return this.#finish(job, 'timed_out', member, detector);

    const dueAt = nextPollAt({
      now,
      pollIndex: job.polls + 1,
      startedAt: job.createdAt,
      deadlineAt: job.deadlineAt,
      maxDelaySeconds: this.deps.maxPollDelaySeconds,
      model: member && (await this.deps.timing.model(member)),
      pushCovered: await this.deps.coverage.covered(),
    });
    const advanced = await jobs.advance(job.id, job.step, {
      member: member && snapshotOf(member),
      pollError: member === undefined,
      nextPollAt: dueAt,
      now,
    });
    if (advanced) await this.deps.pollQueue.schedule({ job_id: job.id, step: job.step + 1, due_at: dueAt });
  }

  async #finish(job: Job, status: TerminalStatus, member: Member | undefined, detector: Detector): Promise<void> {
    const challenges = member?.connection_status === 'CHALLENGED' ? await this.#challengesOf(job) : undefined;
    const now = this.deps.clock.now();
    const snapshot = member ? snapshotOf(member) : job.member;
    // Recorded before the job ends, so a report of its aggregation, and a retry of this step, find it.
    const mxAggregated = snapshot && (await this.deps.ledger.jobEnded(job, snapshot));
    // Listed first: a retry of this step writes it again, never misses it.
    if (status !== 'succeeded') await this.deps.attention.markForAttention(job.id, now);
    const won = await this.deps.jobs.finish(job.id, job.step, {
      status,
      member: snapshot,
      challenges,
      polled: member !== undefined,
      ...(mxAggregated === undefined ? {} : { mxAggregated }),
      now,
    });
    if (!won) return;
    if (member && lacksPfm(member.use_cases)) await this.deps.refusals.record(job, now);
    // A premium job's time would blur the institution's model.
    if (status === 'succeeded' && member && job.kind === 'aggregation') await this.deps.timing.learn(member, now - job.createdAt);
    // Push coverage counts only the ends MX documents a foreground push for (none for an identification's success).
    const pushed = status === 'action_required' || (status === 'succeeded' && job.kind !== 'identification');
    if (pushed && job.trigger !== 'mx_background') await this.deps.coverage.recordEnd();
    const lagMs = detectionLagMs(job, status, member, now);
    this.#recordEnd(job, status, detector, now, lagMs);
    this.deps.log.info(`${job.kind} finished`, {
      job_id: job.id,
      kind: job.kind,
      status,
      connection_status: snapshot?.connection_status,
      detected_by: detector,
      duration_ms: now - job.createdAt,
      polls: job.polls + (member ? 1 : 0),
      ...(lagMs === undefined ? {} : { detection_lag_ms: lagMs }),
    });
    await this.#notify({
      ...job,
      status,
      member: snapshot,
      challenges,
      connectionStatus: snapshot?.connection_status ?? job.connectionStatus,
      finishedAt: now,
      updatedAt: now,
      ...(mxAggregated === undefined ? {} : { mxAggregated }),
    });
  }

  #recordEnd(job: Job, outcome: TerminalStatus, detector: Detector, now: number, lagMs: number | undefined): void {
    const metrics = this.deps.metrics;
    metrics.add('JobsEnded', 1, { outcome, detected_by: detector, kind: job.kind });
    this.deps.outcomes.count(outcome, now);
    metrics.add('JobDuration', now - job.createdAt, { outcome });
    metrics.add('PollsPerJob', job.polls + 1, { outcome });
    if (lagMs !== undefined) metrics.add('DetectionLag', lagMs, { detected_by: detector });
  }

  /** The member's MFA questions; without them the client still learns `action_required` and can ask again. */
  async #challengesOf(job: Job) {
    try {
      return await this.deps.nexus.listMemberChallenges(job.userId, job.memberGuid);
    } catch (error) {
      if (!(error instanceof MxError)) throw error;
      this.deps.log.warn('could not list the challenges of a challenged member', { job_id: job.id, code: error.code });
      return undefined;
    }
  }

  /**
   * Publishes the terminal event, then frees the member. The pointer goes only once the event is out: a terminal job
   * still behind its pointer tells redeliveries and the sweeper to publish again; freed first, that job would be lost.
   */
  async #notify(job: Job): Promise<void> {
    await this.deps.events.publish(terminalEvent(job, job.finishedAt ?? this.deps.clock.now()));
    await this.deps.pointers.releaseActive(job, job.id);
    // After the release: the member is free for its next refresh while transactions are taken in.
    if (job.status === 'succeeded' && job.kind === 'history') {
      await this.deps.histories.historyCompleted(job.userId, job.memberGuid, job.finishedAt ?? this.deps.clock.now());
    }
    await this.deps.ended?.jobEnded(job);
  }
}
