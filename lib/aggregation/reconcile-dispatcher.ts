import type { Clock } from '../clock.ts';
import type { Log } from '../logger.ts';
import type { MetricsSink } from '../metrics.ts';
import { hourOf, type MxPushRepository } from '../mx-events/mx-push-repo.ts';
import type { DelayedQueue } from '../queue/delayed-queue.ts';
import type { ReconcileMessage } from '../queue/poll-message.ts';
import { RECONCILE_SHARDS } from '../store/table.ts';
import type { DueUser, ReconcileRepository } from './reconcile-repo.ts';
import { MX_DAILY_CADENCE_MS } from './reconcile-turn.ts';

/** How often the dispatcher runs (an EventBridge schedule in AWS, a timer locally). */
export const RECONCILE_DISPATCH_EVERY_MINUTES = 2;
/** Users taken from a shard at once: one query, one BatchGetItem, one send per ten. */
const PAGE_SIZE = 100;
/** Bookings in flight at once, per shard. */
const IN_FLIGHT = 25;

export interface DispatchReport {
  /** Users found due. */
  due: number;
  /** Users sent to worker-poll for their turn. */
  sent: number;
  /**
   * Users found still due when the run stopped (its cap or time budget reached; at least this many): the next run
   * takes them.
   */
  left: number;
  /** How late the longest overdue user found was, ms. */
  overdueMs: number;
}

export interface ReconcileDispatcherDeps {
  schedule: Pick<ReconcileRepository, 'due' | 'lastReads' | 'book'>;
  pushes: Pick<MxPushRepository, 'countsSince'>;
  queue: Pick<DelayedQueue<ReconcileMessage>, 'scheduleAll'>;
  intervalMs: number;
  /** RECONCILE_TURNS_PER_MINUTE: a run's turns are spread at this pace over the run's period, and capped by it. */
  turnsPerMinute: number;
  /** How often a run starts (its schedule). */
  periodMs: number;
  /** A run takes no new page after this long (the function's timeout, less a page's work). */
  budgetMs: number;
  clock: Clock;
  log: Log;
  metrics: MetricsSink;
  shards?: number;
}

/**
 * The reconcile's dispatcher (its own scheduled function): every period it takes the users due from every shard of
 * the schedule in parallel, a page at a time, and sends each user's turn to worker-poll in batches, spread at
 * RECONCILE_TURNS_PER_MINUTE — with whether MX pushed lately, so that the turn reads MX only when the user needs it
 * (reconcile-turn.ts, judged where the member states may be read). A user's next turn is booked only once its turn
 * is queued (a failed send leaves it due for the next run), with a conditional write from the entry it was found
 * under, so two runs never book one turn twice.
 */
export class ReconcileDispatcher {
  constructor(private readonly deps: ReconcileDispatcherDeps) {}

  async dispatch(): Promise<DispatchReport> {
    const { clock, intervalMs, turnsPerMinute, periodMs, log, metrics } = this.deps;
    const now = clock.now();
    // RECONCILE_INTERVAL_MINUTES=0 turns the reconcile off: users enrolled before stay on the schedule, untouched.
    if (intervalMs <= 0) return { due: 0, sent: 0, left: 0, overdueMs: 0 };
    // MX announces each member's daily aggregation: working webhooks push at least once a day and interval.
    const counts = await this.deps.pushes.countsSince(hourOf(now - MX_DAILY_CADENCE_MS - intervalMs));
    const webhooksOn = counts.pushes + counts.background > 0;
    const report: DispatchReport = { due: 0, sent: 0, left: 0, overdueMs: 0 };
    const maxTurns = Math.max(1, Math.floor((turnsPerMinute * periodMs) / 60_000));
    const shards = this.deps.shards ?? RECONCILE_SHARDS;
    await Promise.all(
      Array.from({ length: shards }, (_, shard) => this.#dispatchShard(shard, now, webhooksOn, maxTurns, report)),
    );
    metrics.add('ReconcileOverdue', report.overdueMs, {});
    if (report.sent > 0) metrics.add('ReconcileDispatched', report.sent, {});
    if (report.left > 0) log.warn('reconcile behind: users left due for the next run', { ...report, webhooks_on: webhooksOn });
    else if (report.due > 0) log.info('reconcile dispatched', { ...report, webhooks_on: webhooksOn });
    return report;
  }

  async #dispatchShard(shard: number, now: number, webhooksOn: boolean, maxTurns: number, report: DispatchReport) {
    const { schedule, queue, clock, intervalMs, turnsPerMinute, budgetMs } = this.deps;
    let start: Record<string, unknown> | undefined;
    do {
      const stop = clock.now() - now >= budgetMs || report.sent >= maxTurns;
      const page = await schedule.due(shard, now, PAGE_SIZE, start);
      start = page.next;
      if (page.users.length === 0) return;
      report.overdueMs = Math.max(report.overdueMs, now - page.users[0]!.dueAt);
      if (stop) {
        report.left += page.users.length;
        return;
      }
      report.due += page.users.length;
      // Turns past the run's cap wait for the next run, still due: their entries are not moved.
      const first = report.sent;
      const taken = page.users.slice(0, Math.max(0, maxTurns - first));
      report.sent += taken.length;
      report.left += page.users.length - taken.length;
      const lastReads = await schedule.lastReads(taken.map((user) => user.userId));
      // At a steady pace: this run's turns fill its period at `turnsPerMinute`, whatever shard they come from.
      await queue.scheduleAll(
        taken.map((user, index) => {
          const since = lastReads.get(user.userId);
          return {
            reconcile: { user_id: user.userId, ...(since === undefined ? {} : { since }), webhooks_on: webhooksOn },
            due_at: now + Math.floor(((first + index) * 60_000) / turnsPerMinute),
          };
        }),
      );
      for (let i = 0; i < taken.length; i += IN_FLIGHT) {
        await Promise.all(taken.slice(i, i + IN_FLIGHT).map((user) => this.#book(user, now + intervalMs)));
      }
    } while (start);
  }

  async #book(user: DueUser, nextDueAt: number): Promise<void> {
    if (!(await this.deps.schedule.book(user, nextDueAt))) {
      this.deps.log.info('reconcile turn taken meanwhile (user erased, or booked by another run)', { user_id: user.userId });
    }
  }
}
