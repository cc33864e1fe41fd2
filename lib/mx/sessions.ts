import { randomUUID } from 'node:crypto';
import * as z from 'zod';
import { type Clock, systemClock } from '../clock.ts';
import { type Log, silentLog } from '../logger.ts';
import type { Deadline } from './deadline.ts';
import { MxError } from './errors.ts';
import { isRetryableFailure, type RetryPolicy } from './retry-policy.ts';
import type { SsoClient } from './sso.ts';
import type { MxRequestOptions, MxTransport } from './transport.ts';

/** MX slides a session's expiry to 30 minutes after its last use; we stop trusting one 5 minutes before that. */
export const SESSION_REUSE_MS = 25 * 60_000;
/** `lastUsedAt` is written at most this often per user. */
export const SESSION_TOUCH_INTERVAL_MS = 60_000;
/** How long one container may hold the right to create a user's session before another may take it over. */
export const SESSION_LEASE_MS = 10_000;
/** The holder stops working this long before its lease runs out, so a successor never overlaps it despite clock skew. */
const LEASE_SAFETY_MARGIN_MS = 2_000;
/** Waits between looks at the store while another container creates the session: 25, 50, 100, 200, 250, 250… ms. */
const LEASE_POLL_FIRST_MS = 25;
const LEASE_POLL_MAX_MS = 250;
/** Bounds the per-container memory of recent touches (a container may serve many users over its life). */
const MAX_TOUCH_NOTES = 1_000;
const SESSIONS_ROUTE = '/sessions';

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

/** The right to create a user's session, held by one container at a time and lost by itself when it runs out. */
export interface SessionLease {
  /** Takes the lease for `durationMs` if it is free or has run out; false while another holder has it. */
  acquire(userId: string, holderId: string, durationMs: number): Promise<boolean>;
  /** Gives the lease back if `holderId` still holds it. */
  release(userId: string, holderId: string): Promise<void>;
}

const sessionResponse = z.object({ session: z.object({ token: z.string().min(1) }).loose() }).loose();

export interface SessionManagerOptions {
  store: SessionStore;
  lease: SessionLease;
  sso: Pick<SsoClient, 'apiToken'>;
  /** The data-host transport (`POST /sessions` lives there). */
  data: MxTransport;
  /** Gives each get its deadline when the caller has none. */
  retry: RetryPolicy;
  clock?: Clock;
  log?: Log;
}

/**
 * One Nexus session per user, shared through the store. Creating one is single-flight twice over: concurrent gets
 * in this container share one promise, and containers share one lease (see #obtain).
 */
export class SessionManager {
  readonly #store: SessionStore;
  readonly #lease: SessionLease;
  readonly #sso: Pick<SsoClient, 'apiToken'>;
  readonly #data: MxTransport;
  readonly #retry: RetryPolicy;
  readonly #clock: Clock;
  readonly #log: Log;
  readonly #creating = new Map<string, Promise<string>>();
  /** What this container last wrote as `lastUsedAt`, per user, so the reads that follow do not write again. */
  readonly #touches = new Map<string, { token: string; at: number }>();

  constructor(options: SessionManagerOptions) {
    this.#store = options.store;
    this.#lease = options.lease;
    this.#sso = options.sso;
    this.#data = options.data;
    this.#retry = options.retry;
    this.#clock = options.clock ?? systemClock;
    this.#log = options.log ?? silentLog;
  }

  /** A session token for the user: the stored one while it is fresh, else a new one, all within the deadline. */
  async get(userId: string, options: MxRequestOptions = {}): Promise<string> {
    const now = this.#clock.now();
    const stored = await this.#store.get(userId);
    if (stored && isFresh(stored, now)) {
      await this.#touch(userId, stored, now);
      return stored.token;
    }
    return this.#createOnce(userId, options.deadline ?? this.#retry.newDeadline());
  }

