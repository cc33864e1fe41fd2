import type { Clock } from '../clock.ts';
import type { Log } from '../logger.ts';
import type { AggregationMetrics } from './aggregation-metrics.ts';
import { hourOf, type MxPushRepository } from './mx-push-repo.ts';
import type { DelayedQueue } from '../queue/delayed-queue.ts';
import type { ReconcileMessage } from '../queue/poll-message.ts';
import { RECONCILE_SHARDS } from '../store/table.ts';
import { slotAt, slotEnd, walkRanges } from './reconcile-cycle.ts';
import type { ReconcileRepository, SlotUser, TurnFacts } from './reconcile-repo.ts';
import { MX_DAILY_CADENCE_MS } from './reconcile-turn.ts';

/** How often the dispatcher runs. */
export const RECONCILE_DISPATCH_EVERY_MINUTES = 2;
/** Forgetting waits until the leave is written. */
const FORGET_AFTER_LEAVE_MS = 60_000;
const PAGE_SIZE = 100;

export interface DispatchReport {
  due: number;
  sent: number;
  /** Passed without a turn: read, or first served, within half an interval. */
  skipped: number;
  /** Taken off the cycle: no app was served them for RECONCILE_INACTIVE_DAYS. */
  inactive: number;
  /** At least this many still due when the run stopped (cap or time budget): the next run takes them. */
  left: number;
  overdueMs: number;
}

export interface ReconcileDispatcherDeps {
  schedule: Pick<ReconcileRepository, 'inSlots' | 'turnFacts' | 'leave' | 'markServed' | 'cursor' | 'moveCursor'>;
  pushes: Pick<MxPushRepository, 'countsSince'>;
  queue: Pick<DelayedQueue<ReconcileMessage>, 'scheduleAll'>;
  intervalMs: number;
  /** A user no app was served this long leaves the cycle (0: never). */
  inactiveAfterMs: number;
  /** A run's turns are spread at this pace over its period, and capped by it. */
  turnsPerMinute: number;
  periodMs: number;
  /** A run takes no new page after this long (the function's timeout, less a page's work). */
  budgetMs: number;
  clock: Clock;
  log: Log;
  metrics: AggregationMetrics;
  shards?: number;
}

/**
 * Walks the cycle's slots passed since the last walk and sends each user's turn to worker-poll, paced. No write per
 * turn: the shard's cursor moves once a page is queued (a page sent twice is harmless), conditionally, so two runs never
 * walk one stretch twice. Behind by a whole interval or more, a walk takes every user once.
 */
export class ReconcileDispatcher {
  constructor(private readonly deps: ReconcileDispatcherDeps) {}

