import type { Clock } from '../clock.ts';
import type { Log } from '../logger.ts';
import type { AggregationMetrics, Detector } from './aggregation-metrics.ts';
import { classifyMember } from '../mx/connection-status.ts';
import { MxError } from '../mx/errors.ts';
import type { Member } from '../mx/member.ts';
import type { NexusClient } from '../mx/nexus-client.ts';
import type { DelayedQueue } from '../queue/delayed-queue.ts';
import type { MemberReport, MxHintsMessage, ReconcileMessage } from '../queue/poll-message.ts';
import type { MxHint, MxHints, MxHintsRepository, WaitingHints } from './mx-hints-repo.ts';
import type { ReconcileRepository } from './reconcile-repo.ts';
import { judgeTurn, readsHeld } from './reconcile-turn.ts';
import { jobIdMadeAt, type MxStartedTrigger, newJobId } from './job.ts';
import { type JobsRepository, stillKept } from './jobs-repo.ts';
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
  /** When the reconcile is on: a first-seen member is news if aggregated within one interval (for turns without `since`). */
  reconcileIntervalMs?: number;
  /** Learnt only from MX's own answers read as the user: places a CONNECTION_STATUS, which names the user by MX's guid only. */
  userGuids?: Pick<ReconcileRepository, 'mxUserGuid' | 'learnMxUser' | 'usersOfMxUser'>;
  reads?: Pick<ReconcileRepository, 'noteRead' | 'turnFacts'>;
  /** The users apps are served: MX's webhooks name no other. */
  served: Pick<ReconcileRepository, 'turnFacts'>;
  /** MX's webhooks about a user, gathered for one read per HINT_WINDOW_MS. */
  hints: Pick<MxHintsRepository, 'add' | 'unschedule' | 'take' | 'done' | 'waiting' | 'release'>;
  /**
   * MX_BACKGROUND_AT_TURN (with the reconcile on): a background aggregation of a user nobody is using (no fresh MX
   * session) waits for the user's others of the night (or its reconcile turn), so one session and one member list
   * confirm them all.
   */
  backgroundAtTurn?: { hasFreshSession(userId: string): Promise<boolean> };
  hintReads: Pick<DelayedQueue<MxHintsMessage>, 'schedule'>;
  jobs: Pick<JobsRepository, 'get' | 'latestForMember'>;
  refresh: Pick<RefreshService, 'follow'>;
  /** An MX-started job whose end MX already shows ends at once, from the read that showed it. */
  poll: Pick<PollService, 'handle'>;
  /** What the jobs one read of MX ends ask for after their end (the transactions' ingest) is done once for them all. */
  jobEnds: { together<T>(userId: string, work: () => Promise<T>): Promise<T> };
  /** Without it, MX's deletions are dropped. */
  transactions?: {
    mayRemove(userId: string, guids: readonly string[]): Promise<boolean | undefined>;
    confirmRemovals(userId: string, guids: readonly string[]): Promise<{ removed: number } | undefined>;
    memberGone(userId: string, memberGuid: string): Promise<boolean>;
  };
  forgetting?: { forget(userId: string, resetSeq?: number): Promise<{ done: boolean; resetSeq?: number }> };
  ledger: Pick<MemberLedger, 'observe'>;
  clock: Clock;
  log: Log;
  metrics: AggregationMetrics;
}

export type AggregationReport = 'opened' | 'joined' | 'known' | 'member_gone' | 'not_aggregated';

/** The least time between two reads of a user's hints: MX's own shortest poll interval. */
export const HINT_WINDOW_MS = 3_000;

/**
 * What the relay learns of members outside its own refreshes. An aggregation MX reports becomes a job unless one follows
 * it: its `aggregated_at` is claimed in the member's state with a conditional write, so duplicate and late reports open
 * nothing. A changed connection status is announced once, whoever saw it first.
 */
export class MemberWatch {
  constructor(private readonly deps: MemberWatchDeps) {}

