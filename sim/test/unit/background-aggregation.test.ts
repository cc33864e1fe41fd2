import { afterEach, describe, expect, it } from 'vitest';
import { type Clock, ManualClock, systemClock } from '../../../lib/clock.ts';
import { DEFAULT_AGGREGATION_SCRIPT } from '../../aggregation-script.ts';
import { BACKGROUND_SKIP_MS, BackgroundAggregation, dueForBackgroundAggregation } from '../../background-aggregation.ts';
import { createGuidFactory } from '../../identifiers.ts';
import { MemberRegistry, type MemberSpec, memberStateAt, setConnectionStatus, startAggregation } from '../../members.ts';
import { ReadSide } from '../../member-data.ts';
import { generateSeedData } from '../../seed-data.ts';
import { createSeededRandom } from '../../seeded-random.ts';
import { TransactionLedger } from '../../transaction-ledger.ts';
import { WebhookPusher } from '../../webhook-pusher.ts';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

const shutdowns: AbortController[] = [];
afterEach(() => shutdowns.splice(0).forEach((controller) => controller.abort()));

function setup<C extends Clock>(clock: C, realTimers = false, throttleMs = 0) {
  const newGuid = createGuidFactory(createSeededRandom(9));
  const members = new MemberRegistry(newGuid);
  const shutdown = new AbortController();
  shutdowns.push(shutdown);
  const webhooks = new WebhookPusher({ clock, members, realTimers, shutdown: shutdown.signal, log: () => {} });
  const background = new BackgroundAggregation({
    clock,
    members,
    newGuid,
    transactions: new TransactionLedger(new ReadSide(9, generateSeedData(9, Date.UTC(2026, 5, 30, 18)), members), members, 9),
    webhooks,
    realTimers,
    shutdown: shutdown.signal,
    throttleMs: () => throttleMs,
  });
  const member = (overrides: Partial<MemberSpec> = {}) =>
    members.put({
      userId: 'user-1',
      memberGuid: undefined,
      name: undefined,
      useCases: undefined,
      script: DEFAULT_AGGREGATION_SCRIPT,
      ...overrides,
    });
  const aggregate = (m: ReturnType<typeof member>, at = clock.now()) => startAggregation(m, at, newGuid);
  return { clock, background, member, aggregate, shutdown };
}

describe('dueForBackgroundAggregation', () => {
  const every = (intervalMs: number, throttleMs = 0) => ({ intervalMs, throttleMs });

  it('takes a member never aggregated, and none at all while the schedule is off', () => {
    const { clock, member } = setup(new ManualClock());
    const m = member();
    expect(dueForBackgroundAggregation(m, clock.now(), every(60 * MINUTE))).toBe(true);
    expect(dueForBackgroundAggregation(m, clock.now(), every(0))).toBe(false);
  });

  it('leaves out a member MX may not aggregate (use cases without PFM)', () => {
    const { clock, member } = setup(new ManualClock());
    expect(dueForBackgroundAggregation(member({ useCases: ['MONEY_MOVEMENT'] }), clock.now(), every(MINUTE))).toBe(false);
    expect(dueForBackgroundAggregation(member({ useCases: ['PFM'] }), clock.now(), every(MINUTE))).toBe(true);
  });

  it('leaves out a member being aggregated or in a status other than CONNECTED', () => {
    const { clock, member, aggregate } = setup(new ManualClock());
    const running = member({ script: { ...DEFAULT_AGGREGATION_SCRIPT, durationMs: HOUR } });
    aggregate(running);
    const denied = member({ script: { ...DEFAULT_AGGREGATION_SCRIPT, durationMs: 0, finalStatus: 'DENIED' } });
    aggregate(denied, clock.now() - 2 * HOUR);
    const expired = member();
    setConnectionStatus(expired, 'EXPIRED', clock.now());
    for (const m of [running, denied, expired]) {
      expect(dueForBackgroundAggregation(m, clock.now(), every(MINUTE)), m.guid).toBe(false);
    }
    setConnectionStatus(expired, 'CONNECTED', clock.now());
    expect(dueForBackgroundAggregation(expired, clock.now(), every(MINUTE))).toBe(true);
  });

  it('leaves out a member aggregated (a run started) within the interval, up to 20 hours', () => {
    const { clock, member, aggregate } = setup(new ManualClock());
    const m = member({ script: { ...DEFAULT_AGGREGATION_SCRIPT, durationMs: 0 } });
    aggregate(m);
    const startedAt = clock.now();
    expect(dueForBackgroundAggregation(m, startedAt + 30 * MINUTE - 1, every(30 * MINUTE))).toBe(false);
    expect(dueForBackgroundAggregation(m, startedAt + 30 * MINUTE, every(30 * MINUTE))).toBe(true);
    // Rounds further apart than MX's 20 hours: the 20 hours decide.
    expect(dueForBackgroundAggregation(m, startedAt + BACKGROUND_SKIP_MS - 1, every(48 * HOUR))).toBe(false);
    expect(dueForBackgroundAggregation(m, startedAt + BACKGROUND_SKIP_MS, every(48 * HOUR))).toBe(true);
  });

  it('leaves out a member inside the throttle window after its last success', () => {
    const { clock, member, aggregate } = setup(new ManualClock());
    const m = member();
    aggregate(m);
    const succeededAt = clock.now() + 2_000;
    expect(dueForBackgroundAggregation(m, succeededAt + 10 * MINUTE, every(MINUTE, 3 * HOUR))).toBe(false);
    expect(dueForBackgroundAggregation(m, succeededAt + 3 * HOUR, every(MINUTE, 3 * HOUR))).toBe(true);
  });
});

