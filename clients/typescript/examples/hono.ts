import { Hono } from 'hono';
import { type RelayEvent, verifyWebhook, WebhookVerificationError } from '@nexus-relay/client';

/**
 * A nexus-relay webhook endpoint on Hono (Node, Bun, Deno, Cloudflare Workers). `c.req.text()` is the raw body,
 * as received: verify it before parsing.
 */
export function webhookApp(secrets: string[], onEvent: (event: RelayEvent, id: string) => Promise<void>) {
  const app = new Hono();
  app.post('/hooks', async (c) => {
    let verified;
    try {
      verified = verifyWebhook(await c.req.text(), c.req.raw.headers, secrets);
    } catch (error) {
      return c.body(null, error instanceof WebhookVerificationError ? 401 : 400);
    }
    await onEvent(verified.event, verified.id); // deduplicate on verified.id in your store
    return c.body(null, 204);
  });
  return app;
}

// export default webhookApp([env.WEBHOOK_SECRET], async (event) => console.log(event.type));
