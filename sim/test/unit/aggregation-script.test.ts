import { describe, expect, it } from 'vitest';
import {
  type AggregationRun,
  type AggregationScript,
  DEFAULT_AGGREGATION_SCRIPT,
  pendingChallengeAt,
  progressAt,
} from '../../aggregation-script.ts';

const START = 1_000_000;

const run = (script: Partial<AggregationScript>, answer: AggregationRun['answer'] = null): AggregationRun => {
  const full: AggregationScript = { ...DEFAULT_AGGREGATION_SCRIPT, ...script };
  return {
    jobGuid: 'JOB-1',
    kind: 'AGGREGATION',
    startedAt: START,
    background: false,
    script: full,
    challenge: full.challenge && { guid: 'CRD-1', ...full.challenge },
    answer,
  };
};

describe('progressAt', () => {
  it('reconnects for the first quarter, connects while aggregating, then ends CONNECTED', () => {
    const connected = run({});
    expect(progressAt(connected, START)).toEqual({ status: 'RECONNECTED', isBeingAggregated: true, succeededAt: null });
    expect(progressAt(connected, START + 499).status).toBe('RECONNECTED');
    expect(progressAt(connected, START + 500)).toEqual({ status: 'CONNECTED', isBeingAggregated: true, succeededAt: null });
    expect(progressAt(connected, START + 1999).isBeingAggregated).toBe(true);
    expect(progressAt(connected, START + 2000)).toEqual({
      status: 'CONNECTED',
      isBeingAggregated: false,
      succeededAt: START + 2000,
    });
    expect(progressAt(connected, START + 3_600_000).succeededAt).toBe(START + 2000);
  });

  it.each(['DENIED', 'FAILED', 'DEGRADED', 'LOCKED'] as const)('ends %s without succeeding', (finalStatus) => {
    expect(progressAt(run({ finalStatus }), START + 1999)).toMatchObject({ status: 'CONNECTED', isBeingAggregated: true });
    expect(progressAt(run({ finalStatus }), START + 2000)).toEqual({
      status: finalStatus,
      isBeingAggregated: false,
      succeededAt: null,
    });
  });

  it('with a zero duration, is final at once', () => {
    expect(progressAt(run({ durationMs: 0 }), START)).toMatchObject({ status: 'CONNECTED', isBeingAggregated: false });
  });

  it('with an hours-long duration, is still aggregating long after a test would end', () => {
    expect(progressAt(run({ durationMs: 6 * 3_600_000 }), START + 5 * 3_600_000)).toMatchObject({
      status: 'CONNECTED',
      isBeingAggregated: true,
    });
  });
});

describe('challenges', () => {
  const challenge = { label: 'What is your favorite color?', answer: 'blue' };

  it('stops CHALLENGED, not aggregating, at the end of the duration, and only then exposes the challenge', () => {
    const challenged = run({ challenge });
    expect(pendingChallengeAt(challenged, START + 1999)).toBeNull();
    expect(progressAt(challenged, START + 2000)).toEqual({
      status: 'CHALLENGED',
      isBeingAggregated: false,
      succeededAt: null,
    });
    expect(pendingChallengeAt(challenged, START + 2000)).toEqual({ guid: 'CRD-1', ...challenge });
  });

  it('after a right answer: RESUMED and aggregating for a quarter of the duration, then CONNECTED', () => {
    const answeredAt = START + 5000;
    const resumed = run({ challenge }, { at: answeredAt, accepted: true });
    expect(progressAt(resumed, answeredAt)).toEqual({ status: 'RESUMED', isBeingAggregated: true, succeededAt: null });
    expect(progressAt(resumed, answeredAt + 499).status).toBe('RESUMED');
    expect(progressAt(resumed, answeredAt + 500)).toEqual({
      status: 'CONNECTED',
      isBeingAggregated: false,
      succeededAt: answeredAt + 500,
    });
    expect(pendingChallengeAt(resumed, answeredAt)).toBeNull();
  });

  it('after a wrong answer: REJECTED, not aggregating', () => {
    const rejected = run({ challenge }, { at: START + 5000, accepted: false });
    expect(progressAt(rejected, START + 5000)).toEqual({ status: 'REJECTED', isBeingAggregated: false, succeededAt: null });
    expect(pendingChallengeAt(rejected, START + 9000)).toBeNull();
  });
});
