import type { Job, RelayClient } from '@nexus-relay/client';
import type { Command } from 'commander';
import { integerArg, numberArg } from './arguments.ts';
import { formatElapsed, type Output } from './output.ts';
import { challengeLines, jobLines, statusText, WATCH_EXIT_CODES } from './job-view.ts';

export interface WatchResult {
  job: Job;
  elapsedMs: number;
  /** `GET /jobs/{id}` calls made by the CLI. */
  checks: number;
  /** The member's connection statuses in the order the job showed them. */
  connectionStatuses: string[];
}

export interface WatchOptions {
  api: RelayClient;
  output: Output;
  job: Job;
  /** When the watch began (the refresh call included), from `performance.now()`. */
  startedAt: number;
  intervalMs: number;
  timeoutMs?: number;
  signal?: AbortSignal;
}

const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
const TRAIL_LENGTH = 4;

/**
 * Follows a job to its end with the client kit's `waitForJob` (a check every `intervalMs`; a few failed checks
 * are ridden out). On a terminal it keeps one live status line (elapsed, the connection statuses as they change,
 * the poll count); otherwise it prints a line each time the status or connection status changes. In JSON mode it
 * prints nothing (the caller prints the result).
 */
export async function watchJob(options: WatchOptions): Promise<WatchResult> {
  const { api, output } = options;
  const style = output.style;
  let job = options.job;
  let checks = 0;
  const connectionStatuses: string[] = [];
  let lastShown = '';

  const note = (status: string | null) => {
    if (status !== null && connectionStatuses.at(-1) !== status) connectionStatuses.push(status);
  };
  const trail = () => {
    if (connectionStatuses.length === 0) return style.dim('…');
    const shown = connectionStatuses.slice(-TRAIL_LENGTH);
    return `${connectionStatuses.length > TRAIL_LENGTH ? '… → ' : ''}${shown.join(' → ')}`;
  };
  const elapsed = () => performance.now() - options.startedAt;
  const render = () => {
    const parts = [statusText(job.status, style), trail(), `polls ${job.polls}`, formatElapsed(elapsed())];
    if (output.tty) {
      output.progress(`${style.cyan(SPINNER[checks % SPINNER.length]!)} ${job.id} · ${parts.join(' · ')}`);
      return;
    }
    const key = `${job.status}|${job.connection_status}`;
    if (key === lastShown) return;
    lastShown = key;
    output.progress(
      `[${formatElapsed(elapsed()).padStart(6)}] ${job.status} ${job.connection_status ?? '-'} (polls ${job.polls})`,
    );
  };

  note(job.connection_status);
  render();
  try {
    job = await api.waitForJob(job, {
      intervalMs: options.intervalMs,
      factor: 1,
      timeoutMs: options.timeoutMs === undefined ? Number.POSITIVE_INFINITY : Math.max(0, options.timeoutMs - elapsed()),
      signal: options.signal,
      onCheck: (checked) => {
        job = checked;
        checks += 1;
        note(job.connection_status);
        render();
      },
    });
  } catch (error) {
    output.interrupt();
    throw error;
  }

  const mark =
    job.status === 'succeeded' ? style.green('✔') : job.status === 'action_required' ? style.yellow('!') : style.red('✖');
  const summary = `${mark} ${job.id} · ${statusText(job.status, style)} · ${trail()} · polls ${job.polls} · ${formatElapsed(elapsed())}`;
  if (output.tty) output.progressDone(summary);
  else output.progress(`${job.status}: ${job.id} (${trail()}, polls ${job.polls}, ${formatElapsed(elapsed())})`);
  // "Succeeded" must not read as "new data" when MX answered without aggregating.
  if (job.mx_aggregated === false) {
    output.progress(style.yellow('MX did not aggregate (inside its throttle window, about 3 h after a success): nothing new.'));
  }
  return { job, elapsedMs: Math.round(elapsed()), checks, connectionStatuses };
}

/**
 * `--watch` of refresh and resume: follows the job, prints the result (with what MX asks, on action_required) and
 * answers the exit code (0 succeeded, 2 action_required, 1 failed or timed out, 130 on Ctrl-C: the job goes on).
 */
export async function followJob(options: Omit<WatchOptions, 'signal'>): Promise<number> {
  const { output, job } = options;
  const controller = new AbortController();
  const onInterrupt = () => controller.abort();
  process.once('SIGINT', onInterrupt);
  try {
    const watched = await watchJob({ ...options, signal: controller.signal });
    output.result(
      {
        job: watched.job,
        watch: { elapsed_ms: watched.elapsedMs, checks: watched.checks, connection_statuses: watched.connectionStatuses },
      },
      () => challengeLines(watched.job, output.style),
    );
    return WATCH_EXIT_CODES[watched.job.status] ?? 1;
  } catch (error) {
    if (!controller.signal.aborted) throw error;
    output.interrupt();
    output.result({ job, interrupted: true }, () => `Stopped watching ${job.id}; it goes on (nexus-relay jobs get ${job.id}).`);
    return 130;
  } finally {
    process.removeListener('SIGINT', onInterrupt);
  }
}

/** `--watch`, `--interval`, `--timeout`: the flags of a command that starts or resumes a job. */
export interface WatchFlags {
  watch?: boolean;
  interval: number;
  timeout?: number;
}

export function addWatchFlags(command: Command): Command {
  return command
    .option('-w, --watch', 'follow the job until it ends: a live status line on a terminal, a line per change otherwise')
    .option('--interval <seconds>', 'with --watch: seconds between checks', numberArg(0.2, 60), 1)
    .option(
      '--timeout <seconds>',
      'with --watch: give up (exit 1) after this long; default: when the job ends',
      integerArg(1, 86_400),
    );
}

/** The job a command started: printed at once, or with `--watch` followed to its end (see followJob). */
export async function printOrFollow(
  options: Omit<WatchOptions, 'intervalMs' | 'timeoutMs' | 'signal'> & { flags: WatchFlags },
): Promise<number | void> {
  const { output, job, flags } = options;
  if (!flags.watch) {
    output.result({ job }, () => [...jobLines(job, output.style), output.style.dim(`follow: nexus-relay jobs get ${job.id}`)]);
    return;
  }
  return followJob({
    ...options,
    intervalMs: flags.interval * 1000,
    timeoutMs: flags.timeout === undefined ? undefined : flags.timeout * 1000,
  });
}
