import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidCursorError } from '../../../lib/errors.ts';
import { SyncCursorCodec, SyncCursorExpiredError } from '../../../lib/transactions/sync-cursor.ts';

const DAY = 24 * 3600_000;
const codec = new SyncCursorCodec(Buffer.alloc(32, 7), 30 * DAY);
const NOW = Date.UTC(2026, 10, 23);

describe('SyncCursorCodec', () => {
  it('reads back the position it wrote, for the user it wrote it for', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 40 }), fc.nat(), (user, seq) => {
        const cursor = codec.encode(user, { seq, base: seq >> 1, issuedAt: NOW });
        expect(codec.decode(user, cursor, NOW)).toEqual({ seq, base: seq >> 1, issuedAt: NOW });
      }),
    );
  });

  it('refuses any change to a cursor, and a cursor issued for another user or with another key', () => {
    const cursor = codec.encode('user-1', { seq: 42, base: 40, issuedAt: NOW });
    fc.assert(
      fc.property(fc.nat({ max: cursor.length - 1 }), fc.constantFrom(...'ABCxyz019-_.'), (at, char) => {
        fc.pre(cursor[at] !== char);
        const changed = cursor.slice(0, at) + char + cursor.slice(at + 1);
        expect(() => codec.decode('user-1', changed, NOW)).toThrow(InvalidCursorError);
      }),
    );
    expect(() => codec.decode('user-2', cursor, NOW)).toThrow(InvalidCursorError);
    expect(() => new SyncCursorCodec(Buffer.alloc(32, 8), 30 * DAY).decode('user-1', cursor, NOW)).toThrow(InvalidCursorError);
    for (const junk of ['', '.', 'a.b.c', 'x'.repeat(600), '{"s":1}']) {
      expect(() => codec.decode('user-1', junk, NOW)).toThrow(InvalidCursorError);
    }
  });

  it('expires a cursor older than its retention, naming when it was issued', () => {
    const cursor = codec.encode('user-1', { seq: 1, base: 0, issuedAt: NOW });
    expect(codec.decode('user-1', cursor, NOW + 30 * DAY).seq).toBe(1);
    expect(() => codec.decode('user-1', cursor, NOW + 30 * DAY + 1)).toThrow(SyncCursorExpiredError);
  });

  it('refuses a key shorter than 32 bytes', () => {
    expect(() => new SyncCursorCodec(Buffer.alloc(16), DAY)).toThrow(/32 bytes/);
  });
});
