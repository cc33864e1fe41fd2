import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { createRelayClient, type Job, type RelayClient } from '@nexus-relay/client';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalStack, startLocalStack } from '../../infra/local/local-stack.ts';
import { generateApiKey } from '../../lib/api-keys.ts';
import { createDocumentClient } from '../../lib/aws/dynamodb-client.ts';
import { PROBLEMS } from '../../lib/http/problem.ts';
import { keys } from '../../lib/store/table.ts';
import { ApiKeysRepository } from '../../lib/store/api-keys-repo.ts';
import { launchChromium } from '../support/browser.ts';
import { startWebhookReceiver } from '../support/webhook-receiver.ts';
import { catalogueGuid } from '../../sim/institutions.ts';

/**
 * The operator console in real Chromium against the local stack: sign-in, a job followed live, a user's members and
 * which need the user, a webhook's delivery log and Replay, a user-bound key, and no page error or
 * Content-Security-Policy violation anywhere.
 * `UPDATE_SCREENSHOTS=1 npx vitest run test/browser` writes the screenshots in docs/ (console.png, the README's;
 * console-members.png, console-job-mfa.png and console-webhook.png, docs/operations.md's).
 */
// Names of the browser's globals, for the functions that run in the page (page.evaluate, addInitScript).
declare const window: Record<string, unknown>;
declare const document: {
  activeElement: { id: string } | null;
  documentElement: { scrollWidth: number };
  addEventListener: Function;
};
declare const sessionStorage: { length: number; key(index: number): string | null };
declare function getComputedStyle(element: unknown): { outlineStyle: string };

let stack: LocalStack;
let relay: RelayClient;
let browser: Browser;
let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;
let webhookId: string;
const problems: string[] = [];

beforeAll(async () => {
  receiver = await startWebhookReceiver();
  stack = await startLocalStack({ port: 0, simPort: 0, env: { LOG_LEVEL: 'ERROR' } });
  relay = createRelayClient({ baseUrl: stack.url, apiKey: stack.apiKey });
  const webhook = await relay.webhooks.create({ url: receiver.url, description: 'browser test' });
  webhookId = webhook.id;
  receiver.useSecret(webhook.secret);
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
  await receiver?.close();
});

/** A page that records every page error, console error and CSP violation into `problems`. */
async function openConsole(viewport = { width: 1200, height: 900 }, at = '/console#/jobs'): Promise<Page> {
  const page = await browser.newPage({ viewport });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error' && !/status of 4\d\d/.test(message.text())) problems.push(`console: ${message.text()}`);
  });
  await page.addInitScript(() => {
    const violations: string[] = [];
    window.violations = violations;
    document.addEventListener('securitypolicyviolation', (event: { violatedDirective: string; blockedURI: string }) =>
      violations.push(`${event.violatedDirective} ${event.blockedURI}`),
    );
  });
  await page.goto(`${stack.url}${at}`);
  return page;
}

async function violationsOf(page: Page): Promise<string[]> {
  return page.evaluate(() => (window.violations as string[] | undefined) ?? []);
}

async function signIn(page: Page, key: string) {
  await page.getByLabel('API key').fill(key);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('navigation', { name: 'Console' }).waitFor();
}

/** A key bound to `userId`, stored as `nexus-relay keys create --user` stores it. */
async function boundKey(name: string, userId: string): Promise<ReturnType<typeof generateApiKey>> {
  const key = generateApiKey();
  const client = createDocumentClient({ region: stack.engines.region, dynamoDbEndpoint: stack.engines.dynamoDbEndpoint });
  await new ApiKeysRepository({ client, tableName: stack.engines.tableName }).put({
    hash: key.hash,
    prefix: key.prefix,
    name,
    userId,
    createdAt: new Date().toISOString(),
  });
  client.destroy();
  return key;
}

/** A member at the simulator whose aggregations take `durationMs` and end in `aggregation.final_status`. */
async function simMember(
  userId: string,
  durationMs: number,
  options: { name?: string; final_status?: string; challenge?: { label: string; answer: string } } = {},
): Promise<string> {
  const { name, ...script } = options;
  const response = await fetch(`${stack.simulatorUrl}/_sim/members`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      user_id: userId,
      ...(name === undefined ? {} : { name }),
      aggregation: { duration_ms: durationMs, final_status: 'CONNECTED', ...script },
    }),
  });
  return ((await response.json()) as { member: { guid: string } }).member.guid;
}

