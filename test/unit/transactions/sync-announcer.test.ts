import { describe, expect, it } from 'vitest';
import type { Job } from '../../../lib/aggregation/job.ts';
import { ManualClock } from '../../../lib/clock.ts';
import { silentLog } from '../../../lib/logger.ts';
import type { IngestCounts } from '../../../lib/transactions/changes-found.ts';
import { SyncAnnouncer } from '../../../lib/transactions/sync-announcer.ts';

const USER = 'user-1';
const job = (id: string, memberGuid: string, userId = USER): Job =>
  ({ id, userId, memberGuid, kind: 'aggregation', status: 'succeeded' }) as Job;
const changed: IngestCounts = { added: 2, modified: 0, removed: 1 };

/** A SyncAnnouncer whose ingest finds a change on every member given, counting its ingests and its events. */
function setup(membersChanged: string[]) {
  const published: { id: string; data: { member_guid: string; job_id: string } }[] = [];
  let ingests = 0;
  const announcer = new SyncAnnouncer({
    transactions: {
      async ingestAfterAggregation() {
        ingests++;
        return new Map(membersChanged.map((guid) => [guid, changed]));
      },
    },
    jobs: { latestForMember: async (memberGuid) => job(`job_latest_${memberGuid}`, memberGuid) },
    histories: { get: async () => undefined },
    events: { publish: async (event) => void published.push(event as never) },
    clock: new ManualClock(),
    log: silentLog,
  });
  return { announcer, published, ingests: () => ingests };
}

describe('SyncAnnouncer', () => {
  it('ingests once for the jobs one read ends, each member announced under its own job', async () => {
    const { announcer, published, ingests } = setup(['MBR-1', 'MBR-2', 'MBR-3']);
    await announcer.together(USER, async () => {
      await announcer.jobEnded(job('job_1', 'MBR-1'));
      await announcer.jobEnded(job('job_2', 'MBR-2'));
      expect(ingests()).toBe(0);
    });
    expect(ingests()).toBe(1);
    expect(published.map((event) => [event.data.member_guid, event.data.job_id])).toEqual([
      ['MBR-1', 'job_1'],
      ['MBR-2', 'job_2'],
      ['MBR-3', 'job_latest_MBR-3'],
    ]);
    expect(published.map((event) => event.id)).toContain('msg_job_1_sync_updates');
  });

  it('a job ending on its own, or of another user within the read, ingests at once', async () => {
    const { announcer, ingests } = setup(['MBR-1']);
    await announcer.jobEnded(job('job_1', 'MBR-1'));
    expect(ingests()).toBe(1);
    await announcer.together(USER, async () => {
      await announcer.jobEnded(job('job_9', 'MBR-9', 'user-2'));
      expect(ingests()).toBe(2);
    });
    expect(ingests()).toBe(2);
  });

  it('a read that fails part-way still ingests for the jobs it ended, and fails', async () => {
    const { announcer, ingests } = setup(['MBR-1']);
    await expect(
      announcer.together(USER, async () => {
        await announcer.jobEnded(job('job_1', 'MBR-1'));
        throw new Error('MX failed on the next member');
      }),
    ).rejects.toThrow('MX failed');
    expect(ingests()).toBe(1);
  });
});
