import { describe, expect, it } from 'vitest';
import { assertValidEvent, InvalidEventError, serializeEvent, type WebhookEvent } from '../../../lib/notify/events.ts';

/** What serialization and validation read: the data's shape is the type system's (and the API document's) concern. */
const event = {
  id: 'msg_job_1_started',
  type: 'aggregation.started',
  timestamp: '2026-01-01T00:00:00.000Z',
  data: { job: { id: 'job_1' } },
};

describe('serializeEvent', () => {
  it('is the envelope {type, timestamp, data}, without the id', () => {
    expect(serializeEvent(event)).toBe(
      '{"type":"aggregation.started","timestamp":"2026-01-01T00:00:00.000Z","data":{"job":{"id":"job_1"}}}',
    );
  });
});

describe('assertValidEvent', () => {
  it('accepts a well-formed event', () => {
    expect(() => assertValidEvent(event)).not.toThrow();
  });

  it.each([
    ['an id with a dot', { id: 'msg.1' }],
    ['an empty id', { id: '' }],
    ['an unknown type', { type: 'aggregation.aggregating' }],
    ['a timestamp that is not a date', { timestamp: 'yesterday' }],
  ])('rejects %s', (_, change) => {
    const error = (() => {
      try {
        assertValidEvent({ ...event, ...change } as WebhookEvent);
      } catch (thrown) {
        return thrown;
      }
    })();
    expect(error).toBeInstanceOf(InvalidEventError);
    expect(error).toMatchObject({ code: 'NOTIFY_INVALID_EVENT' });
  });
});
