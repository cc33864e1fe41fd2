import type { JobsRepository } from '../aggregation/jobs-repo.ts';
import type { Job, JobKind } from '../aggregation/job.ts';
import type { MemberStatesRepository } from '../aggregation/member-states-repo.ts';
import type { JobEndListener } from '../aggregation/poll-service.ts';
import type { Clock } from '../clock.ts';
import type { Log } from '../logger.ts';
import { type EventSink, eventIds } from '../notify/events.ts';
import type { IngestCounts } from './changes-found.ts';
import type { TransactionSync } from './transaction-sync.ts';

/** The jobs whose end is taken into the transactions sync: a verification or identification gathers none by default. */
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
 * The transactions slice's part of a job's end: for users who sync their transactions, the change log taken up to date
 * after a successful aggregation or history, and one `transactions.sync_updates_available` event per member whose
 * transactions changed, named after that member's latest job (so two members ending at once are announced once each,
 * whichever ingest took their changes in). Never fails the job's own end: a sync finds the changes whenever it comes
 * (the event is a hint; after a failure here, a retry may find nothing left to announce).
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

/** Counts whose member is unknown ('': removals of transactions seen before members were kept) go to the job's member. */
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
