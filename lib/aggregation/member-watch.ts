import type { Clock } from '../clock.ts';
import type { Log } from '../logger.ts';
import type { Detector, MetricsSink } from '../metrics.ts';
import { classifyMember } from '../mx/connection-status.ts';
import { MxError } from '../mx/errors.ts';
import type { Member } from '../mx/member.ts';
import type { NexusClient } from '../mx/nexus-client.ts';
import type { DelayedQueue } from '../queue/delayed-queue.ts';
import type { MemberReport, MxHintsMessage, ReconcileMessage } from '../queue/poll-message.ts';
import type { MxHint, MxHints, MxHintsRepository } from './mx-hints-repo.ts';
import type { ReconcileRepository } from './reconcile-repo.ts';
import { judgeTurn } from './reconcile-turn.ts';
import { type MxStartedTrigger, newJobId } from './job.ts';
import type { JobsRepository } from './jobs-repo.ts';
import type { MemberLedger } from './member-ledger.ts';
import type { MemberStatesRepository } from './member-states-repo.ts';
import type { PollService } from './poll-service.ts';
import type { RefreshService } from './refresh-service.ts';

export interface MemberWatchDeps {
  states: Pick<
    MemberStatesRepository,
    'get' | 'claimAggregation' | 'followedBy' | 'gone' | 'needingUserOf' | 'seenOf' | 'deleteAll'
  >;
  nexus: Pick<NexusClient, 'readMember' | 'listMembers'>;
  /**
   * RECONCILE_INTERVAL_MINUTES in ms, when the reconcile is on: for a read whose message does not say when the user's
   * previous turn was (sent before it did), a member seen first is news if aggregated within one interval.
   */
  reconcileIntervalMs?: number;
  /**
   * MX's user guids of the users on the reconcile's schedule, learnt only from MX's own answers read as the user (a
   * member list, a member read), read to place a CONNECTION_STATUS (which names the user by MX's guid only) for a
   * member no job has followed.
   */
  userGuids?: Pick<ReconcileRepository, 'mxUserGuid' | 'learnMxUser' | 'usersOfMxUser'>;
  /** Where a reconcile read is noted (the schedule: a user read lately is not read again for a while). */
  reads?: Pick<ReconcileRepository, 'noteRead' | 'turnFacts'>;
  /** The users apps are served (their reconcile items, written by every app's session): MX's webhooks name no other. */
  served: Pick<ReconcileRepository, 'turnFacts'>;
  /** MX's webhooks about a user, gathered for one read (one per user per HINT_WINDOW_MS), and that read's queue. */
  hints: Pick<MxHintsRepository, 'add' | 'unschedule' | 'take' | 'done'>;
  hintReads: Pick<DelayedQueue<MxHintsMessage>, 'schedule'>;
  jobs: Pick<JobsRepository, 'get' | 'latestForMember'>;
  refresh: Pick<RefreshService, 'follow'>;
  /**
   * Runs the poll step of a job now: an MX-started job whose end MX already shows ends at once, from the read that
   * showed it (MX's report, or the reconcile's list), found by what showed it.
   */
  poll: Pick<PollService, 'handle'>;
  /** Where MX's deletions are taken in once MX confirms them (the transactions slice; without it they are dropped). */
  transactions?: {
    confirmRemovals(userId: string, guids: readonly string[]): Promise<{ removed: number } | undefined>;
    memberGone(userId: string, memberGuid: string): Promise<boolean>;
  };
  /** Forgets a user's copies of its transactions, a batch a call (the transactions slice). */
  forgetting?: { forget(userId: string, resetSeq?: number): Promise<{ done: boolean; resetSeq?: number }> };
  /** Where what a read shows is recorded and a changed status announced. */
  ledger: Pick<MemberLedger, 'observe'>;
  clock: Clock;
  log: Log;
  metrics: MetricsSink;
}

export type AggregationReport = 'opened' | 'joined' | 'known' | 'member_gone' | 'not_aggregated';

