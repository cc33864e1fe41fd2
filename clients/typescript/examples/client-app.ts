import { createRelayClient, verifyWebhook, type IncomingHeaders } from '@nexus-relay/client';

export async function clientApp(env: { url: string; apiKey: string; userId: string; memberGuid: string }) {
  const relay = createRelayClient({ baseUrl: env.url, apiKey: env.apiKey });

  // Refresh the member and wait until the aggregation ends (MFA: members.resume with the job's challenges).
  const job = await relay.waitForJob(await relay.members.refresh({ user_id: env.userId, member_guid: env.memberGuid }));
  if (job.status !== 'succeeded') throw new Error(`aggregation ${job.status} (${job.connection_status})`);

  // Read what it brought in: every account, across MX's pages.
  const accounts = await relay.accounts.list({ user_id: env.userId }).toArray();
  return { job, accounts };
}

/** In the webhook endpoint: verify the raw body with the webhook's secret(s), then act on the typed event. */
export const onDelivery = (rawBody: string, headers: IncomingHeaders, secrets: string[]) =>
  verifyWebhook(rawBody, headers, secrets).event;
