import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createRelayClient, type RelayClient, type RelayEvent } from '@nexus-relay/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientApp } from '../../clients/typescript/examples/client-app.ts';
import { createWebhookReceiver } from '../../clients/typescript/examples/node-http.ts';
import { type LocalStack, startLocalStack } from '../../infra/local/local-stack.ts';
import { type InstalledKit, packAndInstallKit } from '../support/packed-client-kit.ts';

/**
 * The client kit's examples against the real local stack: README's client app (refresh, wait, read) on a seeded
 * simulator user, and the node:http receiver example taking the relay's real deliveries, verified with the kit. Then
 * the kit as it ships: `npm pack`, installed into an empty project, imported by a plain `.mjs` run by plain `node`.
 */
let stack: LocalStack;
let relay: RelayClient;
const received: { event: RelayEvent; id: string }[] = [];
let receiver: ReturnType<typeof createWebhookReceiver> | undefined;
let packed: Promise<InstalledKit>;

beforeAll(async () => {
  // Packing and installing take seconds of their own: they run while the stack starts.
  packed = packAndInstallKit();
  packed.catch(() => {}); // awaited (and so reported) by its test; never unhandled should the stack fail first
  stack = await startLocalStack({ port: 0, simPort: 0, env: { LOG_LEVEL: 'ERROR' } });
  relay = createRelayClient({ baseUrl: stack.url, apiKey: stack.apiKey });
}, 60_000);

afterAll(async () => {
  receiver?.close();
  await stack?.stop();
  const kit = await packed?.catch(() => undefined);
  if (kit) await rm(kit.dir, { recursive: true, force: true });
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
    const webhook = await relay.webhooks.create({ url: `http://127.0.0.1:${port}/hooks`, event_types: ['aggregation.*'] });
    receiver = createWebhookReceiver([webhook.secret], async (event, id) => void received.push({ event, id }));
    await new Promise<void>((resolve) => receiver!.listen(port, '127.0.0.1', resolve));

    const user = 'sim-user-pfm';
    const members = await relay.members.list({ user_id: user }).toArray();
    const memberGuid = members[0]!.guid as string;
    const { job, accounts } = await clientApp({ url: stack.url, apiKey: stack.apiKey, userId: user, memberGuid });
    expect(job).toMatchObject({ status: 'succeeded', member_guid: memberGuid, connection_status: 'CONNECTED' });
    expect(accounts).toHaveLength(5);

    await expect
      .poll(
        () => received.filter(({ event }) => 'job' in event.data && event.data.job.id === job.id).map(({ event }) => event.type),
        {
          timeout: 20_000,
        },
      )
      .toEqual(['aggregation.started', 'aggregation.succeeded']);
    const deliveries = await relay.webhooks.deliveries(webhook.id).toArray();
    expect(deliveries.map((delivery) => delivery.msg_id).sort()).toEqual(received.map(({ id }) => id).sort());
    await relay.webhooks.delete(webhook.id);
  });

  it('ships as ESM JavaScript with .d.ts: a plain Node app imports the packed tarball, installed offline, and calls the stack', async () => {
    const { app, files, manifest } = await packed;
    expect(files).toEqual(expect.arrayContaining(['package.json', 'README.md', 'dist/index.js', 'dist/index.d.ts']));
    expect(files.filter((file) => !/^dist\/.+\.(js|d\.ts)$/.test(file)).sort(), 'no sources, tests or maps').toEqual([
      'README.md',
      'package.json',
    ]);
    expect(manifest.exports).toEqual({ '.': { types: './dist/index.d.ts', default: './dist/index.js' } });
    expect(
      declarationSpecifiers(join(app, 'node_modules/@nexus-relay/client/dist')).filter((path) => path.endsWith('.ts')),
    ).toEqual([]);

    await writeFile(
      join(app, 'app.mjs'),
      `import { createRelayClient, RelayNotFoundError, verifyWebhook, WebhookVerificationError } from '@nexus-relay/client';

const relay = createRelayClient({ baseUrl: process.env.RELAY_URL, apiKey: process.env.RELAY_API_KEY });
const members = await relay.members.list({ user_id: 'sim-user-pfm' }).toArray();
const accounts = await relay.accounts.list({ user_id: 'sim-user-pfm' }).toArray();
const webhook = await relay.webhooks.create({ url: 'http://127.0.0.1:9/hooks', event_types: ['aggregation.*'] });
await relay.webhooks.delete(webhook.id);
const gone = await relay.webhooks.get(webhook.id).catch((error) => error);
const headers = { 'webhook-id': 'msg_1', 'webhook-timestamp': String(Math.floor(Date.now() / 1000)), 'webhook-signature': 'v1,AAAA' };
const forged = (() => {
  try {
    verifyWebhook('{}', headers, webhook.secret);
  } catch (error) {
    return error instanceof WebhookVerificationError ? error.code : String(error);
  }
})();
console.log(JSON.stringify({ members: members.length, accounts: accounts.length, gone: gone instanceof RelayNotFoundError ? gone.code : String(gone), forged }));
`,
    );
    const { stdout } = await promisify(execFile)(process.execPath, ['app.mjs'], {
      cwd: app,
      env: { PATH: process.env.PATH, RELAY_URL: stack.url, RELAY_API_KEY: stack.apiKey },
    });
    expect(JSON.parse(stdout)).toEqual({ members: 2, accounts: 5, gone: 'not_found', forged: 'signature_mismatch' });
  });
});

/** The relative specifiers of the `.d.ts` files under `dir`. */
function declarationSpecifiers(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.d.ts'))
    .flatMap((file) => [...readFileSync(join(dir, file), 'utf8').matchAll(/from '(\.[^']+)'/g)].map((match) => match[1]!));
}