  /**
   * A member report is a hint, never a fact. Only for a user apps are served is anything read, made or recorded: anyone
   * holding MX's webhook credentials could name another. A hint schedules the user's read (`readHints`) or joins it.
   */
  async handleReport({ member_report: report }: MemberReport): Promise<void> {
    const { jobs, log, metrics, clock } = this.deps;
    const userId =
      report.user_id ??
      (await jobs.latestForMember(report.member_guid, clock.now()))?.userId ??
      (report.user_guid === undefined ? undefined : await this.#userOf(report.user_guid));
    const count = (outcome: 'unplaced' | 'unserved' | 'not_held' | 'hinted' | 'held' | 'released' | 'coalesced' | 'overflow') =>
      metrics.add('MemberReports', 1, { kind: report.kind, outcome });
    if (userId === undefined) {
      // Never followed (the reconcile reads it in its turn), or the user was erased.
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
    const hint = hintOf(report);
    // A deletion the relay's own state shows done (most often by the aggregation's ingest), or of a user who does not
    // sync, needs no read: nothing is recorded for it.
    if (hint.kind === 'transactions' && !(await this.deps.transactions?.mayRemove(userId, [hint.transactionGuid]))) {
      return count('not_held');
    }
    const now = clock.now();
    const held = await this.#heldForTurn(userId, hint);
    const turnAt = now + (this.deps.reconcileIntervalMs ?? 0);
    const dueAt = held ? turnAt : now + HINT_WINDOW_MS;
    // Whatever this hint is, hints held before it wait for the turn.
    const keepUntil = this.deps.backgroundAtTurn ? Math.max(turnAt, dueAt) : dueAt;
    const added = await this.deps.hints.add(userId, hint, { now, dueAt, held, keepUntil });
    const { due, overflow } = added;
    const released = added.waiting && (await this.#nightIn(userId, added.waiting, now));
    const readAt = released ?? added.readAt;
    if (readAt !== undefined) {
      try {
        await this.deps.hintReads.schedule({ mx_hints: { user_id: userId }, due_at: readAt });
      } catch (error) {
        // SQS hands the report back: its retry, finding no read due, schedules it.
        const scheduledDue = released ?? due;
        if (scheduledDue !== undefined) await this.deps.hints.unschedule(userId, scheduledDue);
        throw error;
      }
    }
    const waited = held && due !== undefined ? 'held' : 'coalesced';
    count(overflow ? 'overflow' : released ? 'released' : readAt !== undefined ? 'hinted' : waited);
  }

  /**
   * The user's last held report of the night (every member MX aggregates in the background is in; `readsHeld`): its read
   * is brought from the turn to now, or to a window after the user's last read, as any hint's. Answers when.
   */
  async #nightIn(userId: string, held: WaitingHints, now: number): Promise<number | undefined> {
    const intervalMs = this.deps.reconcileIntervalMs;
    const at = Math.max(now, (held.lastReadAt ?? Number.NEGATIVE_INFINITY) + HINT_WINDOW_MS);
    // A read due within a window of then (a hint's, not a turn's) takes them: no other.
    if (intervalMs === undefined || held.dueAt === undefined || held.dueAt <= at + HINT_WINDOW_MS) return undefined;
    const members = await this.deps.states.seenOf(userId);
    if (!readsHeld({ now, intervalMs, held, members })) return undefined;
    return (await this.deps.hints.release(userId, held.dueAt, at)) ? at : undefined;
  }

  /** A read now would make the user a session (two MX calls) that the night's other reports could share at the turn. */
  async #heldForTurn(userId: string, hint: MxHint): Promise<boolean> {
    const { backgroundAtTurn, reconcileIntervalMs } = this.deps;
    if (!backgroundAtTurn || !reconcileIntervalMs || hint.kind !== 'aggregation' || !hint.background) return false;
    return !(await backgroundAtTurn.hasFreshSession(userId));
  }

  /**
   * The one read that confirms a user's hints: each hinted member is taken as MX's list shows it, whatever the webhook
   * said; hinted transaction deletions are removed only as far as MX's own lists show them gone.
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
      await this.deps.jobEnds.together(userId, async () => {
        for (const guid of members) await this.#memberHinted(userId, guid, listed.get(guid), taken, count);
      });
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
      // Followed already — unless the report that took it failed before its job was written (SQS retries it). A job
      // past the days every job is kept may be gone by its ttl: MX's month-old aggregation is not news again.
      if (!state.jobId || !stillKept(jobIdMadeAt(state.jobId), clock.now()) || (await jobs.get(state.jobId))) return 'known';
      jobId = state.jobId;
    } else {
      jobId = newJobId(clock.now());
      const claimed = await states.claimAggregation(member.userId, member.memberGuid, { aggregatedAt, jobId, now: clock.now() });
      if (!claimed) return 'known';
    }
    const { job, joined } = await this.deps.refresh.follow(member, read, trigger, jobId);
    if (joined) {
      log.info('MX-started aggregation', { job_id: job.id, member_guid: member.memberGuid, trigger, joined });
      // So the joined job's end knows this aggregation as its own.
      await states.followedBy(member.userId, member.memberGuid, aggregatedAt, job.id);
      return 'joined';
    }
    if (classifyMember(read) !== 'in_progress') {
      await this.deps.poll.handle({ job_id: job.id, step: job.step, due_at: clock.now(), detected_by: reportedBy }, read);
    }
    return 'opened';
  }

  /** Reads the user's members when judgeTurn says so. For a user that left, returns the turn to resend until forgotten. */
  async reconcileTurn(turn: ReconcileMessage['reconcile']): Promise<ReconcileMessage['reconcile'] | undefined> {
    if (turn.left) return this.#forget(turn);
    const { clock, metrics } = this.deps;
    const now = clock.now();
    const { webhooks_on: webhooksOn } = turn;
    const intervalMs = this.deps.reconcileIntervalMs;
    const weighed =
      webhooksOn === undefined || intervalMs === undefined
        ? undefined
        : { now, intervalMs, webhooksOn, members: await this.deps.states.seenOf(turn.user_id) };
    const judged = weighed
      ? judgeTurn({ ...weighed, lastReadAt: turn.since })
      : ({ read: true, reason: 'webhooks_off' } as const);
    metrics.add('ReconcileTurns', 1, { decision: judged.read ? 'read' : 'skipped', reason: judged.reason });
    // Hints held for this turn: their read lists the members once for them all, MX's wave over for the user.
    const held = this.deps.backgroundAtTurn ? await this.deps.hints.waiting(turn.user_id, now) : undefined;
    if (held) {
      const read = judged.read || !weighed || readsHeld({ ...weighed, held });
      metrics.add('HeldHintTurns', 1, { decision: read ? 'read' : 'waited' });
      if (read) await this.readHints(turn.user_id);
    }
    if (!judged.read) return;
    await this.reconcile(turn.user_id, turn.since);
    await this.deps.reads?.noteRead(turn.user_id, now);
  }

  /** Forgets a user that left, unless an app asked about it since. A later batch (`reset_seq`) only deletes what is left. */
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
   * The reconcile's read of one user (MX says never to depend on its webhooks). A first-seen member is the baseline,
   * not news, unless aggregated since `since`, the user's previous turn (connected while MX's webhooks were off).
   */
  async reconcile(userId: string, since?: number): Promise<{ members: number; opened: number }> {
    const members = await this.#listed(userId);
    let opened = 0;
    const { reconcileIntervalMs } = this.deps;
    const recentSince =
      since ?? (reconcileIntervalMs === undefined ? Number.POSITIVE_INFINITY : this.deps.clock.now() - reconcileIntervalMs);
    await this.deps.jobEnds.together(userId, async () => {
      for (const member of members) {
        const state = await this.deps.states.get(userId, member.guid);
        const stamp = member.aggregated_at;
        const unseen = state === undefined ? stamp !== null && stamp !== undefined && Date.parse(stamp) >= recentSince : false;
        if ((state !== undefined && stamp && stamp !== state.aggregatedAt) || unseen) {
          const outcome = await this.aggregationReported({ userId, memberGuid: member.guid }, 'mx', 'reconcile', member);
          if (outcome === 'opened') opened++;
          if (outcome === 'opened' || outcome === 'joined') continue;
        }
        await this.deps.ledger.observe(userId, member, { firstStatusIsNews: true });
      }
    });
    // A member recorded as needing its user that MX no longer lists was deleted outside the relay: it needs no one.
    const listed = new Set(members.map((member) => member.guid));
    for (const guid of await this.deps.states.needingUserOf(userId)) {
      if (!listed.has(guid)) await this.deps.states.gone(userId, guid);
    }
    this.deps.metrics.add('ReconcileReads', 1, { outcome: opened > 0 ? 'opened' : 'unchanged' });
    this.deps.log.info('members reconciled', { user_id: userId, members: members.length, opened });
    return { members: members.length, opened };
  }

  /** Records MX's guid of the user from MX's answer read as that user; on a change (the user made again at MX), MX wins. */
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

type HintOutcome = AggregationReport | 'status' | 'removed' | 'unconfirmed' | 'not_syncing';

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
