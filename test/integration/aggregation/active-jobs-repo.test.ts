import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { ActiveJobsRepository } from '../../../lib/aggregation/active-jobs-repo.ts';
import { keys } from '../../../lib/store/table.ts';
import { useLocalEngines } from '../../support/local-table.ts';

/** The members' active-job pointers over dynalite: claimed, listed for the sweeper, held and released. */
const local = useLocalEngines();

describe('ActiveJobsRepository: the active-job pointer', () => {
  it('lives in a table partition the sweeper reads consistently, with no index entry to pay for', async () => {
    const pointers = new ActiveJobsRepository(local.table);
    const now = Date.UTC(2026, 5, 1, 9);
    const members = Array.from({ length: 24 }, (_, i) => ({ userId: 'user-pointer', memberGuid: `MBR-pointer-${i}` }));
    for (const [i, member] of members.entries()) {
      expect(await pointers.claimActive(member, `job-pointer-${i}`, now + 60_000, now)).toBe(true);
    }
    const listed = async () => {
      const found: { jobId: string; memberGuid: string; userId: string; claimedAt: number }[] = [];
      for await (const pointer of pointers.activeJobs()) {
        if (pointer.memberGuid.startsWith('MBR-pointer-')) found.push(pointer);
      }
      return found.sort((a, b) => a.jobId.localeCompare(b.jobId));
    };
    // At once after the claims: the worklist is read from the table itself, not from an eventually consistent index.
    expect(await listed()).toEqual(
      members
        .map((member, i) => ({ jobId: `job-pointer-${i}`, ...member, claimedAt: now }))
        .sort((a, b) => a.jobId.localeCompare(b.jobId)),
    );
    const stored = await local.table.client.send(
      new GetCommand({ TableName: local.table.tableName, Key: keys.activeJob(members[0]!), ConsistentRead: true }),
    );
    expect(Object.keys(stored.Item!).filter((name) => name.startsWith('gsi'))).toEqual([]);

    await pointers.releaseActive(members[0]!, 'job-pointer-0');
    expect((await listed()).map((pointer) => pointer.memberGuid)).not.toContain(members[0]!.memberGuid);
    expect(await pointers.holdsActive(members[1]!, 'job-pointer-1')).toBe(true);
    // A second claim while the first is live loses; once expired, it wins.
    expect(await pointers.claimActive(members[1]!, 'job-pointer-x', now + 60_000, now)).toBe(false);
    expect(await pointers.claimActive(members[1]!, 'job-pointer-x', now + 200_000, now + 61_000)).toBe(true);
  });
});
