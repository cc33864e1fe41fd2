import { beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../lib/clock.ts';
import { DEFAULT_AGGREGATION_SCRIPT } from '../../aggregation-script.ts';
import { createGuidFactory } from '../../identifiers.ts';
import {
  MemberRegistry,
  type MemberSpec,
  type SimMember,
  hasUseCase,
  mayAggregate,
  memberStateAt,
  pendingChallenge,
  resumeAggregation,
  setConnectionStatus,
  startAggregation,
  throttledAt,
} from '../../members.ts';
import { createSeededRandom } from '../../seeded-random.ts';

const spec = (overrides: Partial<MemberSpec> = {}): MemberSpec => ({
  userId: 'user-1',
  memberGuid: undefined,
  name: undefined,
  useCases: undefined,
  script: DEFAULT_AGGREGATION_SCRIPT,
  ...overrides,
});

describe('members', () => {
  const newGuid = createGuidFactory(createSeededRandom(42));
  let clock: ManualClock;
  let registry: MemberRegistry;

  beforeEach(() => {
    clock = new ManualClock();
    registry = new MemberRegistry(newGuid);
  });

  const aggregate = (member: SimMember) => startAggregation(member, clock.now(), newGuid);

  it('starts CONNECTED, idle, never aggregated', () => {
    const member = registry.put(spec());
    expect(member.guid).toMatch(/^MBR-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(member.owner.guid).toMatch(/^USR-/);
    expect(memberStateAt(member, clock.now())).toEqual({
      status: 'CONNECTED',
      isBeingAggregated: false,
      aggregatedAt: null,
      successfullyAggregatedAt: null,
      mostRecentJobGuid: null,
    });
  });

  it('joins a running aggregation instead of starting another, and starts a new job once it is over', () => {
    const member = registry.put(spec());
    const startedAt = clock.now();
    expect(aggregate(member)).toBe('started');
    const firstJob = memberStateAt(member, clock.now()).mostRecentJobGuid;
    expect(firstJob).toMatch(/^JOB-/);

    clock.advance(1000);
    expect(aggregate(member)).toBe('already-running');
    expect(memberStateAt(member, clock.now())).toMatchObject({ mostRecentJobGuid: firstJob, aggregatedAt: startedAt });

    clock.advance(1000);
    expect(memberStateAt(member, clock.now())).toMatchObject({
      status: 'CONNECTED',
      isBeingAggregated: false,
      successfullyAggregatedAt: startedAt + 2000,
    });
    expect(aggregate(member)).toBe('started');
    expect(memberStateAt(member, clock.now())).toMatchObject({ aggregatedAt: clock.now(), isBeingAggregated: true });
    expect(memberStateAt(member, clock.now()).mostRecentJobGuid).not.toBe(firstJob);
  });

  it('keeps the last successful aggregation time through a failed one', () => {
    const member = registry.put(spec({ memberGuid: 'MBR-flaky' }));
    aggregate(member);
    clock.advance(2000);
    const succeededAt = clock.now();

    registry.put(spec({ memberGuid: 'MBR-flaky', script: { ...DEFAULT_AGGREGATION_SCRIPT, finalStatus: 'FAILED' } }));
    clock.advance(60_000);
    aggregate(member);
    clock.advance(2000);
    expect(memberStateAt(member, clock.now())).toMatchObject({
      status: 'FAILED',
      isBeingAggregated: false,
      successfullyAggregatedAt: succeededAt,
    });
  });

  it('re-scripting keeps the owner and lets a running aggregation finish on its old script', () => {
    const member = registry.put(spec({ memberGuid: 'MBR-a', userId: 'owner' }));
    aggregate(member);
    const rescripted = registry.put(
      spec({
        memberGuid: 'MBR-a',
        userId: 'someone-else',
        name: 'Renamed',
        script: { ...DEFAULT_AGGREGATION_SCRIPT, finalStatus: 'DENIED' },
      }),
    );
    expect(rescripted).toBe(member);
    expect(member.owner.id).toBe('owner');
    expect(member.name).toBe('Renamed');
    expect(registry.user('someone-else')).toBeUndefined();

    clock.advance(2000);
    expect(memberStateAt(member, clock.now()).status).toBe('CONNECTED');
    aggregate(member);
    clock.advance(2000);
    expect(memberStateAt(member, clock.now()).status).toBe('DENIED');
  });

  describe('challenge and resume', () => {
    const challenged = () => {
      const member = registry.put(
        spec({ script: { ...DEFAULT_AGGREGATION_SCRIPT, durationMs: 4000, challenge: { label: 'Color?', answer: 'blue' } } }),
      );
      aggregate(member);
      clock.advance(4000);
      const challenge = pendingChallenge(member, clock.now());
      if (!challenge) throw new Error('expected a pending challenge');
      return { member, challenge };
    };

    it('refuses answers when the member is not CHALLENGED', () => {
      const member = registry.put(spec());
      expect(resumeAggregation(member, clock.now(), [{ guid: 'CRD-x', value: 'blue' }])).toBe('not-challenged');
    });

    it('refuses answers that do not address the pending challenge', () => {
      const { member, challenge } = challenged();
      expect(resumeAggregation(member, clock.now(), [])).toBe('invalid-answers');
      expect(resumeAggregation(member, clock.now(), [{ guid: 'CRD-other', value: 'blue' }])).toBe('invalid-answers');
      expect(
        resumeAggregation(member, clock.now(), [
          { guid: challenge.guid, value: 'blue' },
          { guid: challenge.guid, value: 'red' },
        ]),
      ).toBe('invalid-answers');
      expect(memberStateAt(member, clock.now()).status).toBe('CHALLENGED');
    });

    it('right answer: RESUMED, then CONNECTED', () => {
      const { member, challenge } = challenged();
      expect(resumeAggregation(member, clock.now(), [{ guid: challenge.guid, value: 'blue' }])).toBe('accepted');
      expect(memberStateAt(member, clock.now())).toMatchObject({ status: 'RESUMED', isBeingAggregated: true });
      expect(aggregate(member)).toBe('already-running');
      clock.advance(1000);
      expect(memberStateAt(member, clock.now())).toMatchObject({
        status: 'CONNECTED',
        isBeingAggregated: false,
        successfullyAggregatedAt: clock.now(),
      });
    });

    it('wrong answer: REJECTED, and a second answer is refused', () => {
      const { member, challenge } = challenged();
      expect(resumeAggregation(member, clock.now(), [{ guid: challenge.guid, value: 'red' }])).toBe('rejected');
      expect(memberStateAt(member, clock.now())).toMatchObject({ status: 'REJECTED', isBeingAggregated: false });
      expect(resumeAggregation(member, clock.now(), [{ guid: challenge.guid, value: 'blue' }])).toBe('not-challenged');
    });

    it('a new aggregation asks a new challenge', () => {
      const { member, challenge } = challenged();
      aggregate(member);
      clock.advance(4000);
      expect(pendingChallenge(member, clock.now())?.guid).not.toBe(challenge.guid);
    });
  });

  describe('a status MX sets outside a run', () => {
    it('is read from then on, with the aggregation times and job unchanged, until the next run starts', () => {
      const member = registry.put(spec());
      aggregate(member);
      clock.advance(2000);
      const before = memberStateAt(member, clock.now());
      expect(before.status).toBe('CONNECTED');

      clock.advance(1000);
      const setAt = clock.now();
      expect(setConnectionStatus(member, 'EXPIRED', setAt)).toBe('set');
      expect(memberStateAt(member, setAt)).toEqual({ ...before, status: 'EXPIRED' });
      expect(memberStateAt(member, setAt - 1).status).toBe('CONNECTED');
      clock.advance(3_600_000);
      expect(memberStateAt(member, clock.now())).toEqual({ ...before, status: 'EXPIRED' });

      expect(aggregate(member)).toBe('started');
      expect(memberStateAt(member, clock.now())).toMatchObject({ status: 'RECONNECTED', isBeingAggregated: true });
      clock.advance(2000);
      expect(memberStateAt(member, clock.now())).toMatchObject({ status: 'CONNECTED', isBeingAggregated: false });
    });

    it('applies to a member never aggregated, and CONNECTED heals one', () => {
      const member = registry.put(spec());
      setConnectionStatus(member, 'LOCKED', clock.now());
      expect(memberStateAt(member, clock.now())).toMatchObject({ status: 'LOCKED', aggregatedAt: null });
      clock.advance(10);
      setConnectionStatus(member, 'CONNECTED', clock.now());
      expect(memberStateAt(member, clock.now()).status).toBe('CONNECTED');
    });

    it('is refused while a run aggregates', () => {
      const member = registry.put(spec());
      aggregate(member);
      expect(setConnectionStatus(member, 'DENIED', clock.now())).toBe('aggregating');
      expect(memberStateAt(member, clock.now())).toMatchObject({ status: 'RECONNECTED', isBeingAggregated: true });
    });

    it('ends a pending challenge: nothing left to answer', () => {
      const member = registry.put(
        spec({ script: { ...DEFAULT_AGGREGATION_SCRIPT, durationMs: 100, challenge: { label: 'Color?', answer: 'blue' } } }),
      );
      aggregate(member);
      clock.advance(100);
      const challenge = pendingChallenge(member, clock.now())!;
      setConnectionStatus(member, 'EXPIRED', clock.now());
      expect(pendingChallenge(member, clock.now())).toBeNull();
      expect(resumeAggregation(member, clock.now(), [{ guid: challenge.guid, value: 'blue' }])).toBe('not-challenged');
    });
  });

  describe('throttledAt', () => {
    const HOUR = 3_600_000;

    it('throttles inside the window after the last successful run ended, and not from its end on', () => {
      const member = registry.put(spec());
      aggregate(member);
      clock.advance(2000);
      const succeededAt = clock.now();
      expect(throttledAt(member, succeededAt, 3 * HOUR)).toBe(true);
      expect(throttledAt(member, succeededAt + 3 * HOUR - 1, 3 * HOUR)).toBe(true);
      expect(throttledAt(member, succeededAt + 3 * HOUR, 3 * HOUR)).toBe(false);
    });

    it('never throttles with a window of 0, or a member that never succeeded', () => {
      const succeeded = registry.put(spec());
      aggregate(succeeded);
      clock.advance(2000);
      expect(throttledAt(succeeded, clock.now(), 0)).toBe(false);

      const failing = registry.put(spec({ script: { ...DEFAULT_AGGREGATION_SCRIPT, finalStatus: 'DENIED' } }));
      aggregate(failing);
      clock.advance(2000);
      expect(throttledAt(failing, clock.now(), 3 * HOUR)).toBe(false);
      expect(throttledAt(registry.put(spec()), clock.now(), 3 * HOUR)).toBe(false);
    });

    it('counts from the last success through a failed run after it', () => {
      const member = registry.put(spec({ memberGuid: 'MBR-t' }));
      aggregate(member);
      clock.advance(2000);
      const succeededAt = clock.now();
      registry.put(spec({ memberGuid: 'MBR-t', script: { ...DEFAULT_AGGREGATION_SCRIPT, finalStatus: 'FAILED' } }));
      aggregate(member);
      clock.advance(2000);
      expect(throttledAt(member, clock.now(), 3 * HOUR)).toBe(true);
      expect(throttledAt(member, succeededAt + 3 * HOUR, 3 * HOUR)).toBe(false);
    });
  });

  describe('use cases', () => {
    it('aggregates members without use cases or with PFM only', () => {
      expect(mayAggregate(registry.put(spec({ useCases: null })))).toBe(true);
      expect(mayAggregate(registry.put(spec({ useCases: ['PFM', 'MONEY_MOVEMENT'] })))).toBe(true);
      expect(mayAggregate(registry.put(spec({ useCases: ['MONEY_MOVEMENT'] })))).toBe(false);
    });

    it('filters on set use cases; a member without any passes every filter', () => {
      const moneyMovement = registry.put(spec({ useCases: ['MONEY_MOVEMENT'] }));
      expect(hasUseCase(moneyMovement, 'PFM')).toBe(false);
      expect(hasUseCase(moneyMovement, 'MONEY_MOVEMENT')).toBe(true);
      expect(hasUseCase(registry.put(spec({ useCases: null })), 'PFM')).toBe(true);
    });
  });

  it('lists a user’s members oldest first and nobody else’s', () => {
    const first = registry.put(spec({ userId: 'a' }));
    registry.put(spec({ userId: 'b' }));
    const second = registry.put(spec({ userId: 'a' }));
    expect(registry.membersOf(registry.user('a')!)).toEqual([first, second]);
  });
});