describe('GET /console', () => {
  it('answers the page as text/html under a strict Content-Security-Policy, with no key or secret in it', async () => {
    const response = await fetch(`${stack.url}/console`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const policy = response.headers.get('content-security-policy')!;
    expect(policy).toContain("default-src 'self'");
    expect(policy).toContain("script-src 'self'");
    expect(policy).not.toContain('unsafe-inline');
    const page = await response.text();
    expect(page).not.toContain(stack.apiKey);
    expect(page).not.toMatch(/nxr_|whsec_|<script>|style=/);
  });
});

describe('the console in Chromium', () => {
  it('a wrong API key shows the problem’s title and is not stored', async () => {
    const page = await openConsole();
    await signInExpectingRefusal(page, 'nxr_not-a-key-not-a-key-not-a-key-not-a-key');
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
    expect(await violationsOf(page)).toEqual([]);
    await page.close();
  });

  it('follows a job from aggregating to succeeded without a reload, with its timeline of webhook deliveries', async () => {
    const page = await openConsole();
    await signIn(page, stack.apiKey);
    // The key is in sessionStorage, nowhere in the URL.
    expect(await page.evaluate(() => [sessionStorage.length, sessionStorage.key(0)])).toEqual([1, 'nexus-relay.console.api-key']);
    expect(page.url()).not.toContain(stack.apiKey);

    const userId = `console-${randomUUID().slice(0, 8)}`;
    const member = await simMember(userId, 8_000);
    await page.getByLabel('User id').fill(userId);
    await page.getByRole('button', { name: 'Show' }).click();
    await page.getByText(`No jobs for ${userId}.`).waitFor();
    await page.evaluate(() => void (window.marker = 'same page'));

    const job = await relay.members.refresh({ user_id: userId, member_guid: member });
    const row = page.locator(`tr[data-job="${job.id}"]`);
    await expect.poll(() => row.locator('.status').textContent(), { timeout: 15_000 }).toBe('aggregating');
    await expect.poll(() => row.locator('.status').textContent(), { timeout: 20_000 }).toBe('succeeded');
    expect(await page.evaluate(() => window.marker)).toBe('same page');

    // Each job says its kind (MX's aggregation here; a verification, identification or extended history otherwise).
    expect(await row.locator('td').nth(3).innerText()).toBe('aggregation');
    await row.getByRole('link', { name: job.id }).click();
    expect(await page.locator('dt:has-text("Kind") + dd').innerText()).toBe('aggregation');
    const timeline = page.locator('ol.timeline');
    await expect.poll(() => timeline.innerText(), { timeout: 15_000 }).toContain('aggregation.succeeded');
    expect(await timeline.innerText()).toContain('aggregation.started');
    expect(await violationsOf(page)).toEqual([]);
    await page.close();
  }, 60_000);

  it('shows a user’s members with their connection status and which need the user; Refresh opens the new job', async () => {
    const userId = `console-${randomUUID().slice(0, 8)}`;
    const connected = await simMember(userId, 300, { name: 'Steady Bank' });
    const denied = await simMember(userId, 300, { name: 'Denied Bank', final_status: 'DENIED' });
    const challenged = await simMember(userId, 300, {
      name: 'Asking Bank',
      final_status: 'CHALLENGED',
      challenge: { label: 'Favourite colour?', answer: 'blue' },
    });
    const ended = await Promise.all(
      [connected, denied, challenged].map(async (member) =>
        relay.waitForJob(await relay.members.refresh({ user_id: userId, member_guid: member })),
      ),
    );
    expect(ended.map((job) => job.status)).toEqual(['succeeded', 'action_required', 'action_required']);

    const page = await openConsole();
    await signIn(page, stack.apiKey);
    // Reached from the jobs view of the user.
    await page.getByLabel('User id').fill(userId);
    await page.getByRole('button', { name: 'Show' }).click();
    await page.getByRole('link', { name: `Members of ${userId}` }).click();
    await page.getByRole('heading', { name: `Members of ${userId}` }).waitFor();
    expect(page.url()).toContain(`#/users/${userId}/members`);

    const row = (guid: string) => page.locator(`tr[data-member="${guid}"]`);
    await row(connected).waitFor();
    const steady = await row(connected).innerText();
    expect(steady).toContain('Steady Bank');
    expect(steady).toContain('mxbank');
    expect(steady).toContain('CONNECTED');
    expect(steady).not.toContain('Needs the user');
    // Both aggregation times, in UTC and saying so.
    expect(steady).toMatch(/\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC[\s\S]*last success: \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC/);
    const deniedText = await row(denied).innerText();
    expect(deniedText).toContain('DENIED');
    expect(deniedText).toContain('Needs the user');
    expect(deniedText).toContain('The user reconnects in the Connect widget');
    expect(deniedText).toContain('last success: never');
    const challengedText = await row(challenged).innerText();
    expect(challengedText).toContain('CHALLENGED');
    expect(challengedText).toContain('Needs the user');
    expect(challengedText).toContain('MFA');

    // A member's jobs: the jobs view of the user, of that member only.
    await row(denied)
      .getByRole('link', { name: `Jobs of ${denied}` })
      .click();
    await page.locator(`tr[data-job="${ended[1]!.id}"]`).waitFor();
    expect(await page.locator('tr[data-job]').count()).toBe(1);
    await page.goBack();

    // Refresh starts an aggregation and opens its job.
    await row(connected)
      .getByRole('button', { name: `Refresh ${connected}` })
      .click();
    await page.getByRole('heading', { name: /^Job / }).waitFor();
    const jobId = decodeURIComponent(new URL(page.url()).hash.replace('#/jobs/', ''));
    expect(jobId).not.toBe(ended[0]!.id);
    expect(await relay.jobs.get(jobId)).toMatchObject({ user_id: userId, member_guid: connected });
    expect(await page.locator('dl.fields').innerText()).toContain(connected);

    // A user without members.
    await page.goto(`${stack.url}/console#/users/${userId}-none/members`);
    await page.getByText(`No members yet for ${userId}-none`).waitFor();
    expect(await violationsOf(page)).toEqual([]);
    await page.close();
  }, 60_000);

  it('re-authorises an OAuth member: a one-time window the user opens at the bank', async () => {
    const userId = `console-${randomUUID().slice(0, 8)}`;
    const { member } = await relay.members.create(userId, {
      institution_guid: catalogueGuid('mx_bank_oauth'),
      is_oauth: true,
      use_cases: ['PFM'],
    });
    const page = await openConsole();
    await signIn(page, stack.apiKey);
    await page.goto(`${stack.url}/console#/users/${userId}/members`);
    await page.getByRole('button', { name: `Re-authorise ${member.guid}` }).click();
    const link = page.locator('.oauth-window a');
    await link.waitFor();
    const url = (await link.getAttribute('href'))!;
    expect(url).toMatch(/\/_sim\/oauth\/\S{20,}$/);
    // The bank's page, as the user would see it.
    expect(await (await fetch(url)).text()).toContain('Authorize');
    // Members that are not OAuth have no such button.
    expect(await page.getByRole('button', { name: /^Re-authorise/ }).count()).toBe(1);
    expect(await violationsOf(page)).toEqual([]);
    await page.close();
  }, 60_000);

  it('pages a user’s members as MX does, 25 at a time', async () => {
    const userId = `console-${randomUUID().slice(0, 8)}`;
    for (let index = 0; index < 27; index++) await simMember(userId, 300, { name: `Bank ${index + 1}` });
    const page = await openConsole();
    await signIn(page, stack.apiKey);
    await page.goto(`${stack.url}/console#/users/${userId}/members`);
    await page.getByText('25 of 27 members.').waitFor();
    expect(await page.locator('tr[data-member]').count()).toBe(25);
    await page.getByRole('button', { name: 'More members' }).click();
    await expect.poll(() => page.locator('tr[data-member]').count()).toBe(27);
    expect(await page.getByRole('button', { name: 'More members' }).count()).toBe(0);
    expect(await violationsOf(page)).toEqual([]);
    await page.close();
  });

  it('opens a webhook and replays a delivery: the receiver gets it again under its original webhook-id', async () => {
    const userId = `console-${randomUUID().slice(0, 8)}`;
    const job = await relay.waitForJob(
      await relay.members.refresh({ user_id: userId, member_guid: await simMember(userId, 500) }),
    );
    const [delivered] = await receiver.waitFor(
      (event) => event.data.job?.id === job.id && event.type === 'aggregation.succeeded',
    );

    const page = await openConsole();
    await signIn(page, stack.apiKey);
    await page.getByRole('link', { name: 'Webhooks' }).click();
    const row = page.locator(`tr[data-webhook="${webhookId}"]`);
    await row.waitFor();
    expect(await row.innerText()).toContain('enabled');
    await row.getByRole('link', { name: webhookId }).click();

    const entry = page.locator(`li[data-msg-id="${delivered!.id}"]`);
    await entry.waitFor();
    expect(await entry.innerText()).toMatch(/delivered/);
    expect(await entry.locator('table.attempts tbody tr').count()).toBeGreaterThan(0);
    await entry.getByRole('button', { name: `Replay ${delivered!.id}` }).click();
    await page.getByRole('status').filter({ hasText: 'queued again' }).waitFor();
    const copies = await receiver.waitFor((event) => event.id === delivered!.id, 2);
    expect(copies.map((copy) => [copy.id, copy.type, copy.verified])).toEqual([
      [delivered!.id, 'aggregation.succeeded', true],
      [delivered!.id, 'aggregation.succeeded', true],
    ]);
    // Pending while queued again, then delivered, without a reload: its attempts grow to two.
    await entry.locator('table.attempts tbody tr').nth(1).waitFor({ timeout: 15_000 });
    await page.waitForFunction(
      (msgId) =>
        !(document as unknown as { querySelector(s: string): { textContent: string } | null })
          .querySelector(`li[data-msg-id="${msgId}"] .delivery-head`)
          ?.textContent.includes('pending'),
      delivered!.id,
      { timeout: 15_000 },
    );
    // A range from a minute ago, no end: up to now, as the CLI's replay does.
    const minuteAgo = new Date(Date.now() - 60_000).toISOString().slice(0, 19);
    await page.getByLabel('Replay from (UTC)').fill(minuteAgo);
    await page.getByRole('button', { name: 'Replay range' }).click();
    await page
      .getByRole('status')
      .filter({ hasText: /\d+ deliveries queued again/ })
      .waitFor();
    expect(await receiver.waitFor((event) => event.id === delivered!.id, 3)).toHaveLength(3);
    expect(await violationsOf(page)).toEqual([]);
    await page.close();
  }, 60_000);

  it('shows a webhook whose endpoint refuses every attempt as failing: since when, the next attempt, its last answer', async () => {
    const refusing = await startWebhookReceiver();
    // Every event verified, and refused all the same (as an app with a bug in its handler would).
    refusing.respondWith(() => 400);
    const webhook = await relay.webhooks.create({ url: refusing.url, description: 'refuses everything' });
    refusing.useSecret(webhook.secret);
    try {
      const userId = `console-${randomUUID().slice(0, 8)}`;
      await relay.members.refresh({ user_id: userId, member_guid: await simMember(userId, 200) });
      await refusing.waitFor(() => true);
      for (let look = 0; !(await relay.webhooks.get(webhook.id)).failing_since; look++) {
        expect(look, 'failing_since set after a refused attempt').toBeLessThan(100);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }

      const page = await openConsole();
      await signIn(page, stack.apiKey);
      await page.getByRole('link', { name: 'Webhooks' }).click();
      const row = page.locator(`tr[data-webhook="${webhook.id}"]`);
      await row.waitFor();
      const text = await row.innerText();
      expect(text).toMatch(/failing\s+since \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC/);
      expect(text).toMatch(/next attempt \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC/);
      expect(text).toContain('HTTP 400');
      expect(text).toMatch(/0 %\s+of \d+ attempts/);
      expect(await violationsOf(page)).toEqual([]);
      // Its own page says the same: failing, not a green `enabled`.
      await row.getByRole('link', { name: webhook.id }).click();
      const status = page.locator('dt:has-text("Status") + dd');
      await status.waitFor();
      expect(await status.innerText()).toMatch(/^failing\s+since \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC/);

      expect(await page.locator('dt:has-text("Rate") + dd').innerText()).toBe('as fast as events come');
      await relay.webhooks.update(webhook.id, { max_deliveries_per_second: 5 });

      // Its breaker open (stored as the delivery worker stores it): the page says until when deliveries are held.
      const heldUntil = new Date(Date.now() + 10 * 60_000).toISOString();
      const table = createDocumentClient(stack.engines);
      await table.send(
        new UpdateCommand({
          TableName: stack.engines.tableName,
          Key: keys.webhook(webhook.id),
          UpdateExpression: 'SET breaker_open_until = :until, breaker_opens = :one',
          ExpressionAttributeValues: { ':until': heldUntil, ':one': 1 },
        }),
      );
      table.destroy();
      expect((await relay.webhooks.get(webhook.id)).breaker).toEqual({ state: 'open', held_until: heldUntil });
      await page.reload();
      await status.waitFor();
      expect(await status.innerText()).toMatch(
        new RegExp(`^failing\\s+since .* UTC; deliveries held until ${heldUntil.slice(0, 10)} ${heldUntil.slice(11, 19)} UTC`),
      );
      expect(await page.locator('dt:has-text("Rate") + dd').innerText()).toBe('at most 5 a second');
      await page.close();
    } finally {
      await relay.webhooks.delete(webhook.id);
      await refusing.close();
    }
  });

  it('the overview shows, without a user id, a failed job and one waiting for MFA from two users, MX’s question, a member needing its user, a chart of real deliveries, and passes axe', async () => {
    const [failingUser, mfaUser, expiredUser] = [1, 2, 3].map(() => `console-${randomUUID().slice(0, 8)}`) as [
      string,
      string,
      string,
    ];
    const expiredMember = await simMember(expiredUser, 300, { final_status: 'EXPIRED' });
    const [failed, waiting] = await Promise.all([
      relay
        .waitForJob(
          await relay.members.refresh({
            user_id: failingUser,
            member_guid: await simMember(failingUser, 300, { final_status: 'FAILED' }),
          }),
        )
        .then((job) => job),
      relay
        .waitForJob(
          await relay.members.refresh({
            user_id: mfaUser,
            member_guid: await simMember(mfaUser, 300, { challenge: { label: 'Name of your first pet?', answer: 'Rex' } }),
          }),
        )
        .then((job) => job),
      relay.waitForJob(await relay.members.refresh({ user_id: expiredUser, member_guid: expiredMember })),
    ]);
    expect([failed.status, waiting.status]).toEqual(['failed', 'action_required']);

    const page = await openConsole();
    await signIn(page, stack.apiKey);
    await page.getByRole('link', { name: 'Overview' }).click();
    const failedRow = page.locator(`tr[data-job="${failed.id}"]`);
    const waitingRow = page.locator(`tr[data-job="${waiting.id}"]`);
    await failedRow.waitFor();
    await waitingRow.waitFor();
    expect(await failedRow.innerText()).toContain(failingUser);
    expect(await failedRow.innerText()).toContain('failed');
    expect(await waitingRow.innerText()).toContain(mfaUser);
    expect(await waitingRow.innerText()).toContain('“Name of your first pet?”');
    expect(await waitingRow.innerText()).toContain('The user answers MX’s question');
    // A member whose credentials expired, listed by its recorded status with what its user does.
    const memberRow = page.locator(`tr[data-member="${expiredMember}"]`);
    await memberRow.waitFor();
    expect(await memberRow.innerText()).toContain(expiredUser);
    expect(await memberRow.innerText()).toContain('EXPIRED');
    expect(await memberRow.innerText()).toContain('The user reconnects in the Connect widget');
    // Each work queue with the dead letters waiting in it (none here), and how to read them.
    for (const queue of ['poll', 'delivery', 'refresh-requests']) {
      expect(await page.locator(`tr[data-queue="${queue}"]`).innerText()).toMatch(
        new RegExp(`${queue}\\s+0\\s+dlq list ${queue}`),
      );
    }
    // The chart of delivery attempts, drawn from the real deliveries of this file's refreshes.
    const caption = await page.locator('figure.attempts-chart figcaption').innerText();
    expect(Number(/(\d+) delivered/.exec(caption)?.[1])).toBeGreaterThan(0);
    const bars = await page
      .locator('figure.attempts-chart rect.delivered')
      .evaluateAll((rects) =>
        rects.map((rect) => Number((rect as unknown as { getAttribute(name: string): string | null }).getAttribute('height'))),
      );
    expect(bars.some((height) => height > 0)).toBe(true);
    // Jobs ended per hour by outcome, counted as worker-poll ended this test's jobs: one failed, two waiting for their user.
    const outcomes = await page.locator('figure.outcomes-chart figcaption').innerText();
    expect(Number(/(\d+) failed/.exec(outcomes)?.[1])).toBeGreaterThanOrEqual(1);
    expect(Number(/(\d+) ended waiting for their user/.exec(outcomes)?.[1])).toBeGreaterThanOrEqual(2);
    // Each webhook's success rate: this file's receiver verifies and answers 2xx to what it is sent.
    const rate = await page.locator(`li[data-rate="${webhookId}"]`).innerText();
    expect(Number(/(\d+) %/.exec(rate)?.[1])).toBeGreaterThan(0);
    expect(rate).toContain(receiver.url);
    await page.screenshot({ path: screenshotPath('console.png'), clip: { x: 0, y: 0, width: 1200, height: 700 } });
    await waitingRow.getByRole('link', { name: waiting.id }).click();
    await page.waitForURL(new RegExp(`#/jobs/${waiting.id}$`));

    // An automated accessibility check of the overview (axe-core, WCAG 2 A and AA rules), run in the page.
    await page.goBack();
    await failedRow.waitFor();
    await expectAccessible(page);
    expect(await violationsOf(page)).toEqual([]);
    await page.close();
  }, 60_000);

  it('a user-bound key sees its own user’s jobs and members, and another user’s as the API’s refusal', async () => {
    const own = `console-${randomUUID().slice(0, 8)}`;
    const job = await relay.members.refresh({ user_id: own, member_guid: await simMember(own, 500) });
    const key = await boundKey('bound', own);

    const page = await openConsole();
    await signIn(page, key.key);
    expect(await page.getByText('user-bound key').count()).toBe(1);
    // It opens at its own user's jobs (GET /api_keys/current names the user).
    await page.locator(`tr[data-job="${job.id}"]`).waitFor();
    expect(page.url()).toContain(`#/jobs?user=${own}`);
    expect(await createRelayClient({ baseUrl: stack.url, apiKey: key.key }).apiKeys.current()).toEqual({
      name: 'bound',
      user_id: own,
    });
    expect(await relay.apiKeys.current()).toMatchObject({ user_id: null });
    await page.getByLabel('User id').fill(own);
    await page.getByRole('button', { name: 'Show' }).click();
    await page.locator(`tr[data-job="${job.id}"]`).waitFor();
    await page.getByLabel('User id').fill('someone-else');
    await page.getByRole('button', { name: 'Show' }).click();
    const refusal = page.getByRole('alert');
    await refusal.waitFor();
    expect(await refusal.innerText()).toContain(PROBLEMS.forbidden.title);
    expect(await refusal.innerText()).toMatch(/request id: \S+/);
    expect(await page.locator(`tr[data-job="${job.id}"]`).count()).toBe(0);
    // The members of another user: the same refusal; its own: listed.
    await page.getByRole('link', { name: 'Members', exact: true }).click();
    await page.getByRole('heading', { name: 'Members of someone-else' }).waitFor();
    await page.getByRole('alert').filter({ hasText: PROBLEMS.forbidden.title }).waitFor();
    await page.getByLabel('User id').fill(own);
    await page.getByRole('button', { name: 'Show' }).click();
    await page.locator(`tr[data-member="${job.member_guid}"]`).waitFor();
    await page.getByRole('link', { name: 'Webhooks' }).click();
    await page.getByText('managed with a server key').waitFor();
    expect(await violationsOf(page)).toEqual([]);
    await page.close();
  });

  it('acts where it advises: lands on the overview, reconnects, answers MFA, refreshes a failed job, asks first (issue 59 #4)', async () => {
    // A browser opening the API's root lands on the console.
    const root = await fetch(`${stack.url}/`, { redirect: 'manual' });
    expect([root.status, root.headers.get('location')]).toEqual([302, '/console']);

    const userId = `console-${randomUUID().slice(0, 8)}`;
    const failing = await simMember(userId, 300, { name: 'Failing Bank', final_status: 'FAILED' });
    const denied = await simMember(userId, 300, { name: 'Denied Bank', final_status: 'DENIED' });
    const asking = await simMember(userId, 300, {
      name: 'Asking Bank',
      challenge: { label: 'Favourite colour?', answer: 'blue' },
    });
    const [failed, , challenged] = (await Promise.all(
      [failing, denied, asking].map(async (member) =>
        relay.waitForJob(await relay.members.refresh({ user_id: userId, member_guid: member })),
      ),
    )) as [Job, Job, Job];
    expect([failed.status, challenged.status]).toEqual(['failed', 'action_required']);

    const page = await openConsole(undefined, '/console');
    await signIn(page, stack.apiKey);
    await page.waitForURL(/#\/overview$/);
    // Skip link first: the keyboard goes past the navigation to the content (the key restored from the tab).
    await page.reload();
    await page.getByRole('navigation', { name: 'Console' }).waitFor();
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => (document.activeElement as unknown as { textContent: string }).textContent)).toBe(
      'Skip to content',
    );
    await page.keyboard.press('Enter');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('main');

    // Members: a FAILED badge in the failure colour; a DENIED member gets a Connect widget URL for its user.
    await page.goto(`${stack.url}/console#/users/${userId}/members`);
    const row = (guid: string) => page.locator(`tr[data-member="${guid}"]`);
    await row(failing).waitFor();
    expect(await row(failing).locator('.status').getAttribute('class')).toContain('bad');
    await row(denied)
      .getByRole('button', { name: `Reconnect ${denied}` })
      .click();
    const widget = row(denied).getByRole('link', { name: 'open the widget' });
    await widget.waitFor();
    expect(await widget.getAttribute('href')).toMatch(/\/_sim\/widgets\/\S+$/);
    await expectAccessible(page);
    await page.screenshot({ path: screenshotPath('console-members.png'), fullPage: true });

    // The CHALLENGED member's question is answered on its job; the timeline keeps the question.
    await row(asking)
      .getByRole('link', { name: `Answer MFA of ${asking}` })
      .click();
    await page.locator(`tr[data-job="${challenged.id}"]`).getByRole('link', { name: challenged.id }).click();
    await page.getByLabel('Favourite colour?').waitFor();
    await expectAccessible(page);
    await page.screenshot({ path: screenshotPath('console-job-mfa.png'), fullPage: true });
    await page.getByLabel('Favourite colour?').fill('blue');
    await page.getByRole('button', { name: 'Answer' }).click();
    await page.getByRole('status').filter({ hasText: 'Answered' }).waitFor();
    await expect.poll(() => page.locator('dd[aria-live] .status').textContent(), { timeout: 20_000 }).toBe('succeeded');
    const timeline = await page.locator('ol.timeline').innerText();
    expect(timeline).toContain('MX asked: Favourite colour?');
    expect(timeline).toContain('answered: Favourite colour?');

    // A failed job's page refreshes its member again, as the overview advises.
    await page.goto(`${stack.url}/console#/jobs/${failed.id}`);
    await page.getByRole('button', { name: 'Refresh again' }).click();
    await page.waitForURL((url) => url.hash.startsWith('#/jobs/') && !url.hash.endsWith(failed.id));
    expect((await relay.jobs.list({ user_id: userId }).toArray()).length).toBe(4);

    // Disabling and rotating ask first: dismissed, nothing changes.
    await page.goto(`${stack.url}/console#/webhooks`);
    const hook = page.locator(`tr[data-webhook="${webhookId}"]`);
    await hook.waitFor();
    page.once('dialog', (dialog) => void dialog.dismiss());
    await hook.getByRole('button', { name: 'Disable' }).click();
    page.once('dialog', (dialog) => void dialog.dismiss());
    await hook.getByRole('button', { name: 'Rotate secret' }).click();
    expect((await relay.webhooks.get(webhookId)).status).toBe('enabled');
    expect(await page.locator('code.secret').count()).toBe(0);
    // Notices are read out: their live region is there before any notice.
    expect(await page.locator('.notice[aria-live="polite"]').count()).toBe(1);

    // A webhook's replay range is in UTC, as every time shown.
    await page.goto(`${stack.url}/console#/webhooks/${webhookId}`);
    expect(await page.getByLabel('Replay from (UTC)').count()).toBe(1);
    await page.screenshot({ path: screenshotPath('console-webhook.png'), clip: { x: 0, y: 0, width: 1200, height: 600 } });
    expect(await violationsOf(page)).toEqual([]);
    await page.close();
  }, 90_000);

  it('asks once for a user its key may not read: a refusal is not polled', async () => {
    const key = await boundKey('bound-once', 'console-own-user');
    const page = await openConsole();
    let asked = 0;
    page.on('request', (request) => void (request.url().includes('/users/not-mine/') && asked++));
    await signIn(page, key.key);
    await page.getByLabel('User id').fill('not-mine');
    await page.getByRole('button', { name: 'Show' }).click();
    await page.getByRole('alert').waitFor();
    const refused = asked;
    expect(refused).toBeGreaterThan(0);
    // Longer than the polling's first waits (1 s, 1.5 s, 2.25 s): had it gone on, it would have asked again.
    await page.waitForTimeout(5_000);
    expect(asked).toBe(refused);
    await page.close();
  });

  it('is usable at 360 px wide and by keyboard (labels, visible focus)', async () => {
    const page = await openConsole({ width: 360, height: 780 });
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('api-key');
    const outline = await page.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle);
    expect(outline).not.toBe('none');
    await page.keyboard.type(stack.apiKey);
    await page.keyboard.press('Enter');
    await page.getByRole('navigation', { name: 'Console' }).waitFor();
    await page.getByLabel('User id').fill('sim-user-pfm');
    await page.getByLabel('User id').press('Enter');
    await page
      .getByText(/No jobs|Job/)
      .first()
      .waitFor();
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
    await page.screenshot({ path: join(mkdirTemp(), 'console-360.png'), fullPage: true });
    // The members of a seeded user, as cards.
    await page.getByRole('link', { name: 'Members', exact: true }).click();
    await page.locator('tr[data-member]').first().waitFor();
    expect(await page.locator('tr[data-member]').count()).toBe(2);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
    await page.screenshot({ path: join(mkdirTemp(), 'console-members-360.png'), fullPage: true });
    expect(await violationsOf(page)).toEqual([]);
    await page.close();
  });

  it('raised no page error and no console error in any of the above', () => {
    expect(problems).toEqual([]);
  });
});

