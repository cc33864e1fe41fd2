import { execFileSync } from 'node:child_process';
import { type LedgerBaseline, type LedgerRow, readBaseline, writeBaseline } from '../support/call-ledger.ts';
import { nowIso } from '../support/report.ts';

/** The per-job call table of an earlier run, shown beside this run's ("before"). */
const BASELINE_PATH = new URL('../baselines/scale-calls.json', import.meta.url);

/**
 * The baseline this run is compared with. `BENCH_SCALE_BASELINE=write` makes this run the next runs' baseline; the
 * report still compares it with the one it replaces.
 */
export function callBaseline(run: { jobs: number; costPerMillion: number; rows: LedgerRow[] }): LedgerBaseline | undefined {
  const baseline = readBaseline(BASELINE_PATH.pathname);
  if (process.env.BENCH_SCALE_BASELINE === 'write') {
    writeBaseline(BASELINE_PATH.pathname, {
      commit: execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim(),
      measuredAt: nowIso(),
      jobs: run.jobs,
      costPerMillion: Math.round(run.costPerMillion * 100) / 100,
      rows: run.rows,
    });
  }
  return baseline;
}
