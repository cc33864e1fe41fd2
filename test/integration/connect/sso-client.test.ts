import { silentLog } from '../../../lib/logger.ts';
import { noMetrics } from '../../../lib/metrics.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../../lib/config.ts';
import { createSsoClient } from '../../../lib/mx/create-mx-clients.ts';
import { noSecretReads } from '../../support/secrets.ts';
import { type MxSimulator, startMxSimulator } from '../../../sim/server.ts';

/** The SSO client's partner calls against the simulator: which failure is the user's and which the partner's. */
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
  credentials: { clientId, apiKey: 'sim-api-key' },
  aggregateMethod: 'GET',
  useCasesEnabled: true,
  requestTimeoutMs: 2_000,
  retryBudgetMs: 4_000,
});

describe('SsoClient', () => {
  it('tells a user MX does not know (404 MX_NOT_FOUND) from a client id it does not know (MX_CREDENTIALS_REFUSED)', async () => {
    const sso = createSsoClient(mx('sim-client'), { log: silentLog, metrics: noMetrics, secrets: noSecretReads });
    await expect(sso.widgetUrl('sso-new', { type: 'accounts_widget' })).rejects.toMatchObject({ code: 'MX_NOT_FOUND' });
    expect(await sso.createUser('sso-new')).toBe(true);
    expect(await sso.createUser('sso-new')).toBe(false);
    expect(await sso.widgetUrl('sso-new', { type: 'accounts_widget' })).toMatchObject({
      type: 'accounts_widget',
      user_id: 'sso-new',
    });

    const stranger = createSsoClient(mx('not-our-client'), {
      log: silentLog,
      metrics: noMetrics,
      secrets: noSecretReads,
    });
    await expect(stranger.createUser('sso-other')).rejects.toMatchObject({ code: 'MX_CREDENTIALS_REFUSED', status: 404 });
  });
});
