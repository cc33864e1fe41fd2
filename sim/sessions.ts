import type { Clock } from './clock.ts';
import { newSecretToken } from './identifiers.ts';

export const API_TOKEN_LIFETIME_MS = 10 * 60_000;
export const SESSION_IDLE_TIMEOUT_MS = 30 * 60_000;

interface ApiToken {
  userId: string;
  expiresAt: number;
}

interface Session {
  userId: string;
  lastUsedAt: number;
}

/**
 * SSO API tokens (one use, 10 minutes) and Nexus sessions (30 minutes, reset by every call). Expiry is checked
 * against the clock when a token is presented; nothing runs in the background.
 */
export class SessionRegistry {
  readonly #clock: Clock;
  readonly #apiTokens = new Map<string, ApiToken>();
  readonly #sessions = new Map<string, Session>();

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  issueApiToken(userId: string): { token: string; expiresAt: number } {
    const token = newSecretToken(24);
    const expiresAt = this.#clock.now() + API_TOKEN_LIFETIME_MS;
    this.#apiTokens.set(token, { userId, expiresAt });
    return { token, expiresAt };
  }

  /** Exchanges an API token for a session; null when the token is unknown, already used or expired. */
  openSession(apiToken: string): { token: string; userId: string } | null {
    const issued = this.#apiTokens.get(apiToken);
    this.#apiTokens.delete(apiToken);
    if (!issued || this.#clock.now() >= issued.expiresAt) return null;

    const token = newSecretToken(48);
    this.#sessions.set(token, { userId: issued.userId, lastUsedAt: this.#clock.now() });
    return { token, userId: issued.userId };
  }

  /** The session's user, restarting its idle timer; null when the token is unknown or the session expired. */
  use(sessionToken: string): string | null {
    const session = this.#sessions.get(sessionToken);
    if (!session) return null;
    const now = this.#clock.now();
    if (now >= session.lastUsedAt + SESSION_IDLE_TIMEOUT_MS) {
      this.#sessions.delete(sessionToken);
      return null;
    }
    session.lastUsedAt = now;
    return session.userId;
  }

  /** Ends every current session, as if each had sat idle past its timeout. Sessions opened later are unaffected. */
  expireAll(): void {
    this.#sessions.clear();
  }
}
