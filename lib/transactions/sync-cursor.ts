import { createHmac, timingSafeEqual } from 'node:crypto';
import { InvalidCursorError, NexusRelayError } from '../errors.ts';

/**
 * Where in the change log a sync client stands. Cursors are opaque, tamper-evident (HMAC) and bound to the user they
 * were issued for.
 */
export interface SyncPosition {
  seq: number;
  /** Where the client's current pass started: a transaction added above it is new to the client. */
  base: number;
  issuedAt: number;
}

/** A cursor older than the change log keeps removals: sync again from the start. */
export class SyncCursorExpiredError extends NexusRelayError {
  constructor(readonly issuedAt: number) {
    super(
      'SYNC_CURSOR_EXPIRED',
      `The cursor was issued ${new Date(issuedAt).toISOString()} into a sync history no longer kept (older than 30 days, ` +
        'or the relay has since forgotten the user’s transactions): ' +
        'call without a cursor to receive every transaction again (added), then continue from its next_cursor.',
    );
    this.name = 'SyncCursorExpiredError';
  }
}

const MAX_CURSOR_LENGTH = 512;
const PART = /^[A-Za-z0-9_-]+$/;

export class SyncCursorCodec {
  constructor(
    private readonly key: Buffer,
    private readonly maxAgeMs: number,
  ) {
    if (key.length < 32) {
      throw new NexusRelayError('SYNC_CURSOR_KEY_INVALID', 'The sync cursor key must be at least 32 bytes');
    }
  }

  encode(userId: string, position: SyncPosition): string {
    const payload = Buffer.from(JSON.stringify({ s: position.seq, b: position.base, t: position.issuedAt }), 'utf8').toString(
      'base64url',
    );
    return `${payload}.${this.#mac(userId, payload).toString('base64url')}`;
  }

  decode(userId: string, cursor: string, now: number): SyncPosition {
    const [payload, mac, extra] = cursor.length > MAX_CURSOR_LENGTH ? [] : cursor.split('.');
    if (!payload || !mac || extra !== undefined || !PART.test(payload) || !PART.test(mac)) {
      throw new InvalidCursorError('not a sync cursor');
    }
    // Compared as text: base64 lets the last character of a MAC vary without changing its bytes.
    const expected = Buffer.from(this.#mac(userId, payload).toString('base64url'), 'utf8');
    const given = Buffer.from(mac, 'utf8');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw new InvalidCursorError('it was modified, or issued for another user');
    }
    const decoded = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { s?: unknown; b?: unknown; t?: unknown };
    const { s: seq, b: base, t: issuedAt } = decoded;
    if (
      !Number.isSafeInteger(seq) ||
      !Number.isSafeInteger(base) ||
      !Number.isSafeInteger(issuedAt) ||
      (base as number) < 0 ||
      (base as number) > (seq as number)
    ) {
      throw new InvalidCursorError('not a sync cursor');
    }
    const position = { seq: seq as number, base: base as number, issuedAt: issuedAt as number };
    if (now - position.issuedAt > this.maxAgeMs) throw new SyncCursorExpiredError(position.issuedAt);
    return position;
  }

  #mac(userId: string, payload: string): Buffer {
    return createHmac('sha256', this.key).update(`nexus-relay transactions sync\n${userId}\n${payload}`, 'utf8').digest();
  }
}
