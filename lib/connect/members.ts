import { eventIds } from '../events.ts';
import type { EventSink } from '../notify/events.ts';
import type { Job } from '../aggregation/job.ts';
import type { MemberJobs } from '../aggregation/member-jobs.ts';
import type { RefreshService } from '../aggregation/refresh-service.ts';
import { type Clock, toIso } from '../clock.ts';
import type { Log } from '../logger.ts';
import type { ConnectMetrics } from './connect-metrics.ts';
import type { Member } from '../mx/member.ts';
import type { MemberWrite, NexusClient, OAuthWindowOptions } from '../mx/nexus-client.ts';
import { MxError } from '../mx/errors.ts';
import { DEFAULT_USE_CASES, type UseCase, UseCasesRuleError, useCasesFor } from './use-cases.ts';
import { lacksPfm, type PfmRefusalsRepository } from '../aggregation/pfm-refusals-repo.ts';
import type { MemberRef } from '../store/table.ts';
import type { DelayedQueue } from '../queue/delayed-queue.ts';
import type { MemberReport } from '../queue/poll-message.ts';

/** A member to create at MX. */
export interface NewMember {
  institution_guid: string;
  /** None for an OAuth member. */
  credentials?: { guid: string; value: string }[];
  /** The user authorises at the bank instead (see `oauthWindow`). */
  is_oauth?: boolean;
  use_cases?: UseCase[];
  skip_aggregation?: boolean;
  metadata?: string;
  /** The partner's own id for the member, unique among all its members. */
  external_guid?: string;
}

/** New credentials make MX aggregate. */
export interface MemberChange {
  credentials?: { guid: string; value: string }[];
  use_cases?: UseCase[];
  skip_aggregation?: boolean;
  metadata?: string;
}

export interface MemberWritten {
  member: Member;
  /** Follows the aggregation MX started on the write; absent when MX started none. */
  job?: Job;
}

export interface MembersDeps {
  nexus: Pick<NexusClient, 'createMember' | 'readMember' | 'updateMember' | 'deleteMember' | 'oauthWindowUri'>;
  aggregations: Pick<RefreshService, 'follow'>;
  memberJobs: Pick<MemberJobs, 'pollNow' | 'gone'>;
  events: EventSink;
  clock: Clock;
  log: Log;
  metrics: ConnectMetrics;
  useCasesEnabled: boolean;
  /** Without PFM, refreshes are refused before MX; given PFM, asked of MX again. */
  refusals: Pick<PfmRefusalsRepository, 'record' | 'clear'>;
  /** A deleted member's transactions leave the user's sync through these. */
  reports: Pick<DelayedQueue<MemberReport>, 'schedule'>;
}

/**
 * Members made, changed and removed at MX, under MX's use_cases rules; an aggregation MX starts is followed by a job.
 * Credentials go to MX and nowhere else: never logged, stored, or in an answer.
 */
export class Members {
  constructor(private readonly deps: MembersDeps) {}

  async create(userId: string, request: NewMember): Promise<MemberWritten> {
    const useCases = useCasesFor({ kind: 'create_member', useCases: request.use_cases }, this.deps.useCasesEnabled);
    // The one-time OAuth window URI is a credential, and this answer may be stored for a replay: it never holds it.
    const { oauth_window_uri: _window, ...member } = await this.deps.nexus.createMember(userId, {
      ...request,
      ...(useCases ? { use_cases: [...useCases] } : {}),
    });
    this.deps.metrics.add('MemberChanges', 1, { action: 'created' });
    this.deps.log.info('member created', { user_id: userId, member_guid: member.guid, oauth: request.is_oauth === true });
    await this.#useCasesWritten({ userId, memberGuid: member.guid }, useCases ?? member.use_cases);
    return this.#followed(userId, member, request, 'member_created');
  }

  /** A new one-time URI where the user authorises an OAuth member at the bank: answered once, never stored or logged. */
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

  /** Deletes the member at MX, then ends its active job the one way jobs end: a poll, which finds the member gone. */
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
    }); // Never failing a deletion MX has made: the reconcile unlists the member anyway.
    await memberJobs.gone(userId, memberGuid).catch((error: unknown) =>
      log.warn('could not unlist the deleted member from those needing their user', {
        member_guid: memberGuid,
        error: String(error),
      }),
    );
    // As MX's MEMBER webhook would, whether or not it arrives.
    await this.deps.reports
      .schedule({ member_report: { kind: 'member_deleted', member_guid: memberGuid, user_id: userId }, due_at: now })
      .catch((error: unknown) =>
        log.warn('could not report the deleted member to the transactions sync', {
          member_guid: memberGuid,
          error: String(error),
        }),
      );
  }

  /** The member's use cases at MX; PFM when MX shows none (it aggregates as PFM). MX may refuse a member without PFM (403). */
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

  /** Without PFM, the member's refreshes are refused before MX. */
  async #useCasesWritten(member: MemberRef, useCases: readonly string[] | null | undefined): Promise<void> {
    if (lacksPfm(useCases)) await this.deps.refusals.record(member, this.deps.clock.now());
    else if (useCases?.includes('PFM')) await this.deps.refusals.clear(member);
  }

  /** A job when MX says the member is aggregating, or leaves that out and the write did not skip it. */
  async #followed(
    userId: string,
    member: Member,
    request: { skip_aggregation?: boolean; is_oauth?: boolean },
    trigger: 'member_created' | 'member_updated',
  ): Promise<MemberWritten> {
    // A new OAuth member waits for its user at the bank, then MX aggregates it: the job follows from now.
    const oauthPending = request.is_oauth === true && request.skip_aggregation !== true;
    const aggregating = oauthPending || (member.is_being_aggregated ?? request.skip_aggregation !== true);
    if (!aggregating) return { member };
    const { job } = await this.deps.aggregations.follow({ userId, memberGuid: member.guid }, member, trigger);
    return { member, job };
  }
}
