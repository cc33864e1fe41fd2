import { type BoundedCache, boundedCache } from '../bounded-cache.ts';
import type { Clock } from '../clock.ts';
import type { Log } from '../logger.ts';
import type { AggregationMetrics } from './aggregation-metrics.ts';
import type { ServedUsers } from '../mx/sessions.ts';
import type { ReconcileRepository } from './reconcile-repo.ts';

/** An app's use of a user is written at most this often: inactivity is counted in days. */
export const SERVED_NOTE_INTERVAL_MS = 24 * 3600_000;
const NOTED_USERS_MAX = 10_000;

export interface ReconcileEnrolmentDeps {
  schedule: Pick<ReconcileRepository, 'serve'>;
  clock: Clock;
  log: Log;
  metrics: AggregationMetrics;
}

/**
 * Puts users on the reconcile's schedule as apps are served them: a session or a widget URL (a first member connected
 * through MX's widget may be found only by the reconcile). worker-poll has none: what MX alone sets off serves no app.
 */
export class ReconcileEnrolment implements ServedUsers {
  readonly #noted: BoundedCache<string, true>;

  constructor(private readonly deps: ReconcileEnrolmentDeps) {
    this.#noted = boundedCache({ max: NOTED_USERS_MAX, ttlMs: SERVED_NOTE_INTERVAL_MS, clock: deps.clock });
  }

  async note(userId: string): Promise<void> {
    const { schedule, clock, log, metrics } = this.deps;
    try {
      const now = clock.now();
      const enrolled = await schedule.serve(userId, now, now - SERVED_NOTE_INTERVAL_MS);
      this.#noted.set(userId, true);
      if (!enrolled) return;
      metrics.add('ReconcileEnrolments', 1, { outcome: 'enrolled' });
      log.info('user joins the reconcile', { user_id: userId });
    } catch (error) {
      // The call goes on: the next session or widget URL tries again.
      metrics.add('ReconcileEnrolments', 1, { outcome: 'failed' });
      log.warn('reconcile enrolment failed', { user_id: userId, error: error instanceof Error ? error.name : typeof error });
    }
  }

  /** An app's use of a session another call made: noted once a day per container. */
  used(userId: string): Promise<void> | undefined {
    if (this.#noted.has(userId)) return undefined;
    return this.note(userId);
  }
}
