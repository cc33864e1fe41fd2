import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createRelayClient, type WebhookWithSecret } from '@nexus-relay/client';
import { readStackFile, stackFilePath } from '../infra/local/stack-file.ts';
import { startVerifyingReceiver, type VerifiedEvent } from './support/verifying-receiver.ts';

const USAGE = `usage: npm run receiver [-- --port <n>]
  A webhook receiver for the running local stack (npm start; or NEXUS_RELAY_URL and NEXUS_RELAY_API_KEY): it
  subscribes itself, verifies every delivery's signature, prints one line per event and answers 204. Ctrl-C removes
  the webhook.`;

/** One line per event: when, verified, type, job, member, status. */
export function eventLine(event: VerifiedEvent, at = new Date()): string {
  const data = event.data as VerifiedEvent['data'] & { member_guid?: string; job_id?: string };
  const job = data.job?.id ?? data.job_id ?? '-';
  const member = data.job?.member_guid ?? data.member?.guid ?? data.member_guid ?? '-';
  const status = data.job ? `${data.job.status}${data.job.connection_status ? ` (${data.job.connection_status})` : ''}` : '-';
  return `${at.toISOString().slice(11, 19)}  ✓ verified  ${event.type.padEnd(36)} ${job}  ${member}  ${status}`;
}

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { port: { type: 'string' }, help: { type: 'boolean' } }, strict: true });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const port = values.port === undefined ? 0 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    console.error(`--port must be a port number (0 = any free port)\n${USAGE}`);
    return 2;
  }
  const stack = readStackFile(stackFilePath(process.env));
  const url = process.env.NEXUS_RELAY_URL ?? stack?.url;
  const apiKey = process.env.NEXUS_RELAY_API_KEY ?? stack?.apiKey;
  if (!url || !apiKey) {
    console.error(
      'No running nexus-relay stack found: start `npm start` in another terminal (or set NEXUS_RELAY_URL and NEXUS_RELAY_API_KEY).',
    );
    return 2;
  }

  const receiver = await startVerifyingReceiver(
    (event) => console.log(eventLine(event)),
    (reason) => console.log(`${new Date().toISOString().slice(11, 19)}  ✗ refused   ${reason}`),
    port,
  );
  const relay = createRelayClient({ baseUrl: url, apiKey });
  let webhook: WebhookWithSecret;
  try {
    webhook = await relay.webhooks.create({ url: receiver.url, description: 'npm run receiver' });
  } catch (error) {
    console.error(`Could not subscribe ${receiver.url} at ${url}: ${(error as Error).message}`);
    await receiver.close();
    return 1;
  }
  receiver.useSecret(webhook.secret);
  console.log(`receiver ${receiver.url} subscribed to ${url} as ${webhook.id}; every delivery is verified (Ctrl-C stops)`);

  await new Promise<void>((resolve) => {
    // Caught for good, not once: Ctrl-C signals the whole process group and npm forwards it too, so it may arrive
    // twice, and a second one left to Node's default would end the process before the webhook is deleted.
    for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => resolve());
  });
  const deleted = await relay.webhooks.delete(webhook.id).then(
    () => true,
    () => false,
  );
  console.log(deleted ? `webhook ${webhook.id} deleted` : `could not delete webhook ${webhook.id}`);
  await receiver.close();
  return 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  process.exitCode = await main();
}
