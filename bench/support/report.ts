import { cpus, release, totalmem, type } from 'node:os';
import { fileURLToPath } from 'node:url';

export const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** Build outputs, profiles and scratch files (git-ignored `.local/`, inside the project so bundles resolve node_modules). */
export const WORK_DIR = `${PROJECT_ROOT}.local/bench/`;

/** One row of the summary table at the top of BENCHMARKS.md. */
export interface TargetCheck {
  target: string;
  measured: string;
  met: boolean;
  /** The target lies within the figure's 95 % interval: this run's noise could turn the verdict either way. */
  undecided?: boolean;
  /** A figure reported without a target (shown as such in the summary). */
  info?: boolean;
}

/** A figure's 95 % interval. */
export interface Interval {
  low: number;
  high: number;
}

/**
 * A target check's verdict with its figure's noise counted: met or missed only with the whole interval on one side of
 * the target, undecided when it spans it. `met` keeps the figure's own side.
 *
 * @example
 * judge(0.47, { low: 0.41, high: 0.55 }, 0.5, 'at most') // { met: true, undecided: true }
 */
export function judge(
  figure: number,
  interval: Interval,
  target: number,
  bound: 'at most' | 'at least',
): Pick<TargetCheck, 'met' | 'undecided'> {
  const met = bound === 'at most' ? figure <= target : figure >= target;
  const spans = interval.low <= target && target <= interval.high && interval.low < interval.high;
  return spans ? { met, undecided: true } : { met };
}

/**
 * The lines under a section's tables: its missed targets, then its undecided ones, each with its figure; or that all
 * were met.
 *
 * @example
 * verdictLines([{ target: 'p50 ≤ 1 s', measured: '1.2 s', met: false }]) // ['**Missed:** p50 ≤ 1 s (1.2 s).', '']
 */
export function verdictLines(checks: readonly TargetCheck[]): string[] {
  const lists = [
    ['Missed', checks.filter((c) => !c.met && !c.undecided)],
    ['Undecided (the target within the interval)', checks.filter((c) => c.undecided)],
  ] as const;
  if (lists.every(([, list]) => list.length === 0)) return ['**All targets met.**'];
  return lists.flatMap(([label, list]) =>
    list.length === 0 ? [] : [`**${label}:** ${list.map((c) => `${c.target} (${c.measured})`).join('; ')}.`, ''],
  );
}

/** `12.3 (95 %: 11.8–12.9)`: a figure with its interval, as a row shows it. */
export const withInterval = (text: string, interval: Interval, format: (value: number) => string): string =>
  `${text} (95 %: ${format(interval.low)}–${format(interval.high)})`;

/** What each benchmark hands back: its BENCHMARKS.md section and the checks it made. */
export interface BenchResult {
  id: string;
  title: string;
  /** The section body (Markdown), without its heading. */
  markdown: string;
  checks: TargetCheck[];
  /** Wall time of the benchmark, filled in by the runner. */
  seconds?: number;
  /** When and where it ran, filled in by the runner. */
  measuredOn?: string;
}

export function machine(): { summary: string; cpu: string; cores: number; memoryGiB: number; os: string; node: string } {
  const cpu = cpus()[0]?.model.trim() ?? 'unknown CPU';
  const cores = cpus().length;
  const memoryGiB = Math.round((totalmem() / 1024 ** 3) * 10) / 10;
  const os = `${type()} ${release()}`;
  return {
    summary: `${cores} × ${cpu}, ${memoryGiB} GiB RAM, ${os}, Node ${process.version}`,
    cpu,
    cores,
    memoryGiB,
    os,
    node: process.version,
  };
}

/** A Markdown table from a header row and rows of cells. */
export function table(header: readonly string[], rows: ReadonlyArray<ReadonlyArray<string | number>>, align?: string): string {
  const alignRow = align ?? header.map((_, i) => (i === 0 ? ':--' : '--:')).join(' | ');
  return [`| ${header.join(' | ')} |`, `| ${alignRow} |`, ...rows.map((row) => `| ${row.join(' | ')} |`)].join('\n');
}

export const nowIso = (): string => new Date().toISOString().replace(/\.\d+Z$/, 'Z');
