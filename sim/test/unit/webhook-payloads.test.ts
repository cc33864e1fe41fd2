import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type AggregationScript, DEFAULT_AGGREGATION_SCRIPT, progressAt, settlesAt } from '../../aggregation-script.ts';
import { CONNECTION_STATUSES, CONNECTION_STATUS_NAMES } from '../../connection-statuses.ts';
import { createGuidFactory } from '../../identifiers.ts';
import { MemberRegistry, resumeAggregation, setConnectionStatus, startAggregation } from '../../members.ts';
import { createSeededRandom } from '../../seeded-random.ts';
import { END_USER_ACTIONABLE_STATUSES, connectionStatusWebhook, webhookPayloadAt } from '../../webhook-payloads.ts';

const START = Date.UTC(2026, 0, 1, 12);

function aggregatingMember(script: Partial<AggregationScript>, background?: boolean) {
  const newGuid = createGuidFactory(createSeededRandom(3));
  const member = new MemberRegistry(newGuid).put({
    userId: 'partner-user-1',
    memberGuid: 'MBR-1',
    name: undefined,
    useCases: undefined,
    script: { ...DEFAULT_AGGREGATION_SCRIPT, durationMs: 2_000, ...script },
  });
  startAggregation(member, START, newGuid, background === undefined ? undefined : { background });
  return member;
}

describe('settlesAt', () => {
  it('is when the run stops aggregating: end of the duration, end of RESUMED, or the wrong answer', () => {
    const plain = aggregatingMember({});
    expect(settlesAt(plain.run!)).toBe(START + 2_000);

    const challenged = aggregatingMember({ challenge: { label: 'Color?', answer: 'blue' } });
    const guid = challenged.run!.challenge!.guid;
    resumeAggregation(challenged, START + 10_000, [{ guid, value: 'blue' }]);
    expect(settlesAt(challenged.run!)).toBe(START + 10_500);

    const rejected = aggregatingMember({ challenge: { label: 'Color?', answer: 'blue' } });
    resumeAggregation(rejected, START + 10_000, [{ guid: rejected.run!.challenge!.guid, value: 'red' }]);
    expect(settlesAt(rejected.run!)).toBe(START + 10_000);
  });

  it('matches progressAt: aggregating just before, settled from then on', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 100_000 }),
        fc.constantFrom(...CONNECTION_STATUS_NAMES),
        (durationMs, finalStatus) => {
          const { run } = aggregatingMember({ durationMs, finalStatus });
          const at = settlesAt(run!);
          if (at > START) expect(progressAt(run!, at - 1).isBeingAggregated).toBe(true);
          expect(progressAt(run!, at).isBeingAggregated).toBe(false);
        },
      ),
    );
  });
});

describe('webhookPayloadAt', () => {
  it('is AGGREGATION member_data_updated, shaped as MX’s webhooks guide, when the run ends CONNECTED', () => {
    const member = aggregatingMember({});
    expect(webhookPayloadAt(member, START + 2_000)).toEqual({
      action: 'member_data_updated',
      completed_at: Math.floor((START + 2_000) / 1000),
      completed_on: '2026-01-01',
      is_background: false,
      job_guid: member.run!.jobGuid,
      member_guid: 'MBR-1',
      transactions_created_count: 0,
      transactions_updated_count: 0,
      type: 'AGGREGATION',
      user_guid: member.owner.guid,
      user_id: 'partner-user-1',
    });
  });

  it.each([
    [undefined, false],
    [false, false],
    [true, true],
  ] as const)('marks a run started with background %s is_background: %s', (background, expected) => {
    const member = aggregatingMember({}, background);
    expect(webhookPayloadAt(member, START + 2_000)).toMatchObject({ type: 'AGGREGATION', is_background: expected });
  });

  it('reports the run, not a status MX set after it ended (that one is pushed on its own)', () => {
    const member = aggregatingMember({});
    expect(setConnectionStatus(member, 'EXPIRED', START + 2_000)).toBe('set');
    expect(webhookPayloadAt(member, START + 2_000)).toMatchObject({ type: 'AGGREGATION', member_guid: 'MBR-1' });
  });

  it.each(END_USER_ACTIONABLE_STATUSES)('connectionStatusWebhook(%s) is MX’s CONNECTION_STATUS, user_guid only', (status) => {
    const member = aggregatingMember({});
    const payload = connectionStatusWebhook(member, status);
    expect(payload).toEqual({
      action: 'CHANGED',
      connection_status: status,
      connection_status_id: CONNECTION_STATUSES.find(({ name }) => name === status)!.id,
      connection_status_message: CONNECTION_STATUSES.find(({ name }) => name === status)!.message,
      member_guid: 'MBR-1',
      type: 'CONNECTION_STATUS',
      user_guid: member.owner.guid,
    });
    expect(Object.keys(payload)).not.toContain('user_id');
  });

  it.each(END_USER_ACTIONABLE_STATUSES.filter((status) => status !== 'CHALLENGED'))(
    'is CONNECTION_STATUS, shaped as MX’s webhooks guide, for %s',
    (finalStatus) => {
      const member = aggregatingMember({ finalStatus });
      expect(webhookPayloadAt(member, START + 2_000)).toEqual({
        action: 'CHANGED',
        connection_status: finalStatus,
        connection_status_id: expect.any(Number),
        connection_status_message: expect.any(String),
        member_guid: 'MBR-1',
        type: 'CONNECTION_STATUS',
        user_guid: member.owner.guid,
      });
    },
  );

  it('follows an MFA run: CHALLENGED, then CONNECTED after a right answer or REJECTED after a wrong one', () => {
    const right = aggregatingMember({ challenge: { label: 'Color?', answer: 'blue' } });
    expect(webhookPayloadAt(right, START + 2_000)).toMatchObject({ type: 'CONNECTION_STATUS', connection_status_id: 3 });
    resumeAggregation(right, START + 5_000, [{ guid: right.run!.challenge!.guid, value: 'blue' }]);
    expect(webhookPayloadAt(right, START + 5_499)).toBeNull();
    expect(webhookPayloadAt(right, START + 5_500)).toMatchObject({
      type: 'AGGREGATION',
      completed_at: Math.floor((START + 5_500) / 1000),
    });

    const wrong = aggregatingMember({ challenge: { label: 'Color?', answer: 'blue' } });
    resumeAggregation(wrong, START + 5_000, [{ guid: wrong.run!.challenge!.guid, value: 'red' }]);
    expect(webhookPayloadAt(wrong, START + 5_000)).toMatchObject({ type: 'CONNECTION_STATUS', connection_status: 'REJECTED' });
  });

  it.each(['FAILED', 'DEGRADED', 'DISCONNECTED', 'IMPORTED'] as const)(
    'is nothing for %s: MX does not push it',
    (finalStatus) => {
      expect(webhookPayloadAt(aggregatingMember({ finalStatus }), START + 2_000)).toBeNull();
    },
  );

  it('is nothing while the run aggregates, or before any run', () => {
    expect(webhookPayloadAt(aggregatingMember({}), START + 1_999)).toBeNull();
    const idle = new MemberRegistry(createGuidFactory(createSeededRandom(1))).put({
      userId: 'u',
      memberGuid: undefined,
      name: undefined,
      useCases: undefined,
      script: { ...DEFAULT_AGGREGATION_SCRIPT, durationMs: 1 },
    });
    expect(webhookPayloadAt(idle, START)).toBeNull();
  });
});
