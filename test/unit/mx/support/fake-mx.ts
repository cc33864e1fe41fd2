import type { MockAgent } from 'undici';
import { ManualClock } from '../../../../lib/clock.ts';
import { CapturingLog, CLIENT_ID, DATA_ORIGIN, MemorySessionStore, mockAgent, SSO_ORIGIN } from './fakes.ts';

type Reply = { statusCode: number; data: object };
type ReplyOptions = { headers?: unknown; path: string; method: string };

export const headerOf = (headers: unknown, name: string): string | undefined => {
  const entry = Object.entries((headers ?? {}) as Record<string, string>).find(([key]) => key.toLowerCase() === name);
  return entry?.[1];
};

/**
 * MX's authentication as documented, on a MockAgent: SSO issues one-time API tokens, `POST /sessions` trades one
 * for a session token. Data interceptors wrap their reply in `withSession` to answer 401 for a dead token.
 */
export class FakeMx {
  apiTokensIssued = 0;
  sessionsCreated = 0;
  readonly liveSessions = new Set<string>();
  readonly #unusedApiTokens = new Set<string>();

  constructor(agent: MockAgent) {
    agent
      .get(SSO_ORIGIN)
      .intercept({ path: (path) => path.startsWith(`/${CLIENT_ID}/users/`) && path.endsWith('/api_token.json'), method: 'GET' })
      .reply(() => {
        const token = `API-TOKEN-${++this.apiTokensIssued}`;
        this.#unusedApiTokens.add(token);
        return { statusCode: 200, data: { api_token: { token } } };
      })
      .persist();
    agent
      .get(DATA_ORIGIN)
      .intercept({ path: '/sessions', method: 'POST' })
      .reply(({ headers }: ReplyOptions): Reply => {
        const apiToken = headerOf(headers, 'md-api-token');
        if (!apiToken || !this.#unusedApiTokens.delete(apiToken)) {
          return { statusCode: 401, data: { error: { code: 4010, message: 'Invalid API token' } } };
        }
        const token = `SESSION-TOKEN-${++this.sessionsCreated}`;
        this.liveSessions.add(token);
        return { statusCode: 200, data: { session: { token, guid: `SES-${this.sessionsCreated}` } } };
      })
      .persist();
  }

  /** Makes MX forget every session (as after 30 idle minutes). */
  expireSessions(): void {
    this.liveSessions.clear();
  }

  withSession(handler: (options: ReplyOptions) => Reply): (options: ReplyOptions) => Reply {
    return (options) =>
      this.liveSessions.has(headerOf(options.headers, 'md-session-token') ?? '')
        ? handler(options)
        : { statusCode: 401, data: { error: { code: 4011, message: 'Session expired' } } };
  }
}

/**
 * One test's MX world: MX behind a MockAgent, an in-memory session store (its lease on a manual clock), and a log that
 * keeps its lines. The containers a test builds over it share MX and the store.
 */
export function fakeMxWorld() {
  const agent = mockAgent();
  const clock = new ManualClock();
  return {
    agent,
    mx: new FakeMx(agent),
    store: new MemorySessionStore(clock),
    clock,
    log: new CapturingLog(),
  };
}
