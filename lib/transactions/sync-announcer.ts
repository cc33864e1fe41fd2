import { AsyncLocalStorage } from 'node:async_hooks';
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
 * Jobs ending within `together` share one ingest, after the work: one read of MX that ends several ingests once.
 */
export class SyncAnnouncer implements JobEndListener {
  readonly #gathering = new AsyncLocalStorage<{ userId: string; ended: Job[] }>();

  constructor(private readonly deps: SyncAnnouncerDeps) {}

  async jobEnded(job: Job): Promise<void> {
    if (job.status !== 'succeeded' || !BRINGS_TRANSACTIONS.has(job.kind)) return;
    const gathering = this.#gathering.getStore();
    if (gathering?.userId === job.userId) return void gathering.ended.push(job);
    await this.#ingest(job.userId, [job]);
  }

  /**
   * Runs `work` (a read of the user's members at MX, ending their jobs); the ingest their ends ask for comes once, after
   * it, even when it fails part-way (jobs ended before are announced already).
   *
   * @example
   * await announcer.together(userId, () => readHintedMembers(userId));
   */
  async together<T>(userId: string, work: () => Promise<T>): Promise<T> {
    const gathering = { userId, ended: [] as Job[] };
    try {
      return await this.#gathering.run(gathering, work);
    } finally {
      if (gathering.ended.length > 0) await this.#ingest(userId, gathering.ended);
    }
  }

  async #ingest(userId: string, ended: readonly Job[]): Promise<void> {
    const { transactions, jobs, histories, events, clock, log } = this.deps;
    try {
      const byMember = mergeUnknownMember(await transactions.ingestAfterAggregation(userId), ended[0]!.memberGuid);
      for (const [memberGuid, counts] of byMember) {
        if (counts.added + counts.modified + counts.removed === 0) continue;
        const owner = ended.find((job) => job.memberGuid === memberGuid) ?? (await jobs.latestForMember(memberGuid, clock.now()));
        if (!owner || owner.userId !== userId) continue;
        const historyComplete =
          owner.kind === 'history' || (await histories.get(userId, owner.memberGuid))?.historyCompleteAt !== undefined;
        await events.publish({
          id: eventIds.syncUpdates(owner.id),
          type: 'transactions.sync_updates_available',
          timestamp: new Date(clock.now()).toISOString(),
          data: {
            user_id: userId,
            member_guid: owner.memberGuid,
            job_id: owner.id,
            ...counts,
            historical_update_complete: historyComplete,
          },
        });
      }
    } catch (error) {
      log.warn('could not bring the transactions sync up to date after an aggregation', {
        job_id: ended[0]!.id,
        jobs: ended.length,
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
