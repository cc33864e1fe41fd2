import { randomUUID } from 'node:crypto';
import * as z from '../zod.ts';
import { boundedCache } from '../bounded-cache.ts';
import { type Clock, systemClock } from '../clock.ts';
import type { Log } from '../logger.ts';
import type { MxMetrics } from './mx-metrics.ts';
import type { Deadline } from './deadline.ts';
import { MxError } from './errors.ts';
import { isRetryableFailure, type RetryPolicy } from './retry-policy.ts';
import type { SsoClient } from './sso.ts';
import type { MxRequestOptions, MxTransport } from './transport.ts';

/**
 * MX expires a session 30 minutes after its last use; we stop trusting it a minute earlier, covering clock skew and MX's
 * whole minutes (our use is stamped before the call, so never later than MX's). A 401 anyway is recovered by NexusClient.
 */
export const SESSION_REUSE_MS = 29 * 60_000;
/** `lastUsedAt` is written at most this often per user. */
export const SESSION_TOUCH_INTERVAL_MS = 60_000;
/** How long one container may hold the right to create a user's session before another may take over. */
export const SESSION_LEASE_MS = 10_000;
/** The holder stops working this long before its lease runs out, so a successor never overlaps it despite clock skew. */
const LEASE_SAFETY_MARGIN_MS = 2_000;
/** Doubling waits between store reads while another container creates the session. */
const LEASE_POLL_FIRST_MS = 25;
const LEASE_POLL_MAX_MS = 250;
const MAX_KNOWN_SESSIONS = 1_000;
/** MX's route that trades an SSO API token for a session. */
export const SESSIONS_ROUTE = '/sessions';
/** Without `skip_aggregation` MX aggregates every member when the session opens; the relay aggregates only when asked. */
export const SESSION_BODY = { session: { skip_aggregation: true } } as const;

/** Epoch milliseconds. */
export interface StoredSession {
  token: string;
  createdAt: number;
  lastUsedAt: number;
}

/**
 * A user's session and the right to create it (the lease), one item: storing a session ends the lease, so a holder that
 * stored one has nothing to give back.
 */
export interface SessionStore {
  get(userId: string): Promise<StoredSession | undefined>;
  /** Replaces whatever is stored, a lease included. */
  put(userId: string, session: StoredSession): Promise<void>;
  /** Moves `lastUsedAt` forward if the stored token is still `token`; false when it is not (or a later use is recorded). */
  touch(userId: string, token: string, lastUsedAt: number): Promise<boolean>;
  /** Deletes the session if the stored token is still `token`; false when it is not. */
  delete(userId: string, token: string): Promise<boolean>;
  /**
   * Takes the right to create the user's session for `durationMs`, held by one container at a time, if it is free or has
   * run out; false while another holder has it.
   */
  lease(userId: string, holderId: string, durationMs: number): Promise<boolean>;
  /** Gives the lease back if `holderId` still holds it: only needed when no session was stored. */
  release(userId: string, holderId: string): Promise<void>;
}

/** Makes the user at MX the first time a call needs it, then runs the call again. */
export interface UsersAtMx {
  withUser<T>(userId: string, call: (options: MxRequestOptions) => Promise<T>, options: MxRequestOptions): Promise<T>;
}

/** Told of the users sessions are made and used for (reconcile enrolment). Never rejects: a failed note is left to the next. */
export interface ServedUsers {
  note(userId: string): Promise<void>;
  /** An earlier session was used: a promise when this writes something (awaited by `settle`). */
  used?(userId: string): Promise<void> | undefined;
}

export const sessionResponse = z.looseObject({ session: z.looseObject({ token: z.string().check(z.minLength(1)) }) });

export interface SessionManagerOptions {
  store: SessionStore;
  sso: Pick<SsoClient, 'apiToken'>;
  /** Without it, a session for a user MX does not know fails with MX's 404. */
  users?: UsersAtMx;
  served?: ServedUsers;
  /** The data-host transport (`POST /sessions` lives there). */
  data: MxTransport;
  /** Gives each get its deadline when the caller has none. */
  retry: RetryPolicy;
  clock?: Clock;
  log: Log;
  metrics: MxMetrics;
}

/** What this container knows of a user's session. Epoch milliseconds. */
interface KnownSession {
  token: string;
  /** The latest use known here or in the store. */
  usedAt: number;
  /** The latest `lastUsedAt` known to be in the store. */
  storedUsedAt: number;
}

