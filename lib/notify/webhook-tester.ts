import { type Clock, toIso } from '../clock.ts';
import type { Webhook } from './webhooks-repo.ts';
import type { AttemptOutcome, WebhookSender } from './attempt.ts';
import { eventIds } from '../events.ts';
import { serializeEvent, TEST_EVENT_TYPE } from './events.ts';
import type { SecretBox } from '../secret-box.ts';
import { openSigningSecrets } from './secret-rotation.ts';

export interface TestDelivery {
  msgId: string;
  at: string;
  outcome: AttemptOutcome;
}

/** A probe: nothing is queued or logged, and the outcome changes neither the webhook nor its failure streak. */
export class WebhookTester {
  constructor(private readonly deps: { sender: Pick<WebhookSender, 'send'>; clock: Clock; secretBox: Pick<SecretBox, 'open'> }) {}

  async send(webhook: Pick<Webhook, 'id' | 'url' | 'secrets'>): Promise<TestDelivery> {
    const now = this.deps.clock.now();
    const msgId = eventIds.test();
    const payload = serializeEvent({ type: TEST_EVENT_TYPE, timestamp: toIso(now), data: { webhook_id: webhook.id } });
    const outcome = await this.deps.sender.send({
      url: webhook.url,
      msgId,
      payload,
      secrets: await openSigningSecrets(webhook, now, this.deps.secretBox),
    });
    return { msgId, at: toIso(now), outcome };
  }
}
