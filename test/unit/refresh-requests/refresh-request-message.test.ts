import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseRefreshRequestMessage } from '../../../lib/aggregation/refresh-request-message.ts';

const request = fc.record(
  {
    user_id: fc.stringMatching(/^[A-Za-z0-9_-]{1,40}$/),
    member_guid: fc.stringMatching(/^MBR-[A-Za-z0-9-]{1,40}$/),
    include_holdings: fc.boolean(),
    include_transactions: fc.boolean(),
    idempotency_key: fc.stringMatching(/^[\x21-\x7e]{1,60}$/),
    correlation_id: fc.stringMatching(/^[\x21-\x7e]{1,60}$/),
  },
  { requiredKeys: ['user_id', 'member_guid'] },
);

/** What the EventBridge rule puts on the queue for a `PutEvents` entry. */
const eventBridgeEvent = (detail: unknown, id = 'b3c1e8a0-0000-4000-8000-000000000001') => ({
  version: '0',
  id,
  'detail-type': 'nexus-relay.refresh.requested',
  source: 'com.example.ledger',
  account: '123456789012',
  time: '2026-01-01T00:00:00Z',
  region: 'us-east-1',
  resources: [],
  detail,
});

describe('parseRefreshRequestMessage', () => {
  it('never throws, whatever the body', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.json(),
          fc.jsonValue().map((value) => JSON.stringify(eventBridgeEvent(value))),
        ),
        (body) => {
          const parsed = parseRefreshRequestMessage(body, 'm-1');
          if (!parsed.ok) expect(['invalid_json', 'invalid_request']).toContain(parsed.reason);
        },
      ),
      { numRuns: 2_000 },
    );
  });

  it('reads the same request from a bare body and from an EventBridge event, keyed by the event id', () => {
    fc.assert(
      fc.property(request, fc.uuid(), (body, eventId) => {
        const bare = parseRefreshRequestMessage(JSON.stringify(body), 'sqs-1');
        const event = parseRefreshRequestMessage(JSON.stringify(eventBridgeEvent(body, eventId)), 'sqs-2');
        expect(bare).toEqual({ ok: true, request: body, sourceId: 'sqs-1', deferrals: 0 });
        expect(event).toEqual({ ok: true, request: body, sourceId: eventId, deferrals: 0 });
      }),
    );
  });

  it('reads a deferred re-send with its first source id and deferral count', () => {
    fc.assert(
      fc.property(request, fc.nat(20), (body, deferrals) => {
        const message = JSON.stringify({ deferred: body, source_id: 'evt-1', deferrals, due_at: 1 });
        expect(parseRefreshRequestMessage(message, 'sqs-9')).toEqual({ ok: true, request: body, sourceId: 'evt-1', deferrals });
      }),
    );
  });

  it.each([
    ['not json', '{"user_id":', { reason: 'invalid_json' }],
    ['a bad member guid', '{"user_id":"u1","member_guid":"ACT-1"}', { reason: 'invalid_request', field: 'member_guid' }],
    ['a missing user', '{"member_guid":"MBR-1"}', { reason: 'invalid_request', field: 'user_id' }],
    [
      'an unknown field',
      '{"user_id":"u1","member_guid":"MBR-1","include_holding":true}',
      { reason: 'invalid_request', field: 'include_holding' },
    ],
    [
      'a flag given as a string',
      '{"user_id":"u1","member_guid":"MBR-1","include_holdings":"true"}',
      { reason: 'invalid_request', field: 'include_holdings' },
    ],
    ['an array', '[]', { reason: 'invalid_request' }],
    [
      'an event with a bad detail',
      JSON.stringify(eventBridgeEvent({ user_id: 'u 1', member_guid: 'MBR-1' })),
      { reason: 'invalid_request', field: 'detail.user_id' },
    ],
    [
      'a deferred re-send without a source id',
      JSON.stringify({ deferred: { user_id: 'u1', member_guid: 'MBR-1' }, deferrals: 1, due_at: 1 }),
      { reason: 'invalid_request', field: 'source_id' },
    ],
  ])('refuses %s, naming the field', (_, body, expected) => {
    const parsed = parseRefreshRequestMessage(body, 'm-1');
    expect(parsed).toMatchObject({ ok: false, ...expected });
    expect(parsed.ok || parsed.detail.length > 0).toBe(true);
  });
});
