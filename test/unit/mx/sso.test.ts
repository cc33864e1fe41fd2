import { noMetrics } from '../../../lib/metrics.ts';
import type { MockAgent } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RetryPolicy } from '../../../lib/mx/retry-policy.ts';
import { SSO_MEDIA_TYPE, SsoClient } from '../../../lib/mx/sso.ts';
import { MxTransport } from '../../../lib/mx/transport.ts';
import { API_KEY, CapturingLog, mockAgent, recordedCalls, SSO_ORIGIN } from './support/fakes.ts';

describe('SsoClient', () => {
  let agent: MockAgent;
  let log: CapturingLog;
  let sso: SsoClient;

  beforeEach(() => {
    agent = mockAgent();
    log = new CapturingLog();
    const transport = new MxTransport({
      metrics: noMetrics,
      baseUrl: SSO_ORIGIN,
      timeoutMs: 1_000,
      retry: new RetryPolicy({ budgetMs: 1_000 }),
      dispatcher: agent,
      upstream: 'mx-sso',
      log,
    });
    sso = new SsoClient({ metrics: noMetrics, transport, credentials: async () => ({ clientId: 'client/7', apiKey: API_KEY }) });
  });

  afterEach(async () => {
    agent.assertNoPendingInterceptors();
    await agent.close();
  });

  const answer = (status: number, body: object) =>
    agent
      .get(SSO_ORIGIN)
      .intercept({ path: () => true, method: 'GET' })
      .reply(status, body);

  it('asks for an API token with MD-API-KEY and the SSO media type only', async () => {
    answer(200, { api_token: { token: 'API-TOKEN', expires_at: 'later' } });

    await expect(sso.apiToken('user 1/..')).resolves.toBe('API-TOKEN');

    const [sent] = recordedCalls(agent);
    expect(sent?.url).toBe(`${SSO_ORIGIN}/client%2F7/users/user%201%2F../api_token.json`);
    expect(sent?.headers).toEqual({ accept: SSO_MEDIA_TYPE, 'md-api-key': API_KEY });
  });

  it('fails with MX_INVALID_RESPONSE when the token is missing', async () => {
    answer(200, { api_token: {} });
    await expect(sso.apiToken('u1')).rejects.toMatchObject({
      code: 'MX_INVALID_RESPONSE',
      route: '/{client_id}/users/{user_id}/api_token.json',
    });
  });

  it('passes on 404 (user unknown to MX, or Nexus not enabled) as MX_NOT_FOUND', async () => {
    answer(404, { error: { code: 4040, message: 'User not found' } });
    await expect(sso.apiToken('u1')).rejects.toMatchObject({ code: 'MX_NOT_FOUND', status: 404 });
  });

  it('logs the route pattern and neither the key, the token nor the ids', async () => {
    answer(200, { api_token: { token: 'API-TOKEN-SECRET' } });
    await sso.apiToken('partner-user-42');
    expect(log.calls()).toEqual([
      expect.objectContaining({ upstream: 'mx-sso', route: '/{client_id}/users/{user_id}/api_token.json' }),
    ]);
    for (const secret of [API_KEY, 'API-TOKEN-SECRET', 'partner-user-42', 'client/7', 'client%2F7']) {
      expect(log.text()).not.toContain(secret);
    }
  });
});
