import { RelayNetworkError } from './errors.ts';

/** What sends one HTTP request: `globalThis.fetch` unless another is given (a proxy agent, a test double). */
export type Fetch = (request: Request) => Promise<Response>;
export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

export interface RetryOptions {
  /** Attempts in all, the first included (default 3; 1 = no retry). */
  attempts?: number;
  /** Waits without `Retry-After` grow from this (default 500 ms), doubling, with jitter. */
  baseDelayMs?: number;
  /** A wait longer than this (default 30 s) is not waited out: the answer is returned as it is. */
  maxDelayMs?: number;
}

export interface TransportOptions {
  fetch?: Fetch;
  /** Per attempt (default 30 s). */
  timeoutMs?: number;
  retry?: RetryOptions | false;
  sleep?: Sleep;
  now?: () => number;
  random?: () => number;
}

const RETRIED_STATUSES = new Set([429, 503]);
const IDEMPOTENT_METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']);

/**
 * A request may be sent again when sending it twice does what sending it once does: a safe or idempotent method,
 * or a POST carrying an `Idempotency-Key` (the relay answers a repeated key with the first outcome).
 */
export const isRetrySafe = (request: Request): boolean =>
  IDEMPOTENT_METHODS.has(request.method) || request.headers.has('idempotency-key');

/** Milliseconds a `Retry-After` value asks for (delta-seconds or an HTTP date), or undefined if it names none. */
export function retryAfterMs(value: string | null, now: number): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  if (!/GMT$/.test(trimmed)) return undefined; // an HTTP date (IMF-fixdate) ends in GMT
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

export const abortableSleep: Sleep = (ms, signal) =>
  new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });

/**
 * The client's transport: a per-attempt timeout, and retries of 429 and 503 answers (and of requests that never got
 * an answer) when the request is safe to repeat, waiting what `Retry-After` asks, else a growing back-off. Each
 * attempt sends a copy of the same request, so its `Idempotency-Key` is the same on every attempt.
 */
export function createTransport(options: TransportOptions = {}): Fetch {
  const send = options.fetch ?? ((request: Request) => globalThis.fetch(request));
  const timeoutMs = options.timeoutMs ?? 30_000;
  const retry = options.retry === false ? { attempts: 1 } : (options.retry ?? {});
  const attempts = Math.max(1, retry.attempts ?? 3);
  const baseDelayMs = retry.baseDelayMs ?? 500;
  const maxDelayMs = retry.maxDelayMs ?? 30_000;
  const sleep = options.sleep ?? abortableSleep;
  const now = options.now ?? Date.now;
  const random = options.random ?? Math.random;

  const attempt = async (request: Request): Promise<Response> => {
    const timeout = AbortSignal.timeout(timeoutMs);
    try {
      return await send(new Request(request.clone(), { signal: AbortSignal.any([request.signal, timeout]) }));
    } catch (error) {
      if (request.signal.aborted) throw request.signal.reason;
      if (timeout.aborted) throw new RelayNetworkError(request.url, 'timeout', { cause: error, timeoutMs });
      throw new RelayNetworkError(request.url, 'unreachable', { cause: error });
    }
  };

  return async (request) => {
    const repeatable = isRetrySafe(request);
    for (let number = 1; ; number++) {
      const backOff = Math.min(maxDelayMs, baseDelayMs * 2 ** (number - 1)) * (0.5 + random() / 2);
      let response: Response;
      try {
        response = await attempt(request);
      } catch (error) {
        if (!(error instanceof RelayNetworkError) || !repeatable || number >= attempts) throw error;
        await sleep(backOff, request.signal);
        continue;
      }
      if (!RETRIED_STATUSES.has(response.status) || !repeatable || number >= attempts) return response;
      const wait = retryAfterMs(response.headers.get('retry-after'), now()) ?? backOff;
      if (wait > maxDelayMs) return response;
      await response.body?.cancel();
      await sleep(wait, request.signal);
    }
  };
}
