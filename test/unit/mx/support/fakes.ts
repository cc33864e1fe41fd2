import { MockAgent } from 'undici';
import type { MockCallHistoryLog } from 'undici';
import { type Clock, systemClock } from '../../../../lib/clock.ts';
import type { Config } from '../../../../lib/config.ts';
import type { Log } from '../../../../lib/logger.ts';
import type { Timer } from '../../../../lib/mx/deadline.ts';
import type { SessionStore, StoredSession } from '../../../../lib/mx/sessions.ts';

export const DATA_ORIGIN = 'https://data.mx.test';
export const SSO_ORIGIN = 'https://sso.mx.test';
export const REALTIME_ORIGIN = 'https://live.mx.test';
export const API_KEY = 'api-key-d3adb33f-secret';
export const CLIENT_ID = 'client-7';

export const mxConfig: Config['mx'] = {
  baseUrl: DATA_ORIGIN,
  ssoBaseUrl: SSO_ORIGIN,
  realtimeBaseUrl: REALTIME_ORIGIN,
  credentials: { clientId: CLIENT_ID, apiKey: API_KEY },
  aggregateMethod: 'GET',
  useCasesEnabled: true,
  requestTimeoutMs: 1_000,
  retryBudgetMs: 5_000,
  callsPerSecond: 100,
};

export interface LogEntry {
  level: 'debug' | 'info' | 'warn' | 'error';
  message: string;
  extra?: Record<string, unknown>;
}

/** Keeps every log line; `text()` is everything that would have been written, for scanning. */
export class CapturingLog implements Log {
  readonly entries: LogEntry[] = [];

  debug(message: string, extra?: Record<string, unknown>): void {
    this.entries.push({ level: 'debug', message, extra });
  }
  info(message: string, extra?: Record<string, unknown>): void {
    this.entries.push({ level: 'info', message, extra });
  }
  warn(message: string, extra?: Record<string, unknown>): void {
    this.entries.push({ level: 'warn', message, extra });
  }
  error(message: string, extra?: Record<string, unknown>): void {
    this.entries.push({ level: 'error', message, extra });
  }

  /** The one line each MX call ends with ('mx call' or 'mx call failed'). */
  calls(): Record<string, unknown>[] {
    return this.entries.filter((entry) => entry.message.startsWith('mx call')).map((entry) => entry.extra ?? {});
  }

  text(): string {
    return JSON.stringify(this.entries);
  }
}

/** A SessionStore in memory with the same conditional semantics as DynamoSessionStore (its lease by the clock), counting writes. */
export class MemorySessionStore implements SessionStore {
  readonly sessions = new Map<string, StoredSession>();
  readonly writes = { put: 0, touch: 0, delete: 0 };
  readonly #leases = new Map<string, { holderId: string; expiresAt: number }>();
  readonly #clock: Clock;
  leases = 0;

  constructor(clock: Clock = systemClock) {
    this.#clock = clock;
  }

  async get(userId: string): Promise<StoredSession | undefined> {
    const session = this.sessions.get(userId);
    return session && { ...session };
  }

  async put(userId: string, session: StoredSession): Promise<void> {
    this.writes.put += 1;
    this.sessions.set(userId, { ...session });
    this.#leases.delete(userId);
  }

  async touch(userId: string, token: string, lastUsedAt: number): Promise<boolean> {
    this.writes.touch += 1;
    const session = this.sessions.get(userId);
    if (session?.token !== token || session.lastUsedAt >= lastUsedAt) return false;
    session.lastUsedAt = lastUsedAt;
    return true;
  }

  async delete(userId: string, token: string): Promise<boolean> {
    this.writes.delete += 1;
    if (this.sessions.get(userId)?.token !== token) return false;
    this.sessions.delete(userId);
    this.#leases.delete(userId);
    return true;
  }

  async lease(userId: string, holderId: string, durationMs: number): Promise<boolean> {
    const now = this.#clock.now();
    const held = this.#leases.get(userId);
    if (held && held.expiresAt >= now) return false;
    this.#leases.set(userId, { holderId, expiresAt: now + durationMs });
    this.leases += 1;
    return true;
  }

  async release(userId: string, holderId: string): Promise<void> {
    if (this.#leases.get(userId)?.holderId === holderId) this.#leases.delete(userId);
  }

  isLeased(userId: string): boolean {
    return this.#leases.has(userId);
  }
}

/** A Timer that only moves when slept on or told to; keeps every sleep. `onAdvance` lets a wall clock follow it. */
export class FakeTimer implements Timer {
  readonly sleeps: number[] = [];
  #now = 0;
  readonly #onAdvance?: (ms: number) => void;

  constructor(onAdvance?: (ms: number) => void) {
    this.#onAdvance = onAdvance;
  }

  now(): number {
    return this.#now;
  }

  async sleep(ms: number): Promise<void> {
    this.sleeps.push(ms);
    this.advance(ms);
  }

  advance(ms: number): void {
    this.#now += ms;
    this.#onAdvance?.(ms);
  }
}

export function mockAgent(): MockAgent {
  const agent = new MockAgent({ enableCallHistory: true });
  agent.disableNetConnect();
  return agent;
}

export interface RecordedCall {
  method: string;
  origin: string;
  path: string;
  url: string;
  /** Names lower-cased. */
  headers: Record<string, string>;
  body: unknown;
}

export function recordedCalls(agent: MockAgent): RecordedCall[] {
  return (agent.getCallHistory()?.calls() ?? []).map((call: MockCallHistoryLog) => ({
    method: call.method,
    origin: call.origin,
    path: call.path,
    url: call.fullUrl,
    headers: Object.fromEntries(
      Object.entries((call.headers ?? {}) as Record<string, string>).map(([name, value]) => [name.toLowerCase(), value]),
    ),
    body: call.body,
  }));
}

export const member = (overrides: Record<string, unknown> = {}) => ({
  guid: 'MBR-1',
  user_guid: 'USR-1',
  connection_status: 'CONNECTED',
  connection_status_id: 6,
  connection_status_message: 'Connected to MX Bank.',
  is_being_aggregated: false,
  aggregated_at: '2026-01-01T00:00:00Z',
  successfully_aggregated_at: '2026-01-01T00:00:05Z',
  use_cases: ['PFM'],
  institution_code: 'mxbank',
  ...overrides,
});
