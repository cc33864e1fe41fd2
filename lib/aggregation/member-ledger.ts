import type { Clock } from '../clock.ts';
import type { Log } from '../logger.ts';
import type { AggregationMetrics } from './aggregation-metrics.ts';
import { needsUser } from '../mx/connection-status.ts';
import { eventIds } from '../events.ts';
import { type AggregationEvent, type AggregationEvents, reconnectOf } from './aggregation-events.ts';
import { isMxStarted, type Job } from './job.ts';
import type { MemberSnapshot } from './member-snapshot.ts';
import type { MemberState, MemberStatesRepository } from './member-states-repo.ts';

/** How far MX's `aggregated_at` may lie before a job's creation and still be its aggregation (clock skew). */
const MX_CLOCK_TOLERANCE_MS = 5_000;

export interface MemberLedgerDeps {
  states: Pick<MemberStatesRepository, 'get' | 'record'>;
  events: AggregationEvents;
  clock: Clock;
  log: Log;
  metrics: AggregationMetrics;
}

/** Each member's recorded state, written from every read of the member; a changed status is announced once, whoever saw it. */
export class MemberLedger {
  constructor(private readonly deps: MemberLedgerDeps) {}

  /** A job's end, recorded before the job releases its member. Answers whether MX aggregated for the job. */
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
   * Records what a read shows and announces a changed settled status. The first status is a baseline, unless it needs the
   * user and `firstStatusIsNews` (no job speaks for it). Nothing is written when nothing would change.
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
    // A member seen first: its aggregation is the baseline, not news for the next reconcile.
    const aggregatedAt = seen.aggregatedAt ?? (state === undefined ? (member.aggregated_at ?? undefined) : undefined);
    const seq = (state?.statusSeq ?? 0) + (changed ? 1 : 0);
    if (changed) {
      const actionRequired = needsUser(status);
      const data: AggregationEvent<'member.connection_status_changed'>['data'] = {
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
 * MX leaves `aggregated_at` as it was when it answers an aggregate call without aggregating (inside its throttle window),
 * so MX aggregated for the job only if the stamp moved past the recorded one, or the state names this job for it.
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
