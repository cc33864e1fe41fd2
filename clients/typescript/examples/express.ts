import express from 'express';
import { type RelayEvent, verifyWebhook, WebhookVerificationError } from '@nexus-relay/client';

/**
 * A nexus-relay webhook endpoint on Express. The route takes the raw body (`express.raw`): a body parsed by
 * `express.json()` and serialised again is not the bytes that were signed, and would not verify.
 */
export function webhookApp(secrets: string[], onEvent: (event: RelayEvent, id: string) => Promise<void>) {
  const app = express();
  app.post('/hooks', express.raw({ type: 'application/json' }), async (request, response) => {
    let verified;
    try {
      verified = verifyWebhook(request.body as Buffer, request.headers, secrets);
    } catch (error) {
      response.sendStatus(error instanceof WebhookVerificationError ? 401 : 400);
      return;
    }
    await onEvent(verified.event, verified.id); // deduplicate on verified.id in your store
    response.sendStatus(204);
  });
  return app;
}

// webhookApp([process.env.WEBHOOK_SECRET!], async (event) => console.log(event.type)).listen(8080);
