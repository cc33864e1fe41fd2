import { type BoundedCache, boundedCache } from '../bounded-cache.ts';
import { type Clock, toEpochSeconds } from '../clock.ts';
import type { Log } from '../logger.ts';
import type { WindowCounter } from '../store/rate-limit-repo.ts';

/** Calendar minutes. */
export const KEY_LIMIT_WINDOW_MS = 60_000;
/** A container writes a key's count at most this often, until the key nears its limit. */
const SHARE_EVERY_MS = 1_000;
/** From this share of the limit on, every request of the key is written (one write in flight at a time). */
const NEAR_LIMIT = 0.8;
/**
 * A container writes a key's count only past this share of the limit: an occasional caller costs no write, and one spread
 * thinly over many containers passes the limit by at most this share per container.
 */
const SHARE_FROM = 0.01;

export interface KeyRequestLimitOptions {
  /** Across every container (0: no limit). */
  perMinute: number;
  /** For a key bound to a user (absent: `perMinute`). */
  userPerMinute?: number;
  counter: WindowCounter;
  clock: Clock;
  log: Log;
  maxKeys?: number;
}

export type KeyAdmission = { admitted: true } | { admitted: false; retryAfterSeconds: number };

interface KeyWindow {
  window: number;
  /** The key's count across containers, as the counter last answered it. */
  shared: number;
  /** Admitted here and not yet written. */
  local: number;
  own: number;
  writing: boolean;
  lastWriteAt: number;
}

/**
 * A per-key request limit across containers with no write on the request's path: counts are shared by writes not awaited,
 * so the limit is approximate upwards. A failed write is logged and admits (the stage's throttle still holds).
 */
export class KeyRequestLimit {
  readonly #options: KeyRequestLimitOptions;
  readonly #keys: BoundedCache<string, KeyWindow>;
  readonly #pending = new Set<Promise<void>>();

  constructor(options: KeyRequestLimitOptions) {
    this.#options = options;
    this.#keys = boundedCache({ max: options.maxKeys ?? 10_000 });
  }

  admit(keyId: string, key: { userBound?: boolean } = {}): KeyAdmission {
    const perMinute = (key.userBound && this.#options.userPerMinute) || this.#options.perMinute;
    if (perMinute <= 0) return { admitted: true };
    const now = this.#options.clock.now();
    const window = now - (now % KEY_LIMIT_WINDOW_MS);
    let state = this.#keys.get(keyId);
    if (!state || state.window !== window) {
      state = { window, shared: 0, local: 0, own: 0, writing: false, lastWriteAt: Number.NEGATIVE_INFINITY };
      this.#keys.set(keyId, state);
    }
    if (state.shared + state.local >= perMinute) {
      return { admitted: false, retryAfterSeconds: Math.max(1, Math.ceil((window + KEY_LIMIT_WINDOW_MS - now) / 1000)) };
    }
    state.local += 1;
    state.own += 1;
    const busy = state.own >= perMinute * SHARE_FROM;
    const near = state.shared + state.local >= perMinute * NEAR_LIMIT;
    if (busy && !state.writing && (near || now - state.lastWriteAt >= SHARE_EVERY_MS)) this.#share(keyId, state, now);
    return { admitted: true };
  }

  /** Resolves once every count write started so far has ended (they never reject). */
  async settled(): Promise<void> {
    while (this.#pending.size > 0) await Promise.all(this.#pending);
  }

  #share(keyId: string, state: KeyWindow, now: number): void {
    const count = state.local;
    state.writing = true;
    state.lastWriteAt = now;
    const expiresAt = toEpochSeconds(state.window + 2 * KEY_LIMIT_WINDOW_MS);
    let write: Promise<number>;
    try {
      write = this.#options.counter.take(`key:${keyId}`, state.window, count, expiresAt);
    } catch (error) {
      write = Promise.reject(error);
    }
    const tracked: Promise<void> = write
      .then((first) => {
        state.local -= count;
        state.shared = Math.max(state.shared, first + count);
      })
      .catch((error: unknown) => {
        this.#options.log.warn('could not share the API key request count; admitting', {
          error: error instanceof Error ? error.name : typeof error,
        });
      })
      .finally(() => {
        state.writing = false;
        this.#pending.delete(tracked);
      });
    this.#pending.add(tracked);
  }
}
