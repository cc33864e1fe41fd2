import { silentLog } from '../../../lib/logger.ts';
import { noMetrics } from '../../../lib/metrics.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../../lib/config.ts';
import { createMdxRealtimeClient, createSsoClient } from '../../../lib/mx/create-mx-clients.ts';
import { noSecretReads } from '../../support/secrets.ts';
import { type MxSimulator, startMxSimulator } from '../../../sim/server.ts';

/** The partner calls (SSO, MDX Real Time) against the simulator: which failure is the user's and which the partner's. */
let simulator: MxSimulator;

beforeAll(async () => {
  simulator = await startMxSimulator({ seed: 11 });
});
afterAll(async () => {
  await simulator?.close();
});

const mx = (clientId: string): Config['mx'] => ({
  baseUrl: simulator.url,
  ssoBaseUrl: simulator.url,
  realtimeBaseUrl: simulator.realtimeUrl,
  credentials: { clientId, apiKey: 'sim-api-key' },
  aggregateMethod: 'GET',
  useCasesEnabled: true,
  requestTimeoutMs: 2_000,
  retryBudgetMs: 4_000,
  callsPerSecond: 100,
});

describe('SsoClient and MdxRealtimeClient', () => {
  it('tells a user MX does not know (404 MX_NOT_FOUND) from a client id it does not know (MX_CREDENTIALS_REFUSED)', async () => {
    const sso = createSsoClient(mx('sim-client'), { log: silentLog, metrics: noMetrics, secrets: noSecretReads });
    const realtime = createMdxRealtimeClient(mx('sim-client'), { log: silentLog, metrics: noMetrics, secrets: noSecretReads });
    await expect(sso.widgetUrl('sso-new', { type: 'accounts_widget' })).rejects.toMatchObject({ code: 'MX_NOT_FOUND' });
    expect(await realtime.createUser('sso-new')).toBe(true);
    expect(await realtime.createUser('sso-new')).toBe(false);
    expect(await sso.widgetUrl('sso-new', { type: 'accounts_widget' })).toMatchObject({
      type: 'accounts_widget',
      user_id: 'sso-new',
    });

    const stranger = createMdxRealtimeClient(mx('not-our-client'), {
      log: silentLog,
      metrics: noMetrics,
      secrets: noSecretReads,
    });
    await expect(stranger.createUser('sso-other')).rejects.toMatchObject({ code: 'MX_CREDENTIALS_REFUSED', status: 404 });
  });

  it('makes users at MDX Real Time only: the SSO host has no users route (404 there, as MX), and no base refuses to start', async () => {
    const calls = async () =>
      ((await (await fetch(`${simulator.url}/_sim/stats`)).json()) as { calls: Record<string, number> }).calls;
    const realtime = createMdxRealtimeClient(mx('sim-client'), { log: silentLog, metrics: noMetrics, secrets: noSecretReads });
    expect(await realtime.deleteUser('sso-new-2')).toBe(false);
    expect(await realtime.createUser('sso-new-2')).toBe(true);
    expect(await realtime.deleteUser('sso-new-2')).toBe(true);
    const seen = await calls();
    expect(seen['POST /mdx-realtime/{client_id}/users']).toBeGreaterThanOrEqual(1);
    expect(seen['DELETE /mdx-realtime/{client_id}/users/{user_id}']).toBe(2);
    expect(() =>
      createMdxRealtimeClient(
        { ...mx('sim-client'), realtimeBaseUrl: undefined },
        { log: silentLog, metrics: noMetrics, secrets: noSecretReads },
      ),
    ).toThrow(/MX_REALTIME_BASE_URL/);
  });
});
