import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type SlotRange, slotAt, slotOf, walkRanges } from '../../../lib/aggregation/reconcile-cycle.ts';

const INTERVAL = 6 * 3600_000;
const inRange = (slot: string, { after, through }: SlotRange) => (after === undefined || slot > after) && slot <= through;
const hex8 = fc.integer({ min: 0, max: 2 ** 32 - 1 }).map((n) => n.toString(16).padStart(8, '0'));

describe('the reconcile cycle', () => {
  it('gives each user a fixed slot of 8 hex digits, spread over the cycle', () => {
    expect(slotOf('user-1')).toBe(slotOf('user-1'));
    expect(slotOf('user-1')).toMatch(/^[0-9a-f]{8}$/);
    const quarters = [0, 0, 0, 0];
    for (let i = 0; i < 4000; i++) quarters[Math.floor(Number.parseInt(slotOf(`u${i}`), 16) / 2 ** 30)]!++;
    for (const count of quarters) expect(count).toBeGreaterThan(850);
  });

  it('walks between consecutive moments pass every slot exactly once an interval, wrapping past its end', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 40 }),
        fc.uniqueArray(fc.integer({ min: 1, max: INTERVAL - 1 }), { maxLength: 6 }),
        fc.array(hex8, { minLength: 1, maxLength: 20 }),
        (start, cuts, slots) => {
          const moments = [start, ...cuts.sort((a, b) => a - b).map((cut) => start + cut), start + INTERVAL];
          const walks = moments
            .slice(1)
            .map((to, i) => walkRanges(slotAt(moments[i]!, INTERVAL), slotAt(to, INTERVAL), to - moments[i]! >= INTERVAL));
          // The last walk ends where the first began: over the interval, every slot once.
          for (const slot of slots) {
            const passes = walks.flat().filter((range) => inRange(slot, range)).length;
            expect(passes).toBe(1);
          }
        },
      ),
    );
  });

  it('a whole walk passes every slot once; a walk of no time passes none', () => {
    fc.assert(
      fc.property(hex8, hex8, (from, slot) => {
        expect(walkRanges(from, from, true).filter((range) => inRange(slot, range))).toHaveLength(1);
        expect(walkRanges(from, from)).toEqual([]);
      }),
    );
  });
});
