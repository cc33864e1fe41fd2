import type { JobsRepository } from '../aggregation/jobs-repo.ts';
import type { Job, JobKind } from '../aggregation/job.ts';
import type { MemberStatesRepository } from '../aggregation/member-states-repo.ts';
import type { JobEndListener } from '../aggregation/poll-service.ts';
import type { Clock } from '../clock.ts';
import type { Log } from '../logger.ts';
import { eventIds } from '../events.ts';
import type { EventSink } from '../notify/events.ts';
import type { IngestCounts } from './changes-found.ts';
import type { TransactionSync } from './transaction-sync.ts';

/** A verification or identification gathers no transactions by default. */
const BRINGS_TRANSACTIONS: ReadonlySet<JobKind> = new Set(['aggregation', 'history']);

export interface SyncAnnouncerDeps {
  transactions: Pick<TransactionSync, 'ingestAfterAggregation'>;
  jobs: Pick<JobsRepository, 'latestForMember'>;
  histories: Pick<MemberStatesRepository, 'get'>;
  events: EventSink;
  clock: Clock;
  log: Log;
}

/**
 * After a successful aggregation, brings a syncing user's log up to date and announces each member whose transactions
 * changed, named after its latest job so each is announced once. Never fails the job's end: the event is only a hint.
 */
export class SyncAnnouncer implements JobEndListener {
  constructor(private readonly deps: SyncAnnouncerDeps) {}

  async jobEnded(job: Job): Promise<void> {
    if (job.status !== 'succeeded' || !BRINGS_TRANSACTIONS.has(job.kind)) return;
    const { transactions, jobs, histories, events, clock, log } = this.deps;
    try {
      const byMember = mergeUnknownMember(await transactions.ingestAfterAggregation(job.userId), job.memberGuid);
      for (const [memberGuid, counts] of byMember) {
        if (counts.added + counts.modified + counts.removed === 0) continue;
        const owner = memberGuid === job.memberGuid ? job : await jobs.latestForMember(memberGuid);
        if (!owner || owner.userId !== job.userId) continue;
        const historyComplete =
          owner.kind === 'history' || (await histories.get(job.userId, owner.memberGuid))?.historyCompleteAt !== undefined;
        await events.publish({
          id: eventIds.syncUpdates(owner.id),
          type: 'transactions.sync_updates_available',
          timestamp: new Date(clock.now()).toISOString(),
          data: {
            user_id: job.userId,
            member_guid: owner.memberGuid,
            job_id: owner.id,
            ...counts,
            historical_update_complete: historyComplete,
          },
        });
      }
    } catch (error) {
      log.warn('could not bring the transactions sync up to date after an aggregation', {
        job_id: job.id,
        error: error instanceof Error ? { name: error.name, message: error.message } : String(error),
      });
    }
  }
}

/** Counts whose member is unknown go to the job's member. */
function mergeUnknownMember(byMember: Map<string, IngestCounts> | undefined, memberGuid: string): Map<string, IngestCounts> {
  const merged = new Map(byMember);
  const unknown = merged.get('');
  if (!unknown) return merged;
  merged.delete('');
  const own = merged.get(memberGuid) ?? { added: 0, modified: 0, removed: 0 };
  merged.set(memberGuid, {
    added: own.added + unknown.added,
    modified: own.modified + unknown.modified,
    removed: own.removed + unknown.removed,
  });
  return merged;
}
