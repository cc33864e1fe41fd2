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
  /** A figure reported without a target (shown as such in the summary). */
  info?: boolean;
}

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
