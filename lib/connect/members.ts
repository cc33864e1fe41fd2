import { type EventSink, eventIds } from '../notify/events.ts';
import type { Job } from '../aggregation/job.ts';
import type { MemberJobs } from '../aggregation/member-jobs.ts';
import type { RefreshService } from '../aggregation/refresh-service.ts';
import { type Clock, toIso } from '../clock.ts';
import type { Log } from '../logger.ts';
import type { MetricsSink } from '../metrics.ts';
import type { Member } from '../mx/member.ts';
import type { MemberWrite, NexusClient, OAuthWindowOptions } from '../mx/nexus-client.ts';
import { MxError } from '../mx/errors.ts';
import { DEFAULT_USE_CASES, type UseCase, UseCasesRuleError, useCasesFor } from './use-cases.ts';
import { lacksPfm, type PfmRefusalsRepository } from '../aggregation/pfm-refusals-repo.ts';
import type { MemberRef } from '../store/table.ts';
import type { DelayedQueue } from '../queue/delayed-queue.ts';
import type { MemberReport } from '../queue/poll-message.ts';

/** A member to create at MX: the institution, the user's credentials for it, and MX's options. */
export interface NewMember {
  /** MX's guid of the institution (INS-…). */
  institution_guid: string;
  /** The user's values for the institution's credentials; none for an OAuth member (`is_oauth`). */
  credentials?: { guid: string; value: string }[];
  /** The user authorises at the bank instead (POST …/oauth_window for where). */
  is_oauth?: boolean;
  use_cases?: UseCase[];
  skip_aggregation?: boolean;
  metadata?: string;
  /** The partner's own id for the member, unique among all its members. */
  external_guid?: string;
}

/** What may change on a member: new credentials (MX aggregates with them), its use cases, its metadata. */
export interface MemberChange {
  credentials?: { guid: string; value: string }[];
  use_cases?: UseCase[];
  skip_aggregation?: boolean;
  metadata?: string;
}

export interface MemberWritten {
  member: Member;
  /** The job following the aggregation MX started on the write; absent when MX started none. */
  job?: Job;
}

export interface MembersDeps {
  nexus: Pick<NexusClient, 'createMember' | 'readMember' | 'updateMember' | 'deleteMember' | 'oauthWindowUri'>;
  aggregations: Pick<RefreshService, 'follow'>;
  /** The job following a member, and the member's end (a deleted one is no longer listed as needing its user). */
  memberJobs: Pick<MemberJobs, 'pollNow' | 'gone'>;
  events: EventSink;
  clock: Clock;
  log: Log;
  metrics: MetricsSink;
  /** MX_USE_CASES_ENABLED: the deployment has opted in to use cases with MX. */
  useCasesEnabled: boolean;
  /** Use cases written through the relay: without PFM, refreshes are refused before MX; given PFM, asked of MX again. */
  refusals: Pick<PfmRefusalsRepository, 'record' | 'clear'>;
  /** worker-poll's member reports: a member deleted takes its transactions out of the user's sync (member-watch.ts). */
  reports: Pick<DelayedQueue<MemberReport>, 'schedule'>;
}

/**
 * Members made, changed and removed at MX for a user, under MX's use_cases rules. The aggregation MX starts on a
 * create, or an update with credentials, is followed by a job like a refresh's. Credentials go to MX and nowhere else:
 * never logged, stored, or in an answer.
 */
export class Members {
  constructor(private readonly deps: MembersDeps) {}

  async create(userId: string, request: NewMember): Promise<MemberWritten> {
    const useCases = useCasesFor({ kind: 'create_member', useCases: request.use_cases }, this.deps.useCasesEnabled);
    // A user's first member may come before anything else made the user at MX: its session makes it (mx-users.ts).
    // MX's one-time OAuth window URI is a credential: this answer may be stored for a replay, so it never holds it.
    const { oauth_window_uri: _window, ...member } = await this.deps.nexus.createMember(userId, {
      ...request,
      ...(useCases ? { use_cases: [...useCases] } : {}),
    });
    this.deps.metrics.add('MemberChanges', 1, { action: 'created' });
    this.deps.log.info('member created', { user_id: userId, member_guid: member.guid, oauth: request.is_oauth === true });
    await this.#useCasesWritten({ userId, memberGuid: member.guid }, useCases ?? member.use_cases);
    return this.#followed(userId, member, request, 'member_created');
  }

  /**
   * Where the user authorises an OAuth member at the bank: a new one-time URI from MX, for a new member or to
   * re-authorise one. Answered once, never stored or logged. Once authorised, MX aggregates (unless
   * `skip_aggregation`): a new member's job follows it; a re-authorised member's aggregation is reported by MX's
   * webhook or found by the reconcile.
   */
  async oauthWindow(userId: string, memberGuid: string, options: OAuthWindowOptions): Promise<string> {
    const uri = await this.deps.nexus.oauthWindowUri(userId, memberGuid, options);
    this.deps.metrics.add('OAuthWindows', 1, {});
    this.deps.log.info('oauth window issued', { user_id: userId, member_guid: memberGuid });
    return uri;
  }

