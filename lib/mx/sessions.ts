import { z } from 'zod';
import { type Clock, systemClock } from '../clock.ts';
import { type Log, silentLog } from '../logger.ts';
import type { SsoClient } from './sso.ts';
import type { MxTransport } from './transport.ts';

/** MX slides a session's expiry to 30 minutes after its last use; we stop trusting one 5 minutes before that. */
export const SESSION_REUSE_MS = 25 * 60_000;
/** `lastUsedAt` is written at most this often per user. */
export const SESSION_TOUCH_INTERVAL_MS = 60_000;
/** Bounds the per-container memory of recent touches (a container may serve many users over its life). */
const MAX_TOUCH_NOTES = 1_000;

/** Epoch milliseconds. */
export interface StoredSession {
  token: string;
  createdAt: number;
  lastUsedAt: number;
}

export interface SessionStore {
  get(userId: string): Promise<StoredSession | undefined>;
  put(userId: string, session: StoredSession): Promise<void>;
  /** Moves `lastUsedAt` forward if the stored token is still `token`; false when it is not (or a later use is recorded). */
  touch(userId: string, token: string, lastUsedAt: number): Promise<boolean>;
  /** Deletes the session if the stored token is still `token`; false when it is not. */
  delete(userId: string, token: string): Promise<boolean>;
}

const sessionResponse = z.object({ session: z.object({ token: z.string().min(1) }).loose() }).loose();

export interface SessionManagerOptions {
  store: SessionStore;
  sso: Pick<SsoClient, 'apiToken'>;
  /** The data-host transport (`POST /sessions` lives there). */
  data: MxTransport;
  clock?: Clock;
  log?: Log;
}

/** One Nexus session per user, shared through the store, created at most once at a time per user in this process. */
export class SessionManager {
  readonly #store: SessionStore;
  readonly #sso: Pick<SsoClient, 'apiToken'>;
  readonly #data: MxTransport;
  readonly #clock: Clock;
  readonly #log: Log;
  readonly #creating = new Map<string, Promise<string>>();
  /** What this container last wrote as `lastUsedAt`, per user, so the reads that follow do not write again. */
  readonly #touches = new Map<string, { token: string; at: number }>();

  constructor(options: SessionManagerOptions) {
    this.#store = options.store;
    this.#sso = options.sso;
    this.#data = options.data;
    this.#clock = options.clock ?? systemClock;
    this.#log = options.log ?? silentLog;
  }

  /** A session token for the user: the stored one while it is fresh, else a new one. */
  async get(userId: string): Promise<string> {
    const now = this.#clock.now();
    const stored = await this.#store.get(userId);
    if (stored && stored.lastUsedAt + SESSION_REUSE_MS > now) {
      await this.#touch(userId, stored, now);
      return stored.token;
    }
    return this.#createOnce(userId);
  }

  /** Drops the session after MX refused it — unless it has already been replaced by a newer one. */
  async invalidate(userId: string, token: string): Promise<void> {
    if (this.#touches.get(userId)?.token === token) this.#touches.delete(userId);
    const deleted = await this.#store.delete(userId, token);
    this.#log.info('mx session invalidated', { user_id: userId, deleted });
  }

  #createOnce(userId: string): Promise<string> {
    let creating = this.#creating.get(userId);
    if (!creating) {
      creating = this.#create(userId).finally(() => this.#creating.delete(userId));
      this.#creating.set(userId, creating);
    }
    return creating;
  }

  // Single-flight is per process. Containers racing for one user would be made to share a creation by taking the
  // DynamoDB lease item (keys.sessionLease) around this step, the losers re-reading the store.
  async #create(userId: string): Promise<string> {
    const apiToken = await this.#sso.apiToken(userId);
    const { body } = await this.#data.request({
      method: 'POST',
      route: '/sessions',
      headers: { 'MD-API-TOKEN': apiToken },
      body: {},
      schema: sessionResponse,
    });
    const { token } = body.session;
    const now = this.#clock.now();
    await this.#store.put(userId, { token, createdAt: now, lastUsedAt: now });
    this.#noteTouch(userId, token, now);
    this.#log.info('mx session created', { user_id: userId });
    return token;
  }

  async #touch(userId: string, session: StoredSession, now: number): Promise<void> {
    const noted = this.#touches.get(userId);
    const lastUsedAt = noted?.token === session.token ? Math.max(noted.at, session.lastUsedAt) : session.lastUsedAt;
    if (now - lastUsedAt < SESSION_TOUCH_INTERVAL_MS) return;
    // Noted before the write so that concurrent callers do not write too.
    this.#noteTouch(userId, session.token, now);
    try {
      await this.#store.touch(userId, session.token, now);
    } catch (error) {
      // The session is still good for this call; a lagging lastUsedAt only makes a later renewal come earlier.
      this.#log.warn('mx session touch failed', { user_id: userId, error: errorName(error) });
    }
  }

  #noteTouch(userId: string, token: string, at: number): void {
    this.#touches.delete(userId);
    this.#touches.set(userId, { token, at });
    if (this.#touches.size > MAX_TOUCH_NOTES) {
      const oldest = this.#touches.keys().next().value;
      if (oldest !== undefined) this.#touches.delete(oldest);
    }
  }
}

const errorName = (error: unknown): string => (error instanceof Error ? error.name : typeof error);
