import { createServer } from 'node:http';
import { Webhook, WebhookVerificationError } from 'standardwebhooks';

/** The envelope of every nexus-relay event; `GET /openapi.json` describes each payload under `webhooks`. */
export interface NexusRelayEvent {
  type: string; // aggregation.started | .succeeded | .action_required | .failed | .timed_out | .rejected, webhook.test
  timestamp: string;
  data: {
    job?: { id: string; user_id: string; member_guid: string; status: string; challenges?: { guid: string; label: string }[] };
    member?: { guid: string; connection_status?: string };
  };
}

/**
 * An endpoint for nexus-relay's webhooks. `secret` is the `whsec_…` that `POST /webhooks` answered (once).
 * Answer 2xx within 10 s: anything else is retried later with the same `webhook-id` (410 disables the subscription).
 */
export function createWebhookReceiver(secret: string, onEvent: (event: NexusRelayEvent, id: string) => Promise<void>) {
  const webhook = new Webhook(secret);
  const seen = new Set<string>(); // `webhook-id` is stable across retries and replays: keep it in a durable store
  return createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', async () => {
      const body = Buffer.concat(chunks).toString('utf8'); // verify the exact bytes received, before parsing them
      let event: NexusRelayEvent;
      try {
        // Checks `webhook-signature` (any of its v1 signatures: two during a secret rotation) over id, timestamp
        // and body, and that `webhook-timestamp` is within 5 minutes of now; then parses the body.
        event = webhook.verify(body, request.headers as Record<string, string>) as NexusRelayEvent;
      } catch (error) {
        response.writeHead(error instanceof WebhookVerificationError ? 401 : 400).end();
        return;
      }
      const id = request.headers['webhook-id'] as string;
      try {
        if (!seen.has(id)) await onEvent(event, id); // deliveries are not ordered: use event.timestamp and data.job
        seen.add(id);
        response.writeHead(204).end();
      } catch {
        response.writeHead(500).end(); // delivered again later
      }
    });
  });
}

// createWebhookReceiver(process.env.WEBHOOK_SECRET!, async (event) => console.log(event.type, event.data.job?.id)).listen(8080);
