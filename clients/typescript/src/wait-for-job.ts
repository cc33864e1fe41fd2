import { RelayNetworkError, RelayServerError, RelayUpstreamError, RelayWaitTimeoutError } from './errors.ts';
import type { Sleep } from './transport.ts';
import type { Job } from './types.ts';

export interface WaitOptions {
  /** Give up after this long (default 10 minutes): throws `RelayWaitTimeoutError` with the last job read. */
  timeoutMs?: number;
  /** The first wait between checks (default 1 s); each next one is `factor` times longer, up to `maxIntervalMs`. */
  intervalMs?: number;
  maxIntervalMs?: number;
  /** Growth of the wait between checks (default 1.5; 1 = a fixed interval). */
  factor?: number;
  /** Ends the wait early (say, once the job shows the connection status you wait for). */
  until?: (job: Job) => boolean;
  /** Called with the job after every check. */
  onCheck?: (job: Job) => void;
  /** Consecutive failed checks (network, 5xx) tolerated before the wait gives up with the last error (default 5). */
  maxFailedChecks?: number;
  signal?: AbortSignal;
  sleep?: Sleep;
  now?: () => number;
}

export const isFinished = (job: Job): boolean => job.status !== 'aggregating';

const transient = (error: unknown) =>
  error instanceof RelayNetworkError || error instanceof RelayUpstreamError || error instanceof RelayServerError;

/** Checks `getJob` with a growing interval until the job ends; see RelayClient.waitForJob. */
export async function waitForJob(
  getJob: (jobId: string, signal: AbortSignal | undefined) => Promise<Job>,
  given: string | Job,
  options: WaitOptions & { sleep: Sleep; now: () => number },
): Promise<Job> {
  const jobId = typeof given === 'string' ? given : given.id;
  const { sleep, now, signal } = options;
  const timeoutMs = options.timeoutMs ?? 600_000;
  const maxIntervalMs = options.maxIntervalMs ?? 10_000;
  const factor = options.factor ?? 1.5;
  const maxFailedChecks = options.maxFailedChecks ?? 5;
  const done = (job: Job) => isFinished(job) || (options.until?.(job) ?? false);
  const startedAt = now();
  let interval = options.intervalMs ?? 1_000;
  let failedChecks = 0;
  let job: Job | undefined = typeof given === 'string' ? undefined : given;

  /** One `GET /jobs/{id}`: the job when it is done, undefined to wait on. */
  const check = async (): Promise<Job | undefined> => {
    try {
      job = await getJob(jobId, signal);
      failedChecks = 0;
      options.onCheck?.(job);
      return done(job) ? job : undefined;
    } catch (error) {
      if (!transient(error) || ++failedChecks >= maxFailedChecks) throw error;
      return undefined;
    }
  };

  const finished = job === undefined ? await check() : done(job) ? job : undefined;
  if (finished !== undefined) return finished;
  for (;;) {
    const waited = now() - startedAt;
    if (waited >= timeoutMs) throw new RelayWaitTimeoutError(jobId, job, waited);
    await sleep(Math.min(interval, timeoutMs - waited), signal);
    interval = Math.min(maxIntervalMs, interval * factor);
    const ended = await check();
    if (ended !== undefined) return ended;
  }
}
