import type { Clock } from '../clock.ts';
import type { Log } from '../logger.ts';
import type { MetricsSink } from '../metrics.ts';
import type { ServedUsers } from '../mx/sessions.ts';
import type { ReconcileRepository } from './reconcile-repo.ts';

export interface ReconcileEnrolmentDeps {
  schedule: Pick<ReconcileRepository, 'enroll'>;
  clock: Clock;
  log: Log;
  metrics: MetricsSink;
}

/**
 * The users the relay serves, put on the reconcile's schedule as they are served: when the relay makes a user a
 * session (every read, refresh and report of a member needs one) or a widget URL (a new user's first member may be
 * connected through MX's widget with no other call from the app, and with MX's webhooks off only the reconcile finds
 * it). A user already on the schedule keeps its turn; the write is one conditional put, about twice an hour per
 * active user at most (a session lasts 30 minutes).
 */
export class ReconcileEnrolment implements ServedUsers {
  constructor(private readonly deps: ReconcileEnrolmentDeps) {}

  async note(userId: string): Promise<void> {
    const { schedule, clock, log, metrics } = this.deps;
    try {
      const now = clock.now();
      const enrolled = await schedule.enroll(userId, now);
      metrics.add('ReconcileEnrolments', 1, { outcome: enrolled ? 'enrolled' : 'already' });
      if (enrolled) log.info('user joins the reconcile', { user_id: userId });
    } catch (error) {
      // The call it follows goes on: the next session or widget URL for the user tries again.
      metrics.add('ReconcileEnrolments', 1, { outcome: 'failed' });
      log.warn('reconcile enrolment failed', { user_id: userId, error: error instanceof Error ? error.name : typeof error });
    }
  }
}