/** How long hints about a user gather before the one read that confirms them: MX's own shortest poll interval. */
export const HINT_WINDOW_MS = 3_000;

/**
 * What the relay learns of members outside its own refreshes. An aggregation MX reports (its AGGREGATION webhook, or
 * a change the reconcile finds) becomes a job like a refresh's, unless one already follows it: the aggregation is
 * named by MX's `aggregated_at`, taken in the member's state with a conditional write, so duplicate and late reports
 * — and a report of an aggregation a relay job follows — open nothing. A connection status that differs from the one
 * recorded is announced once (`member.connection_status_changed`), whoever saw it first.
 */
export class MemberWatch {
  constructor(private readonly deps: MemberWatchDeps) {}

  /**
   * A member report (mx-events): a hint, never a fact. The user placed — MX's CONNECTION_STATUS names it by MX's guid
   * only: the member's latest job names the relay's user, else the guid as learnt from MX's own answers — and only a
   * user apps are served: for any other, nothing is read, made or recorded (anyone holding MX's webhook credentials
   * could name one). The hint joins the user's others for one read of MX (`readHints`), scheduled by the first.
   */
  async handleReport({ member_report: report }: MemberReport): Promise<void> {
    const { jobs, log, metrics, clock } = this.deps;
    const userId =
      report.user_id ??
      (await jobs.latestForMember(report.member_guid))?.userId ??
      (report.user_guid === undefined ? undefined : await this.#userOf(report.user_guid));
    const count = (outcome: 'unplaced' | 'unserved' | 'hinted' | 'coalesced' | 'overflow') =>
      metrics.add('MemberReports', 1, { kind: report.kind, outcome });
    if (userId === undefined) {
      // A member the relay has never followed (the reconcile reads it in its turn), or of a user it erased.
      log.warn('MX reported on a member of a user the relay cannot place', {
        kind: report.kind,
        member_guid: report.member_guid,
      });
      return count('unplaced');
    }
    // A user that left the reconcile is no longer served: what MX says of it waits for its app to come back.
    const facts = (await this.deps.served.turnFacts([userId], { consistent: true, now: clock.now() })).get(userId);
    if (!facts || facts.left) {
      log.warn('MX reported on a user no app is served', { kind: report.kind, member_guid: report.member_guid });
      return count('unserved');
    }
    const now = clock.now();
    const dueAt = now + HINT_WINDOW_MS;
    const { first, overflow } = await this.deps.hints.add(userId, hintOf(report), dueAt, now);
    if (first) {
      try {
        await this.deps.hintReads.schedule({ mx_hints: { user_id: userId }, due_at: dueAt });
      } catch (error) {
        // SQS hands the report back: its retry, finding no read due, schedules it.
        await this.deps.hints.unschedule(userId, dueAt);
        throw error;
      }
    }
    count(overflow ? 'overflow' : first ? 'hinted' : 'coalesced');
  }

  /**
   * The one read that confirms what MX's webhooks hinted about a user: its members listed from MX (one call per 100),
   * each hinted member then taken as the list shows it — an aggregation not followed becomes a job, a status is
   * recorded (and announced once when it changed), a member MX no longer lists is gone (and its transactions leave
   * the user's sync), a member MX still lists is not deleted whatever the webhook said; the transactions hinted
   * deleted are removed only as far as MX's own lists of their days show them gone.
   */
  async readHints(userId: string): Promise<void> {
    const { hints, metrics, clock } = this.deps;
    const taken = await hints.take(userId, clock.now());
    if (!taken) return;
    const count = (kind: MxHint['kind'], outcome: HintOutcome, value = 1) =>
      value > 0 && metrics.add('MxHints', value, { kind, outcome });
    metrics.add('MxHintReads', 1, {});
    const members = [...new Set([...taken.aggregated, ...taken.statuses, ...taken.deletedMembers])];
    if (members.length > 0) {
      const listed = new Map((await this.#listed(userId)).map((member) => [member.guid, member]));
      for (const guid of members) await this.#memberHinted(userId, guid, listed.get(guid), taken, count);
    }
    if (taken.deletedTransactions.length > 0) {
      const confirmed = await this.deps.transactions?.confirmRemovals(userId, taken.deletedTransactions);
      if (!confirmed) count('transactions', 'not_syncing', taken.deletedTransactions.length);
      else {
        count('transactions', 'removed', confirmed.removed);
        count('transactions', 'unconfirmed', taken.deletedTransactions.length - confirmed.removed);
      }
    }
    await hints.done(userId, taken);
  }

  /** One hinted member, as MX's list shows it (`read`), or gone from it. */
  async #memberHinted(
    userId: string,
    guid: string,
    read: Member | undefined,
    taken: MxHints,
    count: (kind: MxHint['kind'], outcome: HintOutcome) => void,
  ): Promise<void> {
    const deleted = taken.deletedMembers.includes(guid);
    if (!read) {
      await this.deps.states.gone(userId, guid);
      if (deleted) count('member_deleted', (await this.deps.transactions?.memberGone(userId, guid)) ? 'removed' : 'not_syncing');
      if (taken.aggregated.includes(guid)) count('aggregation', 'member_gone');
      if (taken.statuses.includes(guid)) count('connection_status', 'member_gone');
      return;
    }
    if (deleted) {
      count('member_deleted', 'unconfirmed');
      this.deps.log.warn('MX webhook said a member was deleted; MX still lists it', { user_id: userId, member_guid: guid });
    }
    const trigger = taken.background.includes(guid) ? 'mx_background' : 'mx';
    const outcome = taken.aggregated.includes(guid)
      ? await this.aggregationReported({ userId, memberGuid: guid }, trigger, 'push', read)
      : undefined;
    if (outcome) count('aggregation', outcome);
    // The job's end records the status; otherwise the list shows it now.
    if (outcome === 'opened' || outcome === 'joined') return;
    await this.deps.ledger.observe(userId, read, { firstStatusIsNews: true });
    if (taken.statuses.includes(guid)) count('connection_status', 'status');
  }

  /** MX's members of the user, as MX lists them; what MX says there of the user's guid is learnt. */
  async #listed(userId: string): Promise<Member[]> {
    const members = await this.deps.nexus.listMembers(userId);
    const userGuid = members.find((member) => member.user_guid)?.user_guid;
    if (userGuid) await this.#learn(userId, userGuid);
    return members;
  }

  async aggregationReported(
    member: { userId: string; memberGuid: string },
    trigger: MxStartedTrigger,
    reportedBy: Extract<Detector, 'push' | 'reconcile'>,
    alreadyRead?: Member,
  ): Promise<AggregationReport> {
    const { states, jobs, clock, log } = this.deps;
    const read = alreadyRead ?? (await this.#read(member));
    if (!read) return 'member_gone';
    const state = await states.get(member.userId, member.memberGuid);
    const aggregatedAt = read.aggregated_at;
    if (!aggregatedAt) return 'not_aggregated';

    let jobId: string;
    if (state?.aggregatedAt === aggregatedAt) {
      // Followed already — unless the report that took it failed before its job was written (SQS retries it).
      if (!state.jobId || (await jobs.get(state.jobId))) return 'known';
      jobId = state.jobId;
    } else {
      jobId = newJobId(clock.now());
      const claimed = await states.claimAggregation(member.userId, member.memberGuid, { aggregatedAt, jobId, now: clock.now() });
      if (!claimed) return 'known';
    }
    const { job, joined } = await this.deps.refresh.follow(member, read, trigger, jobId);
    if (joined) {
      // A job opened for it logs 'aggregation started' with its trigger; one joined is told here.
      log.info('MX-started aggregation', { job_id: job.id, member_guid: member.memberGuid, trigger, joined });
      // The job already following the member follows this aggregation: its end knows it as its own.
      await states.followedBy(member.userId, member.memberGuid, aggregatedAt, job.id);
      return 'joined';
    }
    if (classifyMember(read) !== 'in_progress') {
      await this.deps.poll.handle({ job_id: job.id, step: job.step, due_at: clock.now(), detected_by: reportedBy }, read);
    }
    return 'opened';
  }

  /**
   * A user's reconcile turn (its dispatcher's message): the members read from MX when the user needs it (judgeTurn,
   * over the member states recorded), noted as the user's last read once done; a message without `webhooks_on` reads.
   * For a user that left, the turn to send again later while its forgetting is not done.
   */
  async reconcileTurn(turn: ReconcileMessage['reconcile']): Promise<ReconcileMessage['reconcile'] | undefined> {
    if (turn.left) return this.#forget(turn);
    const { clock, metrics } = this.deps;
    const now = clock.now();
    const judged =
      turn.webhooks_on === undefined || this.deps.reconcileIntervalMs === undefined
        ? ({ read: true, reason: 'webhooks_off' } as const)
        : judgeTurn({
            now,
            intervalMs: this.deps.reconcileIntervalMs,
            webhooksOn: turn.webhooks_on,
            lastReadAt: turn.since,
            members: await this.deps.states.seenOf(turn.user_id),
          });
    metrics.add('ReconcileTurns', 1, { decision: judged.read ? 'read' : 'skipped', reason: judged.reason });
    if (!judged.read) return;
    await this.reconcile(turn.user_id, turn.since);
    await this.deps.reads?.noteRead(turn.user_id, now);
  }

  /**
   * A user that left the reconcile: the relay's copies of its transactions go — unless an app asked about the user
   * again since (it is back on the cycle, or never left). A later batch (`reset_seq`) only deletes what is left.
   */
  async #forget(turn: ReconcileMessage['reconcile']): Promise<ReconcileMessage['reconcile'] | undefined> {
    const { reads, forgetting } = this.deps;
    const userId = turn.user_id;
    if (!forgetting || !reads) return undefined;
    // Read consistently: an app's request just now has put the user back.
    if (turn.reset_seq === undefined && !(await reads.turnFacts([userId], { consistent: true })).get(userId)?.left) {
      return undefined;
    }
    const { done, resetSeq } = await forgetting.forget(userId, turn.reset_seq);
    if (!done) return { ...turn, ...(resetSeq === undefined ? {} : { reset_seq: resetSeq }) };
    // Its member states go too, unless an app asked about the user meanwhile (docs/security.md#retention).
    if ((await reads.turnFacts([userId], { consistent: true })).get(userId)?.left) await this.deps.states.deleteAll(userId);
    return undefined;
  }

  /**
   * The reconcile's read of one user (MX says never to depend on its webhooks): every member listed from MX, and for
   * each what changed since the relay last looked — an aggregation it has not followed (`aggregated_at` moved: an
   * `mx` job, unless one follows it), a settled status that differs (announced). A member seen for the first time is
   * recorded, not reported — unless MX aggregated it at or after `since`, the user's previous turn or enrolment (a
   * member connected through the widget while MX's webhooks were off). One MX call per page of 100 members (and the
   * session's, when it has lapsed).
   */
  async reconcile(userId: string, since?: number): Promise<{ members: number; opened: number }> {
    const members = await this.#listed(userId);
    let opened = 0;
    const { reconcileIntervalMs } = this.deps;
    const recentSince =
      since ?? (reconcileIntervalMs === undefined ? Number.POSITIVE_INFINITY : this.deps.clock.now() - reconcileIntervalMs);
    for (const member of members) {
      const state = await this.deps.states.get(userId, member.guid);
      const stamp = member.aggregated_at;
      // Moved since the relay last looked; or a member it has never seen, aggregated since the user's previous turn
      // (connected through the widget, say): MX's doing the app has not heard of. An older one is the baseline.
      const unseen = state === undefined ? stamp !== null && stamp !== undefined && Date.parse(stamp) >= recentSince : false;
      if ((state !== undefined && stamp && stamp !== state.aggregatedAt) || unseen) {
        const outcome = await this.aggregationReported({ userId, memberGuid: member.guid }, 'mx', 'reconcile', member);
        if (outcome === 'opened') opened++;
        // The job's end records the status; a member still aggregating is settled by it.
        if (outcome === 'opened' || outcome === 'joined') continue;
      }
      await this.deps.ledger.observe(userId, member, { firstStatusIsNews: true });
    }
    // A member recorded as needing its user that MX no longer lists was deleted outside the relay: it needs no one.
    const listed = new Set(members.map((member) => member.guid));
    for (const guid of await this.deps.states.needingUserOf(userId)) {
      if (!listed.has(guid)) await this.deps.states.gone(userId, guid);
    }
    this.deps.metrics.add('ReconcileReads', 1, { outcome: opened > 0 ? 'opened' : 'unchanged' });
    this.deps.log.info('members reconciled', { user_id: userId, members: members.length, opened });
    return { members: members.length, opened };
  }

  /**
   * Records MX's guid of the user, as MX's own answer read as that user gives it (a read, then a write the first
   * time). A different guid recorded before is MX's answer changing (the user made again at MX): MX's answer wins,
   * counted and logged as a conflict.
   */
  async #learn(userId: string, userGuid: string): Promise<void> {
    const { userGuids, log, metrics } = this.deps;
    if (!userGuids) return;
    const recorded = await userGuids.mxUserGuid(userId);
    if (recorded === userGuid) return;
    if (recorded !== undefined) {
      metrics.add('MxUserGuidConflicts', 1, { kind: 'changed' });
      log.warn('MX user guid changed', { user_id: userId, user_guid: userGuid, previous_user_guid: recorded });
    }
    if (await userGuids.learnMxUser(userId, userGuid)) log.info('MX user guid learnt', { user_id: userId, user_guid: userGuid });
  }

