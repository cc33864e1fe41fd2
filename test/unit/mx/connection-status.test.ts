import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  classifyMember,
  CONNECTION_STATUSES,
  type ConnectionStatus,
  type MemberOutcome,
} from '../../../lib/mx/connection-status.ts';

type Expectation = { id: number; whileAggregating: MemberOutcome; once: MemberOutcome };

// Written out from MX's connection-status table (https://docs.mx.com/api-reference/nexus/reference/01-members-overview) and docs/ARCHITECTURE.md's status table, independently of the implementation. While
// MX still aggregates, only CHALLENGED needs the user: the other needs-user statuses may be the previous attempt's.
const EXPECTED: Record<ConnectionStatus, Expectation> = {
  CREATED: { id: 0, whileAggregating: 'in_progress', once: 'in_progress' },
  PREVENTED: { id: 1, whileAggregating: 'in_progress', once: 'action_required' },
  DENIED: { id: 2, whileAggregating: 'in_progress', once: 'action_required' },
  CHALLENGED: { id: 3, whileAggregating: 'action_required', once: 'action_required' },
  REJECTED: { id: 4, whileAggregating: 'in_progress', once: 'action_required' },
  LOCKED: { id: 5, whileAggregating: 'in_progress', once: 'action_required' },
  CONNECTED: { id: 6, whileAggregating: 'in_progress', once: 'succeeded' },
  IMPEDED: { id: 7, whileAggregating: 'in_progress', once: 'action_required' },
  RECONNECTED: { id: 8, whileAggregating: 'in_progress', once: 'in_progress' },
  DEGRADED: { id: 9, whileAggregating: 'in_progress', once: 'failed' },
  DISCONNECTED: { id: 10, whileAggregating: 'in_progress', once: 'failed' },
  DISCONTINUED: { id: 11, whileAggregating: 'in_progress', once: 'failed' },
  CLOSED: { id: 12, whileAggregating: 'in_progress', once: 'failed' },
  DELAYED: { id: 13, whileAggregating: 'in_progress', once: 'failed' },
  FAILED: { id: 14, whileAggregating: 'in_progress', once: 'failed' },
  UPDATED: { id: 15, whileAggregating: 'in_progress', once: 'in_progress' },
  DISABLED: { id: 16, whileAggregating: 'in_progress', once: 'failed' },
  IMPORTED: { id: 17, whileAggregating: 'in_progress', once: 'action_required' },
  RESUMED: { id: 18, whileAggregating: 'in_progress', once: 'in_progress' },
  EXPIRED: { id: 19, whileAggregating: 'in_progress', once: 'action_required' },
  IMPAIRED: { id: 20, whileAggregating: 'in_progress', once: 'action_required' },
  PENDING: { id: 21, whileAggregating: 'in_progress', once: 'in_progress' },
};

const OUTCOMES: MemberOutcome[] = ['in_progress', 'succeeded', 'action_required', 'failed'];
const NEEDS_USER = Object.entries(EXPECTED)
  .filter(([, expectation]) => expectation.once === 'action_required')
  .map(([status]) => status);

describe('CONNECTION_STATUSES', () => {
  it('holds the 22 statuses at their MX ids', () => {
    expect(CONNECTION_STATUSES).toHaveLength(22);
    for (const [status, { id }] of Object.entries(EXPECTED)) expect(CONNECTION_STATUSES[id]).toBe(status);
  });
});

describe('classifyMember', () => {
  const cases = Object.entries(EXPECTED).flatMap(([status, expectation]) => [
    { status, is_being_aggregated: true, expected: expectation.whileAggregating },
    { status, is_being_aggregated: false, expected: expectation.once },
    { status, is_being_aggregated: null, expected: expectation.once },
  ]);

  it.each(cases)(
    '$status with is_being_aggregated=$is_being_aggregated → $expected',
    ({ status, is_being_aggregated, expected }) => {
      expect(classifyMember({ connection_status: status, is_being_aggregated })).toBe(expected);
    },
  );

  it.each([null, 'SOMETHING_NEW', 'connected', '', '__proto__', 'constructor', 'toString'])(
    'treats the status %j as unknown: in progress while aggregating, failed after',
    (status) => {
      expect(classifyMember({ connection_status: status, is_being_aggregated: true })).toBe('in_progress');
      expect(classifyMember({ connection_status: status, is_being_aggregated: false })).toBe('failed');
      expect(classifyMember({ connection_status: status, is_being_aggregated: null })).toBe('failed');
    },
  );

  const memberLike = fc.record(
    {
      connection_status: fc.oneof(
        fc.constantFrom(...CONNECTION_STATUSES, '__proto__', 'constructor', 'hasOwnProperty'),
        fc.string(),
        fc.constant(null),
        fc.anything(),
      ),
      is_being_aggregated: fc.oneof(fc.boolean(), fc.constant(null), fc.anything()),
      connection_status_id: fc.anything(),
      guid: fc.anything(),
    },
    { requiredKeys: [] },
  );

  it('never throws on member-like input and always gives one of the four outcomes', () => {
    fc.assert(
      fc.property(memberLike, fc.object(), (fields, extra) => {
        const outcome = classifyMember({ ...extra, ...fields } as Parameters<typeof classifyMember>[0]);
        expect(OUTCOMES).toContain(outcome);
      }),
    );
  });

  it('asks for the user whenever the status needs the user once MX stopped aggregating', () => {
    fc.assert(
      fc.property(fc.constantFrom(...NEEDS_USER), fc.constantFrom(false, null, undefined), (status, aggregating) => {
        const member = { connection_status: status, is_being_aggregated: aggregating } as Parameters<typeof classifyMember>[0];
        expect(classifyMember(member)).toBe('action_required');
      }),
    );
  });

  it('never ends an aggregation MX still reports as running, unless it asks an MFA question (CHALLENGED)', () => {
    fc.assert(
      fc.property(memberLike, (fields) => {
        const member = { ...fields, is_being_aggregated: true } as Parameters<typeof classifyMember>[0];
        const expected = member.connection_status === 'CHALLENGED' ? 'action_required' : 'in_progress';
        expect(classifyMember(member)).toBe(expected);
      }),
    );
  });
});
