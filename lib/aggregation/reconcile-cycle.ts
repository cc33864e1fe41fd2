import { createHash } from 'node:crypto';

/**
 * The reconcile's cycle: each user has a fixed slot in the interval, from its id, so its turn comes once an interval with
 * no write to move it.
 */

const SLOTS = 2 ** 32;
/** Past every sort key of this slot: `~` sorts after `#` and every user id character. */
export const slotEnd = (slot: string): string => `${slot}~`;
export const LAST_SLOT = 'ffffffff';

/** From a hash of its id: spread evenly, whatever the ids look like. */
export function slotOf(userId: string): string {
  return createHash('sha256').update(userId).digest('hex').slice(0, 8);
}

/** The slot time `at` is passing. */
export function slotAt(at: number, intervalMs: number): string {
  const fraction = (((at % intervalMs) + intervalMs) % intervalMs) / intervalMs;
  return Math.min(SLOTS - 1, Math.floor(fraction * SLOTS))
    .toString(16)
    .padStart(8, '0');
}

/** A run of slots: those after `after` (all from the first when undefined) through `through`. */
export interface SlotRange {
  after?: string;
  through: string;
}

/** The slots a walk from `from` (exclusive) to `to` passes, wrapping past the end; `whole`: every slot once. */
export function walkRanges(from: string, to: string, whole = false): SlotRange[] {
  if (from < to && !whole) return [{ after: from, through: to }];
  if (from === to && !whole) return [];
  return [...(from < LAST_SLOT ? [{ after: from, through: LAST_SLOT }] : []), { through: to }];
}