/** axe-core's WCAG 2 A and AA rules, run in the page: rules passed (axe ran over it), and none failed. */
async function expectAccessible(page: Page): Promise<void> {
  await page.evaluate(readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8'));
  const checked = await page.evaluate(async () => {
    type Result = { id: string; nodes: unknown[] };
    const axe = (window as { axe?: { run(c: unknown, o: unknown): Promise<{ violations: Result[]; passes: Result[] }> } }).axe!;
    const result = await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa'] } });
    return {
      passes: result.passes.length,
      violations: result.violations.map((violation) => `${violation.id} (${violation.nodes.length})`),
    };
  });
  expect(checked.passes).toBeGreaterThan(5);
  expect(checked.violations).toEqual([]);
}

describe('the overview, live (issue 74 #4)', () => {
  it('shows a job running while it runs and gone once it ends, without Reload; its chart counts ends, not who waits now', async () => {
    const page = await openConsole(undefined, '/console#/overview');
    await signIn(page, stack.apiKey);
    const running = page.getByRole('heading', { name: /^Running now/ });
    await running.waitFor();
    const userId = `live-${randomUUID().slice(0, 8)}`;
    const job = await relay.members.refresh({ user_id: userId, member_guid: await simMember(userId, 6_000) });
    const row = page.locator(`tr[data-job="${job.id}"]`);
    await row.waitFor({ timeout: 20_000 });
    expect(await row.innerText()).toContain(userId);
    expect(await relay.waitForJob(job)).toMatchObject({ status: 'succeeded' });
    await row.waitFor({ state: 'detached', timeout: 20_000 });
    // What the chart counts is named as history: jobs that ended needing their user, whoever still needs them now.
    expect(await page.locator('figure.outcomes-chart figcaption').innerText()).not.toMatch(/\d+ waiting for their user/);
    expect(problems).toEqual([]);
    expect(await violationsOf(page)).toEqual([]);
    await page.close();
  }, 60_000);
});

async function signInExpectingRefusal(page: Page, key: string) {
  await page.getByLabel('API key').fill(key);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('alert').filter({ hasText: PROBLEMS.unauthorized.title }).waitFor();
  expect(await page.getByRole('alert').innerText()).toContain('request id');
}

/** docs/<name> with UPDATE_SCREENSHOTS=1 (README shows it), a temporary file otherwise. */
const screenshotPath = (name: string) =>
  process.env.UPDATE_SCREENSHOTS ? join(import.meta.dirname, '../../docs', name) : join(mkdirTemp(), name);

function mkdirTemp(): string {
  const directory = join(tmpdir(), `nexus-relay-console-${process.pid}`);
  mkdirSync(directory, { recursive: true });
  return directory;
}
