import { expect, it } from 'vitest';
import { MemberStatesRepository } from '../../../lib/aggregation/member-states-repo.ts';
import { useLocalEngines } from '../../support/local-table.ts';

const local = useLocalEngines();
const NOW = Date.UTC(2026, 10, 29, 3);

it("a member MX no longer has is not among the user's seen members: it is never aggregated again", async () => {
  const states = new MemberStatesRepository(local.table);
  const user = 'states-gone';
  const seen = { connectionStatus: 'CONNECTED', statusSeq: 1, aggregatedAt: '2026-11-28T03:00:00Z', now: NOW };
  for (const member of ['MBR-1', 'MBR-2']) expect(await states.record(user, member, 0, seen)).toBe(true);
  await states.gone(user, 'MBR-2');
  expect(await states.seenOf(user)).toEqual([
    { memberGuid: 'MBR-1', aggregatedAt: '2026-11-28T03:00:00Z', connectionStatus: 'CONNECTED' },
  ]);
  // Its state stays (and its count of announced changes with it).
  expect(await states.get(user, 'MBR-2')).toMatchObject({ connectionStatus: 'CONNECTED', statusSeq: 1 });
});