  async update(userId: string, memberGuid: string, change: MemberChange): Promise<MemberWritten> {
    const { useCasesEnabled } = this.deps;
    // MX wants use cases on every update once opted in: one naming none keeps the member's.
    const useCases =
      useCasesFor({ kind: 'update_member', useCases: change.use_cases }, useCasesEnabled) ??
      (useCasesEnabled ? await this.#useCasesOf(userId, memberGuid) : undefined);
    const member = await this.deps.nexus.updateMember(userId, memberGuid, {
      ...change,
      ...(useCases ? { use_cases: [...useCases] } : {}),
    } satisfies MemberWrite);
    await this.#useCasesWritten({ userId, memberGuid }, useCases ?? member.use_cases);
    this.deps.metrics.add('MemberChanges', 1, { action: 'updated' });
    this.deps.log.info('member updated', {
      user_id: userId,
      member_guid: memberGuid,
      credentials: change.credentials !== undefined,
    });
    return change.credentials === undefined ? { member } : this.#followed(userId, member, change, 'member_updated');
  }

  /**
   * Deletes the member at MX, then ends its active job the one way jobs end: a poll now, which finds the member gone
   * at MX and ends the job `failed` with its terminal event. Then `member.deleted`, and the member is no longer listed
   * as needing its user.
   */
  async delete(userId: string, memberGuid: string): Promise<void> {
    const { nexus, memberJobs, events, clock, log, metrics } = this.deps;
    await nexus.deleteMember(userId, memberGuid);
    metrics.add('MemberChanges', 1, { action: 'deleted' });
    const active = await memberJobs.pollNow({ userId, memberGuid });
    const now = clock.now();
    log.info('member deleted', { user_id: userId, member_guid: memberGuid, ...(active ? { job_id: active.id } : {}) });
    await events.publish({
      id: eventIds.memberDeleted(memberGuid),
      type: 'member.deleted',
      timestamp: toIso(now),
      data: { user_id: userId, member_guid: memberGuid, deleted_at: toIso(now) },
    }); // Last, and never failing the deletion MX has made: the reconcile unlists a member MX no longer lists anyway.
    await memberJobs.gone(userId, memberGuid).catch((error: unknown) =>
      log.warn('could not unlist the deleted member from those needing their user', {
        member_guid: memberGuid,
        error: String(error),
      }),
    );
    // As MX's MEMBER webhook would: whether or not MX's webhooks arrive. The weekly whole read is the safety net.
    await this.deps.reports
      .schedule({ member_report: { kind: 'member_deleted', member_guid: memberGuid, user_id: userId }, due_at: now })
      .catch((error: unknown) =>
        log.warn('could not report the deleted member to the transactions sync', {
          member_guid: memberGuid,
          error: String(error),
        }),
      );
  }

  /**
   * The member's use cases as MX holds them (every value kept); PFM when MX shows none (it aggregates as PFM does).
   * MX may refuse the read of a member without PFM (its 403 rule): the caller names them then.
   */
  async #useCasesOf(userId: string, memberGuid: string): Promise<readonly string[]> {
    try {
      const { use_cases: current } = await this.deps.nexus.readMember(userId, memberGuid);
      return current && current.length > 0 ? current : DEFAULT_USE_CASES;
    } catch (error) {
      if (!(error instanceof MxError && error.code === 'MX_FORBIDDEN')) throw error;
      throw new UseCasesRuleError(
        'use_cases',
        `MX will not show this member's use cases to keep them (403${error.mxMessage ? `: ${error.mxMessage}` : ''}): name use_cases in the update.`,
      );
    }
  }

  /** What the member's use cases, as just written, mean for its refreshes: refused before MX without PFM. */
  async #useCasesWritten(member: MemberRef, useCases: readonly string[] | null | undefined): Promise<void> {
    if (lacksPfm(useCases)) await this.deps.refusals.record(member, this.deps.clock.now());
    else if (useCases?.includes('PFM')) await this.deps.refusals.clear(member);
  }

  /**
   * A job for the aggregation MX started on the write: when MX says the member is aggregating, or leaves that out and
   * the write did not ask to skip it.
   */
  async #followed(
    userId: string,
    member: Member,
    request: { skip_aggregation?: boolean; is_oauth?: boolean },
    trigger: 'member_created' | 'member_updated',
  ): Promise<MemberWritten> {
    // A new OAuth member waits (PENDING) for its user at the bank, then MX aggregates it: the job follows from now.
    const oauthPending = request.is_oauth === true && request.skip_aggregation !== true;
    const aggregating = oauthPending || (member.is_being_aggregated ?? request.skip_aggregation !== true);
    if (!aggregating) return { member };
    const { job } = await this.deps.aggregations.follow({ userId, memberGuid: member.guid }, member, trigger);
    return { member, job };
  }
}