describe('BackgroundAggregation', () => {
  it('start: a background run now, not while one runs, never for a member MX may not aggregate', () => {
    const { clock, background, member } = setup(new ManualClock());
    const m = member();
    expect(background.start(m)).toBe('started');
    expect(m.run).toMatchObject({ background: true, startedAt: clock.now() });
    expect(background.start(m)).toBe('already-running');
    expect(background.start(member({ useCases: ['MONEY_MOVEMENT'] }))).toBe('not-aggregatable');
  });

  it('under a ManualClock runs a round only when runDue is called at or after the interval', () => {
    const { clock, background, member } = setup(new ManualClock());
    const idle = member();
    const moneyMovement = member({ useCases: ['MONEY_MOVEMENT'] });
    background.configure(60 * MINUTE);

    clock.advance(60 * MINUTE - 1);
    expect(background.runDue()).toEqual([]);
    clock.advance(1);
    expect(background.runDue()).toEqual([idle.guid]);
    expect(idle.run).toMatchObject({ background: true, startedAt: clock.now() });
    expect(moneyMovement.run).toBeNull();
    expect(background.runDue()).toEqual([]);

    // Three intervals later: one round (missed ones are not replayed), and the next one on the schedule, where the
    // member aggregated 55 minutes before is not due but a new one is.
    clock.advance(3 * 60 * MINUTE + 5 * MINUTE);
    expect(background.runDue()).toEqual([idle.guid]);
    const added = member();
    clock.advance(55 * MINUTE - 1);
    expect(background.runDue()).toEqual([]);
    clock.advance(1);
    expect(background.runDue()).toEqual([added.guid]);
  });

  it('configure: 0 turns rounds off; a new interval restarts the schedule from now, the same one keeps it', () => {
    const { clock, background, member } = setup(new ManualClock());
    const first = member();
    background.configure(10 * MINUTE);
    clock.advance(5 * MINUTE);
    background.configure(10 * MINUTE);
    clock.advance(5 * MINUTE);
    expect(background.runDue()).toEqual([first.guid]);

    const second = member();
    background.configure(20 * MINUTE);
    clock.advance(15 * MINUTE);
    expect(background.runDue()).toEqual([]);
    clock.advance(5 * MINUTE);
    expect(background.runDue()).toEqual([first.guid, second.guid]);

    const third = member();
    background.configure(0);
    clock.advance(HOUR);
    expect(background.runDue()).toEqual([]);
    expect(third.run).toBeNull();
  });

  it('skips members inside the throttle window', () => {
    const { clock, background, member, aggregate } = setup(new ManualClock(), false, 3 * HOUR);
    const m = member();
    aggregate(m);
    background.configure(30 * MINUTE);
    clock.advance(30 * MINUTE);
    expect(background.runDue()).toEqual([]);
    clock.advance(3 * HOUR);
    expect(background.runDue()).toEqual([m.guid]);
  });

  it('runs nothing once the simulator closes', () => {
    const { clock, background, member, shutdown } = setup(new ManualClock());
    member();
    background.configure(MINUTE);
    shutdown.abort();
    clock.advance(MINUTE);
    expect(background.runDue()).toEqual([]);
  });

  it('on the system clock runs rounds on timers of its own, until closed', async () => {
    const { background, member, shutdown } = setup(systemClock, true);
    const m = member({ script: { ...DEFAULT_AGGREGATION_SCRIPT, durationMs: 10 } });
    background.configure(100);
    await expect.poll(() => m.run?.background, { timeout: 2_000, interval: 10 }).toBe(true);
    const firstJob = m.run!.jobGuid;
    await expect.poll(() => m.run!.jobGuid, { timeout: 2_000, interval: 10 }).not.toBe(firstJob);

    shutdown.abort();
    const lastJob = m.run!.jobGuid;
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(m.run!.jobGuid).toBe(lastJob);
    expect(memberStateAt(m, Date.now()).isBeingAggregated).toBe(false);
  });
});
