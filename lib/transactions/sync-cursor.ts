import { createHmac, timingSafeEqual } from 'node:crypto';
import { InvalidCursorError, NexusRelayError } from '../errors.ts';

/**
 * The `cursor` of transactions sync: where in the user's change log the client stands, and when it was issued.
 * Opaque to clients, tamper-evident (HMAC-SHA256 with the deployment's cursor key) and bound to the user it was
 * issued for: `base64url(JSON {s, b, t}) . base64url(mac(user, payload))`.
 */
export interface SyncPosition {
  /** The last change-log sequence number the client has received. */
  seq: number;
  /**
   * Where the client's current pass through the log started (its cursor when it last had nothing more to read): a
   * transaction added above it is new to the client, one added at or below it was handed out before.
   */
  base: number;
  /** When the cursor was issued (epoch ms). */
  issuedAt: number;
}

/** A cursor older than the change log keeps removals (410 `sync_cursor_expired`): sync again from the start. */
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
    /** The deployment's cursor key (at least 32 bytes). */
    private readonly key: Buffer,
    /** Cursors older than this are expired. */
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

  /** The position in `cursor`, once its MAC holds for `userId` and it has not expired at `now`. */
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
