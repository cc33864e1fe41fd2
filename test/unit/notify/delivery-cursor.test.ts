import { describe, expect, it } from 'vitest';
import { InvalidCursorError } from '../../../lib/errors.ts';
import { decodeCursor, encodeCursor } from '../../../lib/notify/delivery-cursor.ts';
import { logPosition } from '../../../lib/notify/deliveries-repo.ts';

const position = logPosition('2026-01-01T00:00:01.000Z', 'msg_job_1_succeeded');
const fields = { webhook_id: 'wh_a', position };
const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('delivery cursor', () => {
  it('round-trips the webhook and log position as base64url', () => {
    const cursor = encodeCursor('wh_a', position);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(cursor, 'wh_a', {})).toEqual(position);
    expect(decodeCursor(cursor, 'wh_a', { since: '2026-01-01T00:00:01.000Z', until: '2026-01-01T00:00:02.000Z' })).toEqual(
      position,
    );
  });

  it.each([
    ['garbage', 'not base64url!'],
    ['too long', 'A'.repeat(2000)],
    ['not JSON', Buffer.from('{"pk":').toString('base64url')],
    ['an array', encode([fields])],
    ['a missing field', encode({ ...fields, position: undefined })],
    ['an extra field', encode({ ...fields, limit: 5 })],
    ['a number for a position', encode({ ...fields, position: 7 })],
    ['a position without a time', encode({ ...fields, position: 'msg_job_1_succeeded' })],
    ['a message id that cannot be one', encode({ ...fields, position: '2026-01-01T00:00:01.000Z#a.b' })],
    [
      'a table key (a cursor made before logs were sharded)',
      encode({ pk: 'WEBHOOK#wh_a', sk: 'MSG#m', gsi1pk: 'DELIVERIES#wh_a', gsi1sk: position }),
    ],
  ])('refuses %s', (_, cursor) => {
    expect(() => decodeCursor(cursor, 'wh_a', {})).toThrow(InvalidCursorError);
  });

  it("refuses another webhook's cursor and one outside the range", () => {
    const cursor = encodeCursor('wh_a', position);
    expect(() => decodeCursor(cursor, 'wh_b', {})).toThrow(/another webhook/);
    expect(() => decodeCursor(cursor, 'wh_a', { since: '2026-01-01T00:00:02.000Z' })).toThrow(/outside/);
    expect(() => decodeCursor(cursor, 'wh_a', { until: '2026-01-01T00:00:01.000Z' })).toThrow(/outside/);
  });
});