/**
 * One Nexus session per user, shared through the store, single-flight within a container and (by lease) across them.
 * A session known here is reused without a store read while fresh; the store stays the truth: a replaced session gets a 401,
 * which drops it here before the store is read again.
 */
export class SessionManager {
  readonly #store: SessionStore;
  readonly #sso: Pick<SsoClient, 'apiToken'>;
  readonly #users: UsersAtMx | undefined;
  readonly #served: ServedUsers | undefined;
  readonly #data: MxTransport;
  readonly #retry: RetryPolicy;
  readonly #clock: Clock;
  readonly #log: Log;
  readonly #metrics: MxMetrics;
  readonly #finding = new Map<string, Promise<string>>();
  /** Tokens MX refused here: never handed out again, whatever the store still says. */
  readonly #refused = boundedCache<string, true>({ max: MAX_KNOWN_SESSIONS });
  readonly #known = boundedCache<string, KnownSession>({ max: MAX_KNOWN_SESSIONS });
  readonly #touching = new Set<Promise<void>>();

  constructor(options: SessionManagerOptions) {
    this.#store = options.store;
    this.#users = options.users;
    this.#served = options.served;
    this.#sso = options.sso;
    this.#data = options.data;
    this.#retry = options.retry;
    this.#clock = options.clock ?? systemClock;
    this.#log = options.log;
    this.#metrics = options.metrics;
  }

  /** A fresh session token for the user, within the deadline. Recording the use in the store is not awaited: see settle. */
  async get(userId: string, options: MxRequestOptions = {}): Promise<string> {
    const now = this.#clock.now();
    const known = this.#known.get(userId);
    if (known && known.usedAt + SESSION_REUSE_MS > now) return this.#use(userId, known, now);
    const deadline = options.deadline ?? this.#retry.newDeadline();
    let token = await this.#findOnce(userId, deadline);
    // A find that read the store before a 401 was reported here may hand back the refused token: look again.
    for (let look = 1; look < 3 && this.#refused.has(token); look += 1) token = await this.#findOnce(userId, deadline);
    return token;
  }

  /**
   * Resolves once the writes started so far are done (they never reject). NexusClient awaits it after its MX call so the
   * write ends within the invocation: a frozen Lambda container would otherwise hold it half-sent.
   */
  settle(): Promise<void> | undefined {
    if (this.#touching.size === 0) return undefined;
    return Promise.all(this.#touching).then(() => undefined);
  }

  /** Drops the session after MX refused it — unless it has already been replaced by a newer one. */
  async invalidate(userId: string, token: string): Promise<void> {
    this.#refused.set(token, true);
    if (this.#known.get(userId)?.token === token) this.#known.delete(userId);
    const deleted = await this.#store.delete(userId, token);
    this.#metrics.add('MxSessionRecoveries', 1, {});
    this.#log.info('mx session invalidated', { user_id: userId, deleted });
  }

  /** Concurrent gets of a user without a known session share one find. */
  #findOnce(userId: string, deadline: Deadline): Promise<string> {
    let finding = this.#finding.get(userId);
    if (!finding) {
      finding = this.#find(userId, deadline).finally(() => this.#finding.delete(userId));
      this.#finding.set(userId, finding);
    }
    return finding;
  }

  /** The stored session while fresh (and not refused here), else a new one. */
  async #find(userId: string, deadline: Deadline): Promise<string> {
    const stored = await this.#store.get(userId);
    const now = this.#clock.now();
    if (stored && this.#trusted(stored, now)) return this.#use(userId, this.#remember(userId, stored), now);
    return this.#obtain(userId, deadline);
  }

  /**
   * Single-flight across containers: the lease holder re-reads the store (the previous holder may have just stored one),
   * else creates one. The others poll the store, taking over if the holder released the lease without a session or died.
   */
  async #obtain(userId: string, deadline: Deadline): Promise<string> {
    for (let look = 1; ; look += 1) {
      const leaseWindow = deadline.within(SESSION_LEASE_MS - LEASE_SAFETY_MARGIN_MS);
      const holderId = randomUUID();
      if (await this.#store.lease(userId, holderId, SESSION_LEASE_MS)) {
        let stored = false;
        try {
          const fresh = await this.#freshToken(userId);
          if (fresh) return fresh;
          const token = await this.#create(userId, leaseWindow);
          stored = true;
          return token;
        } finally {
          if (!stored) await this.#release(userId, holderId);
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
    const apiToken = () =>
      this.#users
        ? this.#users.withUser(userId, (options) => this.#sso.apiToken(userId, options), { deadline })
        : this.#sso.apiToken(userId, { deadline });
    const tradeFreshApiToken = async () => this.#postSession(await apiToken(), deadline);
    const token = await this.#retry.run(tradeFreshApiToken, {
      deadline,
      // POST /sessions spends the one-time API token, so the transport never replays it; starting over with a fresh token is
      // safe (at worst MX keeps an unused session), so the whole exchange retries as idempotent.
      isRetryable: (error) => error instanceof MxError && error.route === SESSIONS_ROUTE && isRetryableFailure(error, true),
    });
    const now = this.#clock.now();
    await Promise.all([this.#store.put(userId, { token, createdAt: now, lastUsedAt: now }), this.#served?.note(userId)]);
    this.#remember(userId, { token, createdAt: now, lastUsedAt: now });
    this.#metrics.add('MxSessionsCreated', 1, {});
    // MxSessionsCreated counts them: a line each would be a fifth of the nightly wave's log bytes.
    this.#log.debug('mx session created', { user_id: userId });
    return token;
  }

  async #postSession(apiToken: string, deadline: Deadline): Promise<string> {
    const { body } = await this.#data.request(
      {
        method: 'POST',
        route: SESSIONS_ROUTE,
        kind: 'session',
        headers: { 'MD-API-TOKEN': apiToken },
        body: SESSION_BODY,
        schema: sessionResponse,
      },
      { deadline },
    );
    return body.session.token;
  }

  async #freshToken(userId: string): Promise<string | undefined> {
    const stored = await this.#store.get(userId);
    if (!stored || !this.#trusted(stored, this.#clock.now())) return undefined;
    this.#remember(userId, stored);
    return stored.token;
  }

  async #release(userId: string, holderId: string): Promise<void> {
    try {
      await this.#store.release(userId, holderId);
    } catch (error) {
      // Nothing is lost: the lease runs out by itself.
      this.#log.warn('mx session lease release failed', { user_id: userId, error: errorName(error) });
    }
  }

  #trusted(stored: StoredSession, now: number): boolean {
    return isFresh(stored, now) && !this.#refused.has(stored.token);
  }

  /** Notes what the store holds; a session already known here keeps the later of the two uses. */
  #remember(userId: string, stored: StoredSession): KnownSession {
    const known = this.#known.get(userId);
    const same = known?.token === stored.token;
    const entry: KnownSession = {
      token: stored.token,
      usedAt: same ? Math.max(known.usedAt, stored.lastUsedAt) : stored.lastUsedAt,
      storedUsedAt: same ? Math.max(known.storedUsedAt, stored.lastUsedAt) : stored.lastUsedAt,
    };
    this.#known.set(userId, entry);
    return entry;
  }

