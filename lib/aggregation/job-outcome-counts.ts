import type { Clock } from '../clock.ts';
import type { Log } from '../logger.ts';
import type { AggregationMetrics } from './aggregation-metrics.ts';
import type { TerminalStatus } from './job.ts';
import { type JobOutcomesRepository, type OutcomeCounts, outcomeHourOf } from './job-outcomes-repo.ts';

/**
 * Job ends counted in memory and written once per invocation (`flush`), so the scale path does not pay a write per job.
 * Never throws: the counts only draw the operator's chart.
 */
export class JobOutcomeCounts {
  #pending = new Map<string, Partial<OutcomeCounts>>();

  constructor(
    private readonly deps: {
      outcomes: Pick<JobOutcomesRepository, 'add'>;
      clock: Clock;
      log: Log;
      metrics: AggregationMetrics;
    },
  ) {}

  count(outcome: TerminalStatus, now: number): void {
    const hour = outcomeHourOf(now);
    const counts = this.#pending.get(hour) ?? {};
    counts[outcome] = (counts[outcome] ?? 0) + 1;
    this.#pending.set(hour, counts);
  }

  async flush(): Promise<void> {
    const pending = this.#pending;
    this.#pending = new Map();
    for (const [hour, counts] of pending) {
      try {
        await this.deps.outcomes.add(hour, counts, this.deps.clock.now());
      } catch (error) {
        // Kept for the next flush: a chart behind is better than one missing jobs.
        const kept = this.#pending.get(hour) ?? {};
        for (const [outcome, n] of Object.entries(counts) as [TerminalStatus, number][]) kept[outcome] = (kept[outcome] ?? 0) + n;
        this.#pending.set(hour, kept);
        this.deps.metrics.add('JobOutcomeFlushFailures', 1, {});
        this.deps.log.warn('could not record the hour’s job outcomes; kept for the next invocation', {
          hour,
          error: String(error),
        });
      }
    }
  }
}
