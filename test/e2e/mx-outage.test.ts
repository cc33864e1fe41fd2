import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { createRelayClient, type RelayClient, RelayUpstreamError } from '@nexus-relay/client';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startEngines } from '../../infra/local/engines.ts';
import { type LocalStack, SIMULATOR_WEBHOOK_CREDENTIALS, startLocalStack } from '../../infra/local/local-stack.ts';
import { createSqsClient } from '../../lib/aws/sqs-client.ts';
import { QUEUE_NAMES } from '../../lib/queue/queue-names.ts';
import { simulatorControl } from '../support/simulator-control.ts';
import { startWebhookReceiver } from '../support/webhook-receiver.ts';

/**
 * MX down while it announces aggregations: the member reports its webhooks bring wait on the poll queue, however long
 * MX stays down, and each aggregation reaches the app once MX answers again — none left in a dead-letter queue (MX
 * does not resend a webhook the relay answered 204). Each MX call gives up within 2 s; the queues redeliver after 4 s
 * (longer than a message's handling, as the stack's visibility timeouts are) and dead-letter at the second receive:
 * without the waits every report would be dead-lettered well within the outage.
 */
const OUTAGE_MS = 20_000;
const NONE_DEAD_LETTERED = Object.fromEntries(QUEUE_NAMES.map((queue) => [queue, 0]));

let stack: LocalStack;
let relay: RelayClient;
let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;
const { sim, simMember } = simulatorControl(() => stack.simulatorUrl);

beforeAll(async () => {
  receiver = await startWebhookReceiver();
  stack = await startLocalStack({
    port: 0,
    simPort: 0,
    env: { LOG_LEVEL: 'ERROR', MX_UNAVAILABLE_FIRST_WAIT_SECONDS: '1', MX_RETRY_BUDGET_MS: '2000' },
    startEngines: (options) => startEngines({ ...options, visibilityTimeoutSeconds: 4, maxReceiveCount: 2 }),
  });
  relay = createRelayClient({ baseUrl: stack.url, apiKey: stack.apiKey });
  // MX's webhooks on: the simulator pushes each aggregation's end to /mx/webhooks.
  const { MX_WEBHOOK_USERNAME: username, MX_WEBHOOK_PASSWORD: password } = SIMULATOR_WEBHOOK_CREDENTIALS;
  await sim('POST', '/_sim/webhooks', { url: `${stack.url}/mx/webhooks`, username, password });
  receiver.useSecret((await relay.webhooks.create({ url: receiver.url, event_types: ['aggregation.*'] })).secret);
}, 60_000);

afterAll(async () => {
  await stack?.stop();
  await receiver?.close();
});

async function deadLettered(): Promise<Record<string, number>> {
  const sqs = createSqsClient({ region: stack.engines.region, sqsEndpoint: stack.engines.sqsEndpoint });
  try {
    const counts: Record<string, number> = {};
    for (const [queue, url] of Object.entries(stack.engines.deadLetterQueueUrls)) {
      const { Attributes = {} } = await sqs.send(
        new GetQueueAttributesCommand({
          QueueUrl: url,
          AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
        }),
      );
      counts[queue] = Number(Attributes.ApproximateNumberOfMessages) + Number(Attributes.ApproximateNumberOfMessagesNotVisible);
    }
    return counts;
  } finally {
    sqs.destroy();
  }
}

it('reports MX announced while it failed every call reach the app once MX answers; no dead letter', async () => {
  const members = await Promise.all(
    Array.from({ length: 3 }, () => simMember({ duration_ms: 300, final_status: 'CONNECTED' }, ['PFM'])),
  );
  // The app knows its members: a first refresh each, followed to its end. Each MX call gives up within 2 s here: on a
  // busy machine one may, and the app asks again, as apps do on a 504.
  const refresh = async (member: { user_id: string; member_guid: string }, attempt = 1): Promise<{ id: string }> => {
    try {
      return await relay.members.refresh(member);
    } catch (error) {
      if (attempt < 3 && error instanceof RelayUpstreamError && error.status === 504) return refresh(member, attempt + 1);
      throw error;
    }
  };
  for (const { userId, memberGuid } of members) {
    const job = await refresh({ user_id: userId, member_guid: memberGuid });
    await receiver.waitFor((event) => event.type === 'aggregation.succeeded' && event.data.job.id === job.id);
  }

  await sim('POST', '/_sim/faults', { error_rate: 1, status: 503 });
  const outageEnds = Date.now() + OUTAGE_MS;
  for (const { memberGuid } of members) await sim('POST', `/_sim/members/${memberGuid}/background_aggregation`, {});
  while (Date.now() < outageEnds) {
    expect(await deadLettered()).toEqual(NONE_DEAD_LETTERED);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
  await sim('POST', '/_sim/faults', {});

  const background = await receiver.waitFor(
    (event) => event.type === 'aggregation.succeeded' && event.data.job.trigger === 'mx_background',
    members.length,
    90_000,
  );
  expect(new Set(background.map((event) => event.data.job.member_guid))).toEqual(
    new Set(members.map((member) => member.memberGuid)),
  );
  expect(await deadLettered()).toEqual(NONE_DEAD_LETTERED);
}, 150_000);
