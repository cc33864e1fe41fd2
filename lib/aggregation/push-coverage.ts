import type { Clock } from '../clock.ts';
import type { Log } from '../logger.ts';
import type { MxPushRepository } from '../store/mx-push-repo.ts';

/** Pushes seen within this long mean MX is pushing: polls become a safety net (poll-schedule `pushCovered`). */
export const PUSH_COVERAGE_WINDOW_MS = 60 * 60_000;
/** A container re-reads when MX last pushed at most this often, and records pushes at most this often. */
const CACHE_MS = 60_000;

/**
 * Whether MX pushes its webhooks to this deployment. MX sends them when an aggregation ends (AGGREGATION) or needs
 * its user (CONNECTION_STATUS), so a job's own first push is also its last: what can be known ahead is that pushes
 * arrive at all — MX's webhook configuration is per client, not per member. `mx-events` records each push (at most
 * once a minute per container); the poll loop asks `covered()` (cached a minute per container). When pushes stop,
 * the loop is back to its dense schedule within PUSH_COVERAGE_WINDOW_MS plus a minute. Never throws: coverage only
 * tunes how often we poll.
 */
export class PushCoverage {
  #cached: { covered: boolean; expiresAt: number } | undefined;
  #recordedAt = Number.NEGATIVE_INFINITY;

  constructor(private readonly deps: { pushes: Pick<MxPushRepository, 'lastPushAt' | 'recordPush'>; clock: Clock; log: Log }) {}

  async covered(): Promise<boolean> {
    const now = this.deps.clock.now();
    if (this.#cached && this.#cached.expiresAt > now) return this.#cached.covered;
    let covered = false;
    try {
      const last = await this.deps.pushes.lastPushAt();
      covered = last !== undefined && now - last <= PUSH_COVERAGE_WINDOW_MS;
    } catch (error) {
      this.deps.log.warn('could not read when MX last pushed; polling densely', { error: String(error) });
    }
    this.#cached = { covered, expiresAt: now + CACHE_MS };
    return covered;
  }

  async recordPush(): Promise<void> {
    const now = this.deps.clock.now();
    if (now - this.#recordedAt < CACHE_MS) return;
    try {
      await this.deps.pushes.recordPush(now);
      this.#recordedAt = now;
    } catch (error) {
      this.deps.log.warn('could not record an MX push', { error: String(error) });
    }
  }
}
