import { useEffect, useRef } from 'preact/hooks';

/**
 * Calls `tick` again and again while `active`: after `firstMs`, then each wait 1.5 times longer up to `maxMs`; a
 * tick that reports a change starts the waits over. Stops when the view goes away.
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
      } catch {
        // the view shows the error; keep trying, more slowly
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
