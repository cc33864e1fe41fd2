import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../lib/clock.ts';
import { DeliveryPace } from '../../../lib/notify/delivery-pace.ts';
import type { WindowCounter } from '../../../lib/store/rate-limit-repo.ts';

/** Window counters in memory, as RateLimitRepository keeps them in the table. */
function counter(): WindowCounter & { takes: number } {
  const windows = new Map<string, number>();
  return {
    takes: 0,
    async take(name, windowStartMs, count) {
      this.takes++;
      const key = `${name}#${windowStartMs}`;
      const taken = windows.get(key) ?? 0;
      windows.set(key, taken + count);
      return taken;
    },
  };
}

describe('DeliveryPace', () => {
  it('lets a webhook without a rate go, counting nothing', async () => {
    const windows = counter();
    const pace = new DeliveryPace({ counter: windows, clock: new ManualClock(1_000) });
    expect(await pace.wait({ id: 'wh_a' })).toBe(0);
    expect(windows.takes).toBe(0);
  });

  it("lets the rate's worth go each second and sends the rest to the second their place falls in", async () => {
    const clock = new ManualClock(10_250);
    const pace = new DeliveryPace({ counter: counter(), clock });
    const webhook = { id: 'wh_a', maxDeliveriesPerSecond: 2 };
    const waits = [];
    for (let i = 0; i < 7; i++) waits.push(await pace.wait(webhook));
    // Places 0–1 now; 2–3 at 11 s, 4–5 at 12 s, 6 at 13 s (the clock at 10.25 s).
    expect(waits).toEqual([0, 0, 750, 750, 1_750, 1_750, 2_750]);
    // Another webhook has its own counter; the next second starts afresh.
    expect(await pace.wait({ id: 'wh_b', maxDeliveriesPerSecond: 2 })).toBe(0);
    clock.set(11_000);
    expect(await pace.wait(webhook)).toBe(0);
  });
});