  /** Records a use in memory, and in the store (not awaited) when its `lastUsedAt` is a minute old. */
  #use(userId: string, known: KnownSession, now: number): string {
    if (now > known.usedAt) known.usedAt = now;
    if (now - known.storedUsedAt >= SESSION_TOUCH_INTERVAL_MS) {
      // Noted before the write so that concurrent callers do not write too.
      known.storedUsedAt = now;
      this.#track(this.#touch(userId, known.token, now));
    }
    const noting = this.#served?.used?.(userId);
    if (noting) this.#track(noting);
    return known.token;
  }

  /** A write this call does not wait for, awaited by `settle` before the invocation ends. */
  #track(write: Promise<void>): void {
    this.#touching.add(write);
    void write.finally(() => this.#touching.delete(write));
  }

  async #touch(userId: string, token: string, now: number): Promise<void> {
    try {
      await this.#store.touch(userId, token, now);
    } catch (error) {
      // The session is still good for this call; a lagging lastUsedAt only makes a later renewal come earlier.
      this.#log.warn('mx session touch failed', { user_id: userId, error: errorName(error) });
    }
  }
}

const isFresh = (session: StoredSession, now: number): boolean => session.lastUsedAt + SESSION_REUSE_MS > now;

const leasePollDelayMs = (look: number): number => Math.min(LEASE_POLL_MAX_MS, LEASE_POLL_FIRST_MS * 2 ** (look - 1));

const errorName = (error: unknown): string => (error instanceof Error ? error.name : typeof error);
