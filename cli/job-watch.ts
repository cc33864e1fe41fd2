import { setTimeout as sleep } from 'node:timers/promises';
import type { ApiClient } from './api-client.ts';
import { CliError } from './errors.ts';
import { isTerminal, type JobView, statusText } from './job-view.ts';
import { formatElapsed, type Output } from './output.ts';

export interface WatchResult {
  job: JobView;
  elapsedMs: number;
  /** `GET /jobs/{id}` calls made by the CLI. */
  checks: number;
  /** The member's connection statuses in the order the job showed them. */
  connectionStatuses: string[];
}

export interface WatchOptions {
  api: ApiClient;
  output: Output;
  job: JobView;
  /** When the watch began (the refresh call included), from `performance.now()`. */
  startedAt: number;
  intervalMs: number;
  timeoutMs?: number;
  signal?: AbortSignal;
}

const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
const TRAIL_LENGTH = 4;
/** Consecutive failed checks (network, 5xx) tolerated before the watch gives up. */
const MAX_FAILED_CHECKS = 5;

/**
 * Follows a job to its terminal status with `GET /jobs/{id}` every `intervalMs`. On a terminal it keeps one live
 * status line (elapsed, the connection statuses as they change, the poll count); otherwise it prints a line each
 * time the status or connection status changes. In JSON mode it prints nothing (the caller prints the result).
 */
export async function watchJob(options: WatchOptions): Promise<WatchResult> {
  const { api, output } = options;
  const style = output.style;
  let job = options.job;
  let checks = 0;
  let failedChecks = 0;
  const connectionStatuses: string[] = [];
  let lastShown = '';

  const note = (status: string | null) => {
    if (status !== null && connectionStatuses.at(-1) !== status) connectionStatuses.push(status);
  };
  const pollCount = () => (job.polls === undefined ? `checks ${checks}` : `polls ${job.polls}`);
  const trail = () => {
    if (connectionStatuses.length === 0) return style.dim('…');
    const shown = connectionStatuses.slice(-TRAIL_LENGTH);
    return `${connectionStatuses.length > TRAIL_LENGTH ? '… → ' : ''}${shown.join(' → ')}`;
  };
  const elapsed = () => performance.now() - options.startedAt;
  const render = () => {
    const parts = [statusText(job.status, style), trail(), pollCount(), formatElapsed(elapsed())];
    if (output.tty) {
      output.progress(`${style.cyan(SPINNER[checks % SPINNER.length]!)} ${job.id} · ${parts.join(' · ')}`);
      return;
    }
    const key = `${job.status}|${job.connection_status}`;
    if (key === lastShown) return;
    lastShown = key;
    output.progress(`[${formatElapsed(elapsed()).padStart(6)}] ${job.status} ${job.connection_status ?? '-'} (${pollCount()})`);
  };

  note(job.connection_status);
  render();
  while (!isTerminal(job.status)) {
    if (options.timeoutMs !== undefined && elapsed() >= options.timeoutMs) {
      output.interrupt();
      throw new CliError({
        title: 'Watch timed out',
        detail: `Job ${job.id} is still ${job.status} after ${formatElapsed(elapsed())}; follow it with \`nexus-relay jobs get ${job.id}\`.`,
        code: 'watch_timeout',
      });
    }
    await sleep(options.intervalMs, undefined, { signal: options.signal });
    try {
      job = (await api.call<{ job: JobView }>('GET', `/jobs/${encodeURIComponent(job.id)}`)).job;
      failedChecks = 0;
    } catch (error) {
      const transient = error instanceof CliError && (error.problem.code === 'unreachable' || (error.problem.status ?? 0) >= 500);
      if (!transient || ++failedChecks >= MAX_FAILED_CHECKS) {
        output.interrupt();
        throw error;
      }
    }
    checks += 1;
    note(job.connection_status);
    render();
  }

  const mark =
    job.status === 'succeeded' ? style.green('✔') : job.status === 'action_required' ? style.yellow('!') : style.red('✖');
  const summary = `${mark} ${job.id} · ${statusText(job.status, style)} · ${trail()} · ${pollCount()} · ${formatElapsed(elapsed())}`;
  if (output.tty) output.progressDone(summary);
  else output.progress(`${job.status}: ${job.id} (${trail()}, ${pollCount()}, ${formatElapsed(elapsed())})`);
  return { job, elapsedMs: Math.round(elapsed()), checks, connectionStatuses };
}
