import { createRelayClient, type RelayClient } from '@nexus-relay/client';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type LocalStack, SIMULATOR_WEBHOOK_CREDENTIALS, startLocalStack } from '../../infra/local/local-stack.ts';
import { simulatorControl } from '../support/simulator-control.ts';
import { startWebhookReceiver } from '../support/webhook-receiver.ts';

/**
 * One dead endpoint costs only its own deliveries (issue 56's acceptance): a healthy app receives the terminal events
 * of a burst of refreshes about as fast beside a subscription whose endpoint takes connections and never answers as it
 * does alone, and the dead endpoint's deliveries are kept and reach it once it answers again.
 */
const BURST = 20;

let stack: LocalStack;
let relay: RelayClient;
let healthy: Awaited<ReturnType<typeof startWebhookReceiver>>;
let dead: Awaited<ReturnType<typeof startWebhookReceiver>>;
const { sim, simMember } = simulatorControl(() => stack.simulatorUrl);

beforeAll(async () => {
  [healthy, dead] = await Promise.all([startWebhookReceiver(), startWebhookReceiver()]);
  stack = await startLocalStack({ port: 0, simPort: 0, env: { LOG_LEVEL: 'ERROR' } });
  relay = createRelayClient({ baseUrl: stack.url, apiKey: stack.apiKey });
  const { MX_WEBHOOK_USERNAME: username, MX_WEBHOOK_PASSWORD: password } = SIMULATOR_WEBHOOK_CREDENTIALS;
  await sim('POST', '/_sim/webhooks', { url: `${stack.url}/mx/webhooks`, username, password });
  healthy.useSecret((await relay.webhooks.create({ url: healthy.url, event_types: ['aggregation.*'] })).secret);
}, 60_000);

afterAll(async () => {
  await stack?.stop();
  await Promise.all([healthy?.close(), dead?.close()]);
});

/** Refreshes `BURST` members at once; answers their job ids and the time until `healthy` had each job's end. */
async function burst(members: { userId: string; memberGuid: string }[]) {
  const started = performance.now();
  const jobs = await Promise.all(
    members.map(({ userId, memberGuid }) => relay.members.refresh({ user_id: userId, member_guid: memberGuid })),
  );
  const ids = new Set(jobs.map((job) => job.id));
  await healthy.waitFor((event) => event.type === 'aggregation.succeeded' && ids.has(event.data.job.id), BURST, 60_000);
  return { ids, ms: performance.now() - started };
}

it('a healthy endpoint is not slowed by a dead one beside it; the dead one gets every event once it answers', async () => {
  const members = await Promise.all(
    Array.from({ length: BURST }, () => simMember({ duration_ms: 300, final_status: 'CONNECTED' }, ['PFM'])),
  );
  const alone = await burst(members);

  // A second subscription whose endpoint takes each request and never answers, until it is revived.
  const hung: (() => void)[] = [];
  let answering = false;
  dead.respondWith(() => (answering ? 204 : new Promise<number>((resolve) => hung.push(() => resolve(204)))));
  dead.useSecret((await relay.webhooks.create({ url: dead.url, event_types: ['aggregation.*'] })).secret);
  const beside = await burst(members);

  console.info(
    `webhook isolation: ${BURST} refreshes' ends reached the healthy endpoint in ${Math.round(alone.ms)} ms alone, ` +
      `${Math.round(beside.ms)} ms beside a dead endpoint`,
  );
  expect(beside.ms).toBeLessThanOrEqual(Math.max(2 * alone.ms, alone.ms + 5_000));

  // Revived: every event of the second burst reaches it, without a replay.
  answering = true;
  for (const answer of hung.splice(0)) answer();
  const forDead = healthy.events.filter((event) => beside.ids.has(event.data.job.id)).map((event) => event.id);
  await dead.waitFor((event) => beside.ids.has(event.data.job.id) && event.type === 'aggregation.succeeded', BURST, 120_000);
  await expect
    .poll(() => new Set(forDead.filter((id) => dead.events.some((event) => event.id === id))).size, { timeout: 120_000 })
    .toBe(new Set(forDead).size);
}, 300_000);