  async dispatch(): Promise<DispatchReport> {
    const { clock, intervalMs, turnsPerMinute, periodMs, log, metrics } = this.deps;
    const now = clock.now();
    // Off: users enrolled before stay on the cycle, untouched.
    if (intervalMs <= 0) return { due: 0, sent: 0, skipped: 0, inactive: 0, left: 0, overdueMs: 0 };
    // MX announces each member's daily aggregation: working webhooks push at least once a day and interval.
    const counts = await this.deps.pushes.countsSince(hourOf(now - MX_DAILY_CADENCE_MS - intervalMs));
    const webhooksOn = counts.pushes + counts.background > 0;
    const report: DispatchReport = { due: 0, sent: 0, skipped: 0, inactive: 0, left: 0, overdueMs: 0 };
    const maxTurns = Math.max(1, Math.floor((turnsPerMinute * periodMs) / 60_000));
    const shards = this.deps.shards ?? RECONCILE_SHARDS;
    // allSettled: no shard goes on sending after the run has answered.
    const runs = await Promise.allSettled(
      Array.from({ length: shards }, (_, shard) => this.#dispatchShard(shard, now, webhooksOn, maxTurns, report)),
    );
    const failed = runs.find((run) => run.status === 'rejected');
    if (failed) throw failed.reason;
    metrics.add('ReconcileOverdue', report.overdueMs, {});
    if (report.sent > 0) metrics.add('ReconcileDispatched', report.sent, {});
    if (report.inactive > 0) metrics.add('ReconcileLeaves', report.inactive, {});
    if (report.left > 0) log.warn('reconcile behind: users left due for the next run', { ...report, webhooks_on: webhooksOn });
    else if (report.due > 0) log.info('reconcile dispatched', { ...report, webhooks_on: webhooksOn });
    return report;
  }

  async #dispatchShard(shard: number, now: number, webhooksOn: boolean, maxTurns: number, report: DispatchReport) {
    const { schedule, queue, clock, intervalMs, turnsPerMinute, budgetMs, log } = this.deps;
    let cursor = await schedule.cursor(shard);
    // Before the first walk, every user's first turn comes within one interval (not overdue: nothing was due before).
    const at = cursor?.at ?? now - intervalMs;
    if (now <= at && !cursor?.walk) return;
    const walk = cursor?.walk ?? {
      from: slotAt(Math.max(at, now - intervalMs), intervalMs),
      whole: now - at >= intervalMs,
      toAt: now,
      ...(cursor ? {} : { first: true }),
    };
    if (!walk.first) report.overdueMs = Math.max(report.overdueMs, now - at);
    const ranges = walkRanges(walk.from, slotAt(walk.toAt, intervalMs), walk.whole);
    for (let index = walk.range ?? 0; index < ranges.length; index++) {
      // A resumed walk goes on after the last user it sent, in the range it stopped in.
      let done = index === walk.range ? walk.done : undefined;
      if (done !== undefined && done >= slotEnd(ranges[index]!.through)) continue;
      for (let more = true; more;) {
        const page = await schedule.inSlots(shard, ranges[index]!, PAGE_SIZE, done);
        more = page.more;
        if (page.users.length === 0) break;
        if (clock.now() - now >= budgetMs || report.sent >= maxTurns) {
          report.left += page.users.length;
          return;
        }
        report.due += page.users.length;
        // Turns past the run's cap wait for the next run: the cursor stops at the last one sent.
        const first = report.sent;
        const taken = page.users.slice(0, Math.max(0, maxTurns - first));
        // Counted before the next await: the shards run at once and share the cap.
        report.sent += taken.length;
        report.left += page.users.length - taken.length;
        const facts = await schedule.turnFacts(taken.map((user) => user.userId));
        const active = await this.#keepActive(taken, facts, now, report);
        // A user read (or first served) within half an interval has nothing for a turn to find.
        const turns = active.filter((user) => (facts.get(user.userId)?.lastRead ?? 0) <= now - intervalMs / 2);
        report.sent -= taken.length - turns.length;
        report.skipped += active.length - turns.length;
        // This run's turns fill its period at `turnsPerMinute`, whatever shard they come from.
        await queue.scheduleAll(
          turns.map((user, i) => {
            const since = facts.get(user.userId)?.lastRead;
            return {
              reconcile: { user_id: user.userId, ...(since === undefined ? {} : { since }), webhooks_on: webhooksOn },
              due_at: now + Math.floor(((first + i) * 60_000) / turnsPerMinute),
            };
          }),
        );
        done = taken.at(-1)!.key;
        const next = { at, walk: { ...walk, range: index, done } };
        if (!(await schedule.moveCursor(shard, cursor, next))) return this.#lost(shard, log);
        cursor = { ...next, version: (cursor?.version ?? 0) + 1 };
        if (taken.length < page.users.length) return;
      }
    }
    if (!(await schedule.moveCursor(shard, cursor, { at: walk.toAt }))) this.#lost(shard, log);
  }

  /** The users an app was served lately; the others leave the cycle. Users without `served_at` start that clock now. */
  async #keepActive(users: SlotUser[], facts: Map<string, TurnFacts>, now: number, report: DispatchReport) {
    const { schedule, inactiveAfterMs } = this.deps;
    if (inactiveAfterMs <= 0) return users;
    const cutoff = now - inactiveAfterMs;
    const unmarked = users.filter((user) => facts.has(user.userId) && facts.get(user.userId)!.servedAt === undefined);
    const inactive = users.filter((user) => (facts.get(user.userId)?.servedAt ?? cutoff) < cutoff);
    // Sent before the leave, due after it, so a user that leaves is never left unforgotten.
    if (inactive.length > 0) {
      const dueAt = now + FORGET_AFTER_LEAVE_MS;
      await this.deps.queue.scheduleAll(
        inactive.map((user) => ({ reconcile: { user_id: user.userId, left: true }, due_at: dueAt })),
      );
    }
    const [, left] = await Promise.all([
      unmarked.length > 0
        ? schedule.markServed(
            unmarked.map((user) => user.userId),
            now,
          )
        : undefined,
      // Its item expires as long after: nothing of a user no app asks about is kept for ever.
      Promise.all(inactive.map((user) => schedule.leave(user.userId, cutoff, now, now + inactiveAfterMs))),
    ]);
    report.inactive += left.filter(Boolean).length;
    return users.filter((user) => !inactive.includes(user));
  }

  #lost(shard: number, log: Log): void {
    log.info('reconcile walk taken over by another run', { shard });
  }
}
