import { createRelayClient, type RelayClient } from '@nexus-relay/client';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SIMULATOR_WEBHOOK_CREDENTIALS } from '../../infra/local/local-stack.ts';
import { launchChromium } from '../support/browser.ts';
import { startStackProcess, type StackProcess } from '../support/stack-process.ts';
import { startWebhookReceiver } from '../support/webhook-receiver.ts';

/**
 * The journey's first end, as a client app runs it against `npm start`: a widget URL from the relay, the simulator's Connect page in
 * Chromium (pick MX Bank, enter credentials, connect), MX's `mx/connect/memberConnected` message to the app, and the
 * member's aggregation followed through the relay to a verifying webhook receiver — found by the relay itself, from
 * MX's AGGREGATION webhook, as an aggregation MX started (`trigger: mx`): the app sends nothing but the widget URL.
 */
declare const window: { addEventListener: Function; connectMessages: unknown[] };

let stack: StackProcess;
let relay: RelayClient;
let browser: Browser;
let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;

beforeAll(async () => {
  receiver = await startWebhookReceiver();
  stack = await startStackProcess({ LOG_LEVEL: 'ERROR' });
  relay = createRelayClient({ baseUrl: stack.url, apiKey: stack.apiKey });
  const webhook = await relay.webhooks.create({ url: receiver.url, description: 'connect journey' });
  receiver.useSecret(webhook.secret);
  // MX's webhooks to the relay, as a deployment configures them with MX.
  const { MX_WEBHOOK_USERNAME: username, MX_WEBHOOK_PASSWORD: password } = SIMULATOR_WEBHOOK_CREDENTIALS;
  const pushing = await fetch(`${stack.simulatorUrl}/_sim/webhooks`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ url: `${stack.url}/mx/webhooks`, username, password }),
  });
  expect(pushing.status).toBe(200);
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await stack?.interrupt();
  await receiver?.close();
});

describe('connect a bank through the relay', () => {
  it('widget URL → Connect page → memberConnected → the aggregation reaches the receiver', async () => {
    const userId = 'connect-journey-user';
    const { url } = await relay.users.widgetUrl(userId, { widget_type: 'connect_widget', use_cases: ['PFM'] });

    // The app's page frames the widget and listens for MX's messages, as MX's docs have it.
    const page = await browser.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));
    await page.setContent(`<iframe id="connect" src="${url}" style="width:480px;height:640px"></iframe>`);
    await page.evaluate(() => {
      window.connectMessages = [];
      window.addEventListener('message', (event: { data: unknown }) => window.connectMessages.push(event.data));
    });
    const widget = page.frameLocator('#connect');
    await widget.getByLabel('Find your institution').fill('mx');
    await widget.getByRole('button', { name: 'MX Bank', exact: true }).click();
    await widget.getByLabel('Username').fill('jane');
    await widget.getByLabel('Password').fill('correct horse');
    await widget.getByRole('button', { name: 'Connect' }).click();
    await widget.getByRole('heading', { name: 'Connected' }).waitFor();

    const connected = (
      await page.waitForFunction(() =>
        window.connectMessages.find((message) => (message as { type: string }).type === 'mx/connect/memberConnected'),
      )
    ).jsonValue() as Promise<{ metadata: { member_guid: string; user_guid: string } }>;
    const { member_guid } = (await connected).metadata;
    expect(member_guid).toMatch(/^MBR-/);

    const [ended] = await receiver.waitFor(
      (event) => event.type === 'aggregation.succeeded' && event.data.job?.member_guid === member_guid,
    );
    expect(ended!.verified).toBe(true);
    expect(ended!.data.job).toMatchObject({ user_id: userId, trigger: 'mx', mx_aggregated: true });
    expect(ended!.data.member).toMatchObject({ guid: member_guid, connection_status: 'CONNECTED' });

    // The URL worked once.
    const again = await page.goto(url);
    expect(again?.status()).toBe(410);
    expect(pageErrors).toEqual([]);
    await page.close();
  });
});
