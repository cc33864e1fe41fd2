import type { Clock } from '../clock.ts';
import type { Log } from '../logger.ts';
import { hourOf, type MxPushRepository, type PushCounts } from './mx-push-repo.ts';

const HOUR_MS = 3600_000;
/** Below this many ends in that span, too little is known: not covered. */
export const MIN_ENDS_FOR_COVERAGE = 10;
/** Covered while MX pushed at least this share of the ends it documents a push for. */
export const COVERED_PUSH_RATIO = 0.9;
const CACHE_MS = 60_000;

/**
 * Whether MX's pushes announce this deployment's aggregation ends, so polls may be sparse. Measured, not assumed: an MX
 * that stays quiet when nothing changed must not stretch the polls of jobs it will not announce; when pushes fall
 * behind the ends, polls are dense again within minutes. Never throws: coverage only tunes how often we poll.
 */
export class PushCoverage {
  #cached: { covered: boolean; expiresAt: number } | undefined;
  #pending: PushCounts = { pushes: 0, ends: 0, background: 0 };
  #flushedAt = Number.NEGATIVE_INFINITY;

  constructor(private readonly deps: { pushes: Pick<MxPushRepository, 'add' | 'countsSince'>; clock: Clock; log: Log }) {}

  async covered(): Promise<boolean> {
    const now = this.deps.clock.now();
    if (this.#cached && this.#cached.expiresAt > now) return this.#cached.covered;
    let covered = false;
    try {
      const shared = await this.deps.pushes.countsSince(hourOf(now - HOUR_MS));
      const pushes = shared.pushes + this.#pending.pushes;
      const ends = shared.ends + this.#pending.ends;
      covered = ends >= MIN_ENDS_FOR_COVERAGE && pushes >= COVERED_PUSH_RATIO * ends;
    } catch (error) {
      this.deps.log.warn('could not read the MX push counters; polling densely', { error: String(error) });
    }
    this.#cached = { covered, expiresAt: now + CACHE_MS };
    return covered;
  }

  /** A background aggregation's push announces no job: counted apart, only as a sign MX is pushing. */
  recordPush(background = false): Promise<void> {
    if (background) this.#pending.background += 1;
    else this.#pending.pushes += 1;
    return this.#flushWhenDue();
  }

  /** A job ended in a status MX documents a push for. */
  recordEnd(): Promise<void> {
    this.#pending.ends += 1;
    return this.#flushWhenDue();
  }

  async #flushWhenDue(): Promise<void> {
    const now = this.deps.clock.now();
    if (now - this.#flushedAt < CACHE_MS) return;
    const counts = this.#pending;
    this.#pending = { pushes: 0, ends: 0, background: 0 };
    this.#flushedAt = now;
    try {
      await this.deps.pushes.add(hourOf(now), counts, now);
    } catch (error) {
      // Kept for the next flush: a lost count only makes coverage lag.
      this.#pending = {
        pushes: this.#pending.pushes + counts.pushes,
        ends: this.#pending.ends + counts.ends,
        background: this.#pending.background + counts.background,
      };
      this.deps.log.warn('could not record the MX push counters', { error: String(error) });
    }
  }
}
