import { type Clock, toIso } from '../clock.ts';
import type { Subscription } from './webhooks-repo.ts';
import type { AttemptOutcome, WebhookSender } from './attempt.ts';
import { eventIds, serializeEvent, TEST_EVENT_TYPE } from './events.ts';
import type { SecretBox } from '../secret-box.ts';
import { openSigningSecrets } from './secret-rotation.ts';

export interface TestDelivery {
  msgId: string;
  at: string;
  outcome: AttemptOutcome;
}

/**
 * Sends a `webhook.test` event to a subscription's endpoint, once and right away, and reports the outcome. It is
 * a probe: nothing is queued or logged, and the outcome changes neither the subscription nor its failure streak.
 */
export class WebhookTester {
  constructor(private readonly deps: { sender: Pick<WebhookSender, 'send'>; clock: Clock; secretBox: Pick<SecretBox, 'open'> }) {}

  async send(subscription: Pick<Subscription, 'id' | 'url' | 'secrets'>): Promise<TestDelivery> {
    const now = this.deps.clock.now();
    const msgId = eventIds.test();
    const payload = serializeEvent({ type: TEST_EVENT_TYPE, timestamp: toIso(now), data: { webhook_id: subscription.id } });
    const outcome = await this.deps.sender.send({
      url: subscription.url,
      msgId,
      payload,
      secrets: await openSigningSecrets(subscription, now, this.deps.secretBox),
    });
    return { msgId, at: toIso(now), outcome };
  }
}
