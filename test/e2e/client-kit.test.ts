import type { AddressInfo } from 'node:net';
import { createRelayClient, type RelayClient, type RelayEvent } from '@nexus-relay/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientApp } from '../../clients/typescript/examples/client-app.ts';
import { createWebhookReceiver } from '../../clients/typescript/examples/node-http.ts';
import { type LocalStack, startLocalStack } from '../../infra/local/local-stack.ts';

/**
 * The client kit's examples against the real local stack: README's client app (refresh, wait, read) on a seeded
 * simulator user, and the node:http receiver example taking the relay's real deliveries, verified with the kit.
 */
let stack: LocalStack;
let relay: RelayClient;
const received: { event: RelayEvent; id: string }[] = [];
let receiver: ReturnType<typeof createWebhookReceiver> | undefined;

beforeAll(async () => {
  stack = await startLocalStack({ port: 0, simPort: 0, env: { LOG_LEVEL: 'ERROR' } });
  relay = createRelayClient({ baseUrl: stack.url, apiKey: stack.apiKey });
}, 60_000);

afterAll(async () => {
  receiver?.close();
  await stack?.stop();
});

describe('the client kit against the local stack', () => {
  it('README’s client app refreshes a member, waits for the end, and reads every account; the example receiver verifies the deliveries', async () => {
    // The receiver example needs its secret before it can verify anything: subscribe first, then start it.
    const port = await new Promise<number>((resolve) => {
      const probe = createWebhookReceiver([], async () => {}).listen(0, '127.0.0.1', () => {
        const { port: free } = probe.address() as AddressInfo;
        probe.close(() => resolve(free));
      });
    });
    const subscription = await relay.webhooks.create({ url: `http://127.0.0.1:${port}/hooks`, event_types: ['aggregation.*'] });
    receiver = createWebhookReceiver([subscription.secret], async (event, id) => void received.push({ event, id }));
    await new Promise<void>((resolve) => receiver!.listen(port, '127.0.0.1', resolve));

    const user = 'sim-user-pfm';
    const members = await relay.members.list({ user_id: user }).toArray();
    const memberGuid = members[0]!.guid as string;
    const { job, accounts } = await clientApp({ url: stack.url, apiKey: stack.apiKey, userId: user, memberGuid });
    expect(job).toMatchObject({ status: 'succeeded', member_guid: memberGuid, connection_status: 'CONNECTED' });
    expect(accounts).toHaveLength(4);

    await expect
      .poll(
        () => received.filter(({ event }) => 'job' in event.data && event.data.job.id === job.id).map(({ event }) => event.type),
        {
          timeout: 20_000,
        },
      )
      .toEqual(['aggregation.started', 'aggregation.succeeded']);
    const deliveries = await relay.webhooks.deliveries(subscription.id).toArray();
    expect(deliveries.map((delivery) => delivery.msg_id).sort()).toEqual(received.map(({ id }) => id).sort());
    await relay.webhooks.delete(subscription.id);
  });
});
