import { describe, expect, it } from 'vitest';
import { InvalidCursorError } from '../../../lib/errors.ts';
import { decodeCursor, encodeCursor } from '../../../lib/notify/delivery-cursor.ts';
import { deliveryLogKey } from '../../../lib/notify/deliveries-repo.ts';

const key = deliveryLogKey('wh_a', 'msg_job_1_succeeded', '2026-01-01T00:00:01.000Z');
const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('delivery cursor', () => {
  it('round-trips the log key as base64url', () => {
    const cursor = encodeCursor(key);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(cursor, 'wh_a', {})).toEqual(key);
    expect(decodeCursor(cursor, 'wh_a', { since: '2026-01-01T00:00:01.000Z', until: '2026-01-01T00:00:02.000Z' })).toEqual(key);
  });

  it.each([
    ['garbage', 'not base64url!'],
    ['too long', 'A'.repeat(2000)],
    ['not JSON', Buffer.from('{"pk":').toString('base64url')],
    ['an array', encode([key])],
    ['a missing field', encode({ ...key, gsi1sk: undefined })],
    ['an extra field', encode({ ...key, limit: 5 })],
    ['a number for a key', encode({ ...key, sk: 7 })],
    ['a sort key without a time', encode({ ...key, gsi1sk: 'msg_job_1_succeeded' })],
    ['a message id that cannot be one', encode({ ...key, gsi1sk: '2026-01-01T00:00:01.000Z#a.b', sk: 'MSG#a.b' })],
    ['another message in sk', encode({ ...key, sk: 'MSG#msg_other' })],
    ['another partition', encode({ ...key, pk: 'WEBHOOK#wh_b' })],
    ['another index partition', encode({ ...key, gsi1pk: 'WEBHOOKS' })],
  ])('refuses %s', (_, cursor) => {
    expect(() => decodeCursor(cursor, 'wh_a', {})).toThrow(InvalidCursorError);
  });

  it("refuses another webhook's cursor and one outside the range", () => {
    const cursor = encodeCursor(key);
    expect(() => decodeCursor(cursor, 'wh_b', {})).toThrow(InvalidCursorError);
    expect(() => decodeCursor(cursor, 'wh_a', { since: '2026-01-01T00:00:02.000Z' })).toThrow(/outside/);
    expect(() => decodeCursor(cursor, 'wh_a', { until: '2026-01-01T00:00:01.000Z' })).toThrow(/outside/);
  });
});
