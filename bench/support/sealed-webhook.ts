import type { NewWebhook, Webhook, WebhooksRepository } from '../../lib/notify/webhooks-repo.ts';
import { newWebhookId } from '../../lib/notify/webhooks-repo.ts';
import { type SecretBox, sealedFor } from '../../lib/secret-box.ts';

/** A webhook stored as `POST /webhooks` stores one: its signing secret (given in clear) sealed under its id. */
export async function createSealedWebhook(
  store: { webhooks: Pick<WebhooksRepository, 'create'>; secretBox: Pick<SecretBox, 'seal'> },
  input: Omit<NewWebhook, 'id'>,
): Promise<Webhook> {
  const id = newWebhookId();
  return store.webhooks.create({ ...input, id, secret: await store.secretBox.seal(input.secret, sealedFor.webhook(id)) });
}
