import { noMetrics } from '../../../lib/metrics.ts';
import { randomUUID } from 'node:crypto';
import type { MockAgent } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../lib/clock.ts';
import { createNexusClient, createSsoClient } from '../../../lib/mx/create-mx-clients.ts';
import type { NexusClient } from '../../../lib/mx/nexus-client.ts';
import { SESSION_REUSE_MS } from '../../../lib/mx/sessions.ts';
import { DynamoSessionStore } from '../../../lib/mx/sessions-repo.ts';
import { FakeMx } from '../../unit/mx/support/fake-mx.ts';
import { API_KEY, CapturingLog, DATA_ORIGIN, member, mockAgent, mxConfig } from '../../unit/mx/support/fakes.ts';
import { useLocalEngines } from '../../support/local-table.ts';
import { noSecretReads } from '../../support/secrets.ts';
import { testSessionBox } from '../../support/session-box.ts';

describe('createNexusClient (dynalite session store, MockAgent MX)', () => {
  const local = useLocalEngines();
  let agent: MockAgent;
  let mx: FakeMx;
  let clock: ManualClock;
  let log: CapturingLog;
  let nexus: NexusClient;
  let userId: string;
  /** One container's MX client: the shared session table, the mock MX, this test's clock and log. */
  const containerClient = () =>
    createNexusClient(mxConfig, {
      metrics: noMetrics,
      table: local.table,
      clock,
      log,
      dispatchers: { data: agent },
      sessionBox: testSessionBox,
      sso: createSsoClient(mxConfig, { metrics: noMetrics, clock, log, secrets: noSecretReads, dispatcher: agent }),
    });

  beforeEach(() => {
    agent = mockAgent();
    mx = new FakeMx(agent);
    agent
      .get(DATA_ORIGIN)
      .intercept({ path: '/members/MBR-1', method: 'GET' })
      .reply(mx.withSession(() => ({ statusCode: 200, data: { member: member() } })))
      .persist();
    clock = new ManualClock();
    log = new CapturingLog();
    nexus = containerClient();
    userId = `user-${randomUUID()}`;
  });

  afterEach(async () => {
    await agent.close();
  });

  const storedToken = async () => (await new DynamoSessionStore(local.table, testSessionBox, clock).get(userId))?.token;

  it('makes a session once, keeps it in DynamoDB and reuses it', async () => {
    await expect(nexus.readMember(userId, 'MBR-1')).resolves.toMatchObject({ guid: 'MBR-1' });
    clock.advance(10 * 60_000);
    await nexus.readMember(userId, 'MBR-1');

    expect(mx.sessionsCreated).toBe(1);
    expect(await storedToken()).toBe('SESSION-TOKEN-1');
  });

  it('renews the session after SESSION_REUSE_MS (29) idle minutes', async () => {
    await nexus.readMember(userId, 'MBR-1');
    clock.advance(SESSION_REUSE_MS);
    await nexus.readMember(userId, 'MBR-1');

    expect(mx.sessionsCreated).toBe(2);
    expect(await storedToken()).toBe('SESSION-TOKEN-2');
  });

  it('replaces a session MX refuses and retries the call', async () => {
    await nexus.readMember(userId, 'MBR-1');
    mx.expireSessions();

    await expect(nexus.readMember(userId, 'MBR-1')).resolves.toMatchObject({ guid: 'MBR-1' });

    expect(await storedToken()).toBe('SESSION-TOKEN-2');
  });

  it('picks up the session a second container stored after MX refused the one this container keeps in memory', async () => {
    const other = containerClient();
    await nexus.readMember(userId, 'MBR-1');
    mx.liveSessions.delete('SESSION-TOKEN-1');
    await other.readMember(userId, 'MBR-1'); // 401, replaced by SESSION-TOKEN-2 in the table
    expect(await storedToken()).toBe('SESSION-TOKEN-2');

    await expect(nexus.readMember(userId, 'MBR-1')).resolves.toMatchObject({ guid: 'MBR-1' });

    expect(mx.sessionsCreated).toBe(2);
    expect(await storedToken()).toBe('SESSION-TOKEN-2');
  });

  it('logs no token and no key', async () => {
    await nexus.readMember(userId, 'MBR-1');
    mx.expireSessions();
    await nexus.readMember(userId, 'MBR-1');

    expect(log.calls().length).toBeGreaterThan(0);
    for (const secret of [API_KEY, 'API-TOKEN-1', 'API-TOKEN-2', 'SESSION-TOKEN-1', 'SESSION-TOKEN-2']) {
      expect(log.text()).not.toContain(secret);
    }
  });
});
