import { createServer } from 'node:http';
import { type RelayEvent, verifyWebhook, WebhookVerificationError } from '@nexus-relay/client';

/**
 * A nexus-relay webhook endpoint on node:http. `secrets`: the `whsec_…` that `POST /webhooks` answered (once); during
 * a rotation, the new and the old. Answer 2xx within 10 s: anything else is retried with the same `webhook-id`.
 */
export function createWebhookReceiver(secrets: string[], onEvent: (event: RelayEvent, id: string) => Promise<void>) {
  const seen = new Set<string>(); // `webhook-id` is stable across retries and replays: keep it in a durable store
  return createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', async () => {
      let verified;
      try {
        // The exact bytes received (not a re-serialised parse), a v1 signature by one of `secrets`, a timestamp
        // within 5 minutes of now.
        verified = verifyWebhook(Buffer.concat(chunks), request.headers, secrets);
      } catch (error) {
        response.writeHead(error instanceof WebhookVerificationError ? 401 : 400).end();
        return;
      }
      try {
        if (!seen.has(verified.id)) await onEvent(verified.event, verified.id); // not ordered: use event.timestamp
        seen.add(verified.id);
        response.writeHead(204).end();
      } catch {
        response.writeHead(500).end(); // delivered again later
      }
    });
  });
}

// createWebhookReceiver([process.env.WEBHOOK_SECRET!], async (event) => console.log(event.type)).listen(8080);
