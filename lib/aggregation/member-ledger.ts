import type { Clock } from '../clock.ts';
import type { Log } from '../logger.ts';
import type { MetricsSink } from '../metrics.ts';
import { needsUser } from '../mx/connection-status.ts';
import { type EventData, type EventSink, eventIds, reconnectOf } from '../notify/events.ts';
import { isMxStarted, type Job } from './job.ts';
import type { MemberSnapshot } from './member-snapshot.ts';
import type { MemberState, MemberStatesRepository } from './member-states-repo.ts';

/** How far MX's `aggregated_at` may lie before a job's creation and still be its aggregation (clocks, whole seconds). */
const MX_CLOCK_TOLERANCE_MS = 5_000;

export interface MemberLedgerDeps {
  states: Pick<MemberStatesRepository, 'get' | 'record'>;
  events: EventSink;
  clock: Clock;
  log: Log;
  metrics: MetricsSink;
}

/**
 * Each member's recorded state (USER#{u}/MEMBER#{guid}): the aggregation the relay last followed and the settled
 * connection status it last saw, written from every read of the member — a job's end (PollService), MX's report or the
 * reconcile (MemberWatch) — and a changed status announced once (`member.connection_status_changed`), whoever saw it.
 */
export class MemberLedger {
  constructor(private readonly deps: MemberLedgerDeps) {}

  /**
   * A job's end, recorded for its member (before the job releases it): the aggregation the member shows is the one
   * the relay knows (named for this job when MX aggregated for it), and a settled status that differs from the one
   * recorded is announced. Answers whether MX aggregated for the job (mxAggregatedFor). One read of the member's
   * state, and a write only when the aggregation or the status moved.
   */
  async jobEnded(
    job: Pick<Job, 'id' | 'userId' | 'memberGuid' | 'trigger' | 'createdAt'>,
    member: MemberSnapshot,
  ): Promise<boolean> {
    const state = await this.deps.states.get(job.userId, job.memberGuid);
    const aggregated = mxAggregatedFor(job, member, state);
    const stamp = member.aggregated_at ?? undefined;
    await this.observe(job.userId, member, { aggregatedAt: stamp, ...(aggregated ? { jobId: job.id } : {}) }, state);
    return aggregated;
  }

  /**
   * Records what a read of the member shows (a job's end, a webhook, the reconcile) and announces a settled
   * connection status that differs from the one recorded. The first status recorded for a member is a baseline —
   * unless it needs the user and `seen.firstStatusIsNews` (no job of the relay speaks for it: a webhook, the
   * reconcile), then it is announced once. A member seen first has its `aggregated_at` recorded as the baseline too.
   * `seen.aggregatedAt`: the aggregation the member shows, recorded as the one the relay knows (a job's end);
   * `seen.jobId`: the job that followed it. Nothing is written when nothing would change (most reads of a settled
   * member). `known`: the state as just read, when the caller has read it.
   */
  async observe(
    userId: string,
    member: MemberSnapshot,
    seen: { jobId?: string; aggregatedAt?: string; firstStatusIsNews?: boolean } = {},
    known?: MemberState,
  ): Promise<void> {
    const { states, events, clock, log } = this.deps;
    const settled = member.is_being_aggregated !== true;
    const status = settled ? (member.connection_status ?? null) : null;
    const state = known ?? (await states.get(userId, member.guid));
    const previous = state?.connectionStatus ?? null;
    const firstNews = previous === null && seen.firstStatusIsNews === true && needsUser(status);
    const changed = status !== null && (previous === null ? firstNews : status !== previous);
    // A member seen first: the aggregation it shows is the baseline, not news for the next reconcile.
    const aggregatedAt = seen.aggregatedAt ?? (state === undefined ? (member.aggregated_at ?? undefined) : undefined);
    const seq = (state?.statusSeq ?? 0) + (changed ? 1 : 0);
    if (changed) {
      const actionRequired = needsUser(status);
      const data: EventData<'member.connection_status_changed'> = {
        user_id: userId,
        member_guid: member.guid,
        connection_status: status,
        previous_connection_status: previous,
        action_required: actionRequired,
        ...(actionRequired ? { reconnect: reconnectOf(member.guid) } : {}),
      };
      // Before the state moves: a failure after publishing repeats the same event id, which reaches no one twice.
      await events.publish({
        id: eventIds.statusChanged(member.guid, seq, status),
        type: 'member.connection_status_changed',
        timestamp: new Date(clock.now()).toISOString(),
        data,
      });
      this.deps.metrics.add('MemberStatusChanges', 1, { action_required: actionRequired ? 'yes' : 'no' });
      log.info('member connection status changed', {
        user_id: userId,
        member_guid: member.guid,
        connection_status: status,
        previous_connection_status: previous,
      });
    }
    const unchanged =
      state !== undefined &&
      (status ?? previous) === previous &&
      (aggregatedAt === undefined || aggregatedAt === state.aggregatedAt) &&
      (seen.jobId === undefined || seen.jobId === state.jobId);
    if (unchanged) return;
    const recorded = await states.record(userId, member.guid, state?.statusSeq ?? 0, {
      connectionStatus: status ?? previous,
      statusSeq: seq,
      ...(aggregatedAt === undefined ? {} : { aggregatedAt }),
      ...(seen.jobId === undefined ? {} : { jobId: seen.jobId }),
      now: clock.now(),
    });
    if (!recorded) log.debug('member state moved on meanwhile', { member_guid: member.guid });
  }
}

/**
 * Whether MX aggregated for a job that ends showing `member`. MX stamps `aggregated_at` when an aggregation starts and
 * leaves it as it was when it answers an aggregate call without aggregating (inside its throttle window, about 3 h
 * after a success): the stamp moved past the one the state records, or the state names this job for it (a report
 * joined the job, or this end was recorded before a retry); an aggregation MX started on its own is one by
 * definition. With no state yet, a stamp from the job's own time (MX's clock and ours a few seconds apart) counts.
 */
function mxAggregatedFor(
  job: Pick<Job, 'id' | 'trigger' | 'createdAt'>,
  member: MemberSnapshot,
  state: MemberState | undefined,
): boolean {
  if (isMxStarted(job.trigger)) return true;
  const stamp = member.aggregated_at;
  if (!stamp) return false;
  if (state?.aggregatedAt != null) return state.aggregatedAt !== stamp || state.jobId === job.id;
  const at = Date.parse(stamp);
  return Number.isFinite(at) && at >= job.createdAt - MX_CLOCK_TOLERANCE_MS;
}