  /** Drops the session after MX refused it — unless it has already been replaced by a newer one. */
  async invalidate(userId: string, token: string): Promise<void> {
    if (this.#touches.get(userId)?.token === token) this.#touches.delete(userId);
    const deleted = await this.#store.delete(userId, token);
    this.#log.info('mx session invalidated', { user_id: userId, deleted });
  }

  #createOnce(userId: string, deadline: Deadline): Promise<string> {
    let creating = this.#creating.get(userId);
    if (!creating) {
      creating = this.#obtain(userId, deadline).finally(() => this.#creating.delete(userId));
      this.#creating.set(userId, creating);
    }
    return creating;
  }

  /**
   * Single-flight across containers. The lease holder re-reads the store (the previous holder may have just stored
   * a session), else creates one and stores it, then releases the lease. The others look at the store with short
   * waits, trying for the lease between looks: they take over if the holder released it without a session or died
   * and let it run out.
   */
  async #obtain(userId: string, deadline: Deadline): Promise<string> {
    for (let look = 1; ; look += 1) {
      const leaseWindow = deadline.within(SESSION_LEASE_MS - LEASE_SAFETY_MARGIN_MS);
      const holderId = randomUUID();
      if (await this.#lease.acquire(userId, holderId, SESSION_LEASE_MS)) {
        try {
          return (await this.#freshToken(userId)) ?? (await this.#create(userId, leaseWindow));
        } finally {
          await this.#release(userId, holderId);
        }
      }
      if (deadline.remainingMs() <= 0) {
        throw new MxError('MX_TIMEOUT', 'No MX session within the time budget: another instance is still creating it', {
          method: 'POST',
          route: SESSIONS_ROUTE,
        });
      }
      await this.#retry.timer.sleep(Math.min(leasePollDelayMs(look), deadline.remainingMs()));
      const token = await this.#freshToken(userId);
      if (token) return token;
    }
  }

  async #create(userId: string, deadline: Deadline): Promise<string> {
    const tradeFreshApiToken = async () => this.#postSession(await this.#sso.apiToken(userId, { deadline }), deadline);
    const token = await this.#retry.run(tradeFreshApiToken, {
      deadline,
      // POST /sessions spends the one-time API token, so the transport does not replay it after a lost answer.
      // Starting over with a fresh API token is safe: at worst MX keeps an unused session until it expires.
      isRetryable: (error) => error instanceof MxError && error.route === SESSIONS_ROUTE && isRetryableFailure(error, true),
    });
    const now = this.#clock.now();
    await this.#store.put(userId, { token, createdAt: now, lastUsedAt: now });
    this.#noteTouch(userId, token, now);
    this.#log.info('mx session created', { user_id: userId });
    return token;
  }

  async #postSession(apiToken: string, deadline: Deadline): Promise<string> {
    const { body } = await this.#data.request(
      { method: 'POST', route: SESSIONS_ROUTE, headers: { 'MD-API-TOKEN': apiToken }, body: {}, schema: sessionResponse },
      { deadline },
    );
    return body.session.token;
  }

  async #freshToken(userId: string): Promise<string | undefined> {
    const stored = await this.#store.get(userId);
    return stored && isFresh(stored, this.#clock.now()) ? stored.token : undefined;
  }

  async #release(userId: string, holderId: string): Promise<void> {
    try {
      await this.#lease.release(userId, holderId);
    } catch (error) {
      // Nothing is lost: the lease runs out by itself, the session is stored already.
      this.#log.warn('mx session lease release failed', { user_id: userId, error: errorName(error) });
    }
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

const isFresh = (session: StoredSession, now: number): boolean => session.lastUsedAt + SESSION_REUSE_MS > now;

const leasePollDelayMs = (look: number): number => Math.min(LEASE_POLL_MAX_MS, LEASE_POLL_FIRST_MS * 2 ** (look - 1));

const errorName = (error: unknown): string => (error instanceof Error ? error.name : typeof error);