  /** The relay's user MX knows by `userGuid`: none when two users claim it (a conflict, counted and logged). */
  async #userOf(userGuid: string): Promise<string | undefined> {
    const users = (await this.deps.userGuids?.usersOfMxUser(userGuid)) ?? [];
    if (users.length > 1) {
      this.deps.metrics.add('MxUserGuidConflicts', 1, { kind: 'shared' });
      this.deps.log.warn('MX user guid recorded for more than one user', { user_guid: userGuid, users: users.length });
      return undefined;
    }
    return users[0];
  }

  /** MX's read of the member as the user; what MX says there of the user's guid is learnt. */
  async #read(member: { userId: string; memberGuid: string }): Promise<Member | undefined> {
    try {
      const read = await this.deps.nexus.readMember(member.userId, member.memberGuid);
      if (read.user_guid) await this.#learn(member.userId, read.user_guid);
      return read;
    } catch (error) {
      if (error instanceof MxError && (error.code === 'MX_NOT_FOUND' || error.code === 'MX_FORBIDDEN')) {
        this.deps.log.info('MX no longer has the member', { member_guid: member.memberGuid, code: error.code });
        return undefined;
      }
      throw error;
    }
  }
}

/** What one hint came to, once MX's read was taken. */
type HintOutcome = AggregationReport | 'status' | 'removed' | 'unconfirmed' | 'not_syncing';

/** The hint a member report gives. */
function hintOf(report: MemberReport['member_report']): MxHint {
  const memberGuid = report.member_guid;
  switch (report.kind) {
    case 'aggregation':
      return { kind: 'aggregation', memberGuid, background: report.is_background === true };
    case 'connection_status':
      return { kind: 'connection_status', memberGuid };
    case 'member_deleted':
      return { kind: 'member_deleted', memberGuid };
    case 'transactions':
      // Only deletions are reported (mx-push.ts); a report of anything else, queued before, is a status hint.
      return report.transaction?.action === 'deleted'
        ? { kind: 'transactions', memberGuid, transactionGuid: report.transaction.guid }
        : { kind: 'connection_status', memberGuid };
  }
}
