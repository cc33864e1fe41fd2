import fc from 'fast-check';
import { expect, it } from 'vitest';
import { useSyncHarness } from './sync-harness.ts';
import type { MxTransaction } from '../../../lib/transactions/changes-found.ts';

/**
 * Random interleavings of aggregations (several members, adds and updates, some on the same day, some across
 * days), syncs in random page sizes, and syncs that start while an aggregation is running or pause between pages:
 * every version a client receives is new to it, and once the dust settles its copy equals MX's list exactly.
 */
const harness = useSyncHarness(Date.UTC(2026, 10, 1, 9));
const { clock, control } = harness;
let run = 0;

type Step =
  | { kind: 'aggregate'; member: number; add: number; update: number; finish: boolean }
  | { kind: 'sync'; pageSize: number; pauseAfterPages: number }
  | { kind: 'advance'; ms: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({
    kind: fc.constant('aggregate' as const),
    member: fc.nat({ max: 2 }),
    add: fc.nat({ max: 4 }),
    update: fc.nat({ max: 3 }),
    // false: the aggregation is still running when the next step comes (a sync during an aggregation).
    finish: fc.boolean(),
  }),
  fc.record({
    kind: fc.constant('sync' as const),
    pageSize: fc.integer({ min: 1, max: 6 }),
    pauseAfterPages: fc.nat({ max: 2 }),
  }),
  // Seconds (the same day) to a day and a half (across MX's day boundary).
  fc.record({
    kind: fc.constant('advance' as const),
    ms: fc.oneof(fc.integer({ min: 2_000, max: 60_000 }), fc.integer({ min: 3_600_000, max: 36 * 3_600_000 })),
  }),
);

it('delivers every change exactly once across any interleaving', { timeout: 240_000 }, async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(step, { minLength: 4, maxLength: 14 }), async (steps) => {
      const user = `prop-user-${++run}`;
      const members: string[] = [];
      for (let i = 0; i < 3; i++) {
        members.push(
          (
            await control('/_sim/members', {
              user_id: user,
              // One transaction of its own, so updates reach one no aggregation added; one, as syncs here page by 1 to 6.
              transactions: 1,
              aggregation: { duration_ms: 1000, transactions: { add: 2, update: 0 } },
            })
          ).member.guid,
        );
      }
      // The client's copy, and the cursor it keeps between syncs (and between the pages of a paused sync).
      const copy = new Map<string, string>();
      let cursor: string | undefined;
      let paused: { pageSize: number } | undefined;

      const receive = (page: { added: MxTransaction[]; modified: MxTransaction[]; removed: { guid: string }[] }) => {
        for (const transaction of [...page.added, ...page.modified]) {
          const updatedAt = String(transaction.updated_at);
          // A version handed out is one the client does not hold: no change comes twice.
          expect(copy.get(transaction.guid), `${transaction.guid} came again unchanged`).not.toBe(updatedAt);
          copy.set(transaction.guid, updatedAt);
        }
        for (const { guid } of page.removed) copy.delete(guid);
      };
      const syncPages = async (pageSize: number, maxPages: number) => {
        for (let pages = 0; pages < maxPages; pages++) {
          clock.advance(1); // a later call, as a client's next request is
          const page = await harness.relay.apiRead.transactions.sync(user, { cursor, count: pageSize });
          receive(page);
          cursor = page.next_cursor;
          if (!page.has_more) return true;
        }
        return false;
      };

      for (const s of steps) {
        if (s.kind === 'aggregate') {
          const member = members[s.member]!;
          await control('/_sim/members', {
            user_id: user,
            member_guid: member,
            aggregation: { duration_ms: 1000, transactions: { add: s.add, update: s.update } },
          });
          await harness.relay.apiRead.nexus.aggregateMember(user, member).catch(() => undefined); // 202 while one runs
          if (s.finish) clock.advance(1000);
        } else if (s.kind === 'advance') {
          clock.advance(s.ms);
        } else {
          // A paused sync resumes from its cursor first; this one may pause too after a few pages.
          if (paused) await syncPages(paused.pageSize, Number.POSITIVE_INFINITY);
          paused = (await syncPages(s.pageSize, s.pauseAfterPages === 0 ? Number.POSITIVE_INFINITY : s.pauseAfterPages))
            ? undefined
            : { pageSize: s.pageSize };
        }
      }

      // Every aggregation ends; the client syncs to the end: its copy is MX's list.
      clock.advance(5_000);
      await syncPages(4, Number.POSITIVE_INFINITY);
      const mx = (await control(`/_sim/users/${user}/transactions`)).transactions as { guid: string; updated_at: string }[];
      expect(new Map(mx.map((t) => [t.guid, t.updated_at]))).toEqual(copy);

      // A new client from the start: every transaction exactly once, in its latest version, all as added.
      const fresh = await harness.relay.apiRead.transactions.sync(user, { count: 500 });
      expect(fresh.modified).toEqual([]);
      expect(fresh.added.map((t) => [t.guid, String(t.updated_at)]).sort()).toEqual(mx.map((t) => [t.guid, t.updated_at]).sort());
    }),
    { numRuns: 60, seed: 20261123 },
  );
});
