import { describe, expect, it } from 'vitest';
import {
  APP_MAX_OPEN_MS,
  CircuitBreaker,
  FAILURES_TO_OPEN,
  FIRST_OPEN_MS,
  MAX_OPEN_MS,
} from '../../../lib/mx/circuit-breaker.ts';
import type { BudgetPriority } from '../../../lib/mx/call-budget.ts';
import { ManualClock } from '../../../lib/clock.ts';
import { silentLog } from '../../../lib/logger.ts';
import type { MetricsSink } from '../../../lib/metrics.ts';

function setup(priority?: BudgetPriority) {
  const clock = new ManualClock(Date.UTC(2026, 10, 26));
  const changes: string[] = [];
  const metrics = {
    add: (name, _v, dims) => void (name === 'MxCircuitChanges' && changes.push((dims as { state: string }).state)),
  } as MetricsSink;
  return { clock, changes, breaker: new CircuitBreaker({ upstream: 'mx-data', priority, clock, log: silentLog, metrics }) };
}

describe('CircuitBreaker', () => {
  it(`opens after ${FAILURES_TO_OPEN} calls in a row MX could not serve; an answer between them resets the count`, () => {
    const { breaker, changes } = setup();
    for (let i = 0; i < FAILURES_TO_OPEN - 1; i++) breaker.record(false);
    breaker.record(true);
    for (let i = 0; i < FAILURES_TO_OPEN - 1; i++) breaker.record(false);
    expect([breaker.state, breaker.admit()]).toEqual(['closed', 0]);
    breaker.record(false);
    expect([breaker.state, breaker.admit(), changes]).toEqual(['open', FIRST_OPEN_MS, ['open']]);
  });

  it('lets one probe through once open time is over; its answer closes the breaker', () => {
    const { breaker, clock, changes } = setup();
    for (let i = 0; i < FAILURES_TO_OPEN; i++) breaker.record(false);
    clock.advance(FIRST_OPEN_MS - 1000);
    expect(breaker.admit()).toBe(1000);
    clock.advance(1000);
    expect(breaker.admit()).toBe(0); // the probe
    expect(breaker.admit()).toBeGreaterThan(0); // the others wait for it
    breaker.record(true);
    expect([breaker.state, breaker.admit(), changes]).toEqual(['closed', 0, ['open', 'half_open', 'closed']]);
  });

  it('closes within a minute of MX answering again, however long MX was down', () => {
    const { breaker, clock } = setup();
    for (let i = 0; i < FAILURES_TO_OPEN; i++) breaker.record(false);
    // Two hours down: every probe fails.
    const downUntil = clock.now() + 2 * 60 * 60_000;
    while (clock.now() < downUntil) {
      clock.advance(breaker.admit());
      expect(breaker.admit()).toBe(0);
      breaker.record(false);
    }
    // MX answers again: the next probe goes within a minute, and closes the breaker.
    const wait = breaker.admit();
    expect(wait).toBeLessThanOrEqual(60_000);
    clock.advance(wait);
    expect(breaker.admit()).toBe(0);
    breaker.record(true);
    expect(breaker.state).toBe('closed');
  });

  it('a failed probe opens it again for twice as long, up to the longest wait', () => {
    const { breaker, clock } = setup();
    for (let i = 0; i < FAILURES_TO_OPEN; i++) breaker.record(false);
    let openMs = FIRST_OPEN_MS;
    for (let round = 0; round < 8; round++) {
      clock.advance(openMs);
      expect(breaker.admit()).toBe(0);
      breaker.record(false);
      openMs = Math.min(openMs * 2, MAX_OPEN_MS);
      expect(breaker.admit()).toBe(openMs);
    }
    expect(openMs).toBe(MAX_OPEN_MS);
  });

  it("over an app's calls, holds them 5 s at most, however long MX was down: apps are served within seconds of its return", () => {
    const { breaker, clock } = setup('app');
    for (let i = 0; i < FAILURES_TO_OPEN; i++) breaker.record(false);
    expect(breaker.admit()).toBe(APP_MAX_OPEN_MS);
    // An hour of failed probes: never held longer.
    for (let round = 0; round < 720; round++) {
      clock.advance(breaker.admit());
      expect(breaker.admit()).toBe(0);
      breaker.record(false);
      expect(breaker.admit()).toBe(APP_MAX_OPEN_MS);
    }
    clock.advance(APP_MAX_OPEN_MS);
    expect(breaker.admit()).toBe(0);
    breaker.record(true);
    expect(breaker.state).toBe('closed');
    // Queued work's keeps the minute: a probe a container a minute to an MX that is down.
    const queued = setup('queued');
    for (let i = 0; i < FAILURES_TO_OPEN; i++) queued.breaker.record(false);
    for (let round = 0; round < 3; round++) {
      queued.clock.advance(queued.breaker.admit());
      queued.breaker.admit();
      queued.breaker.record(false);
    }
    expect(queued.breaker.admit()).toBe(MAX_OPEN_MS);
  });
});
