import { RelayProblemError } from '@nexus-relay/client';
import { useEffect, useRef } from 'preact/hooks';

/** A refusal asking again does not change (the key may not read it, it does not exist): the view shows it, once. */
export const settled = (error: unknown): boolean =>
  error instanceof RelayProblemError && error.status >= 400 && error.status < 500 && ![408, 429].includes(error.status);

/**
 * Calls `tick` again and again while `active`: after `firstMs`, then each wait 1.5 times longer up to `maxMs`; a
 * tick that reports a change starts the waits over. Stops when the view goes away, or on a refusal that asking again
 * does not change (401, 403, 404…).
 */
export function usePolling(
  tick: () => Promise<boolean>,
  active: boolean,
  options: { firstMs?: number; maxMs?: number } = {},
): void {
  const latest = useRef(tick);
  latest.current = tick;
  useEffect(() => {
    if (!active) return;
    const firstMs = options.firstMs ?? 1_000;
    const maxMs = options.maxMs ?? 10_000;
    let wait = firstMs;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let stopped = false;
    const run = async () => {
      let changed = false;
      try {
        changed = await latest.current();
      } catch (error) {
        // The view shows the error; keep trying, more slowly, unless trying again cannot help.
        if (settled(error)) return;
      }
      if (stopped) return;
      wait = changed ? firstMs : Math.min(maxMs, wait * 1.5);
      timer = setTimeout(run, wait);
    };
    timer = setTimeout(run, wait);
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [active, options.firstMs, options.maxMs]);
}
