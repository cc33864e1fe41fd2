import type { Log } from '../logger.ts';
import type { DelayedQueue } from '../queue/delayed-queue.ts';
import type { DeliveriesRepository } from './deliveries-repo.ts';
import type { WebhooksRepository } from './webhooks-repo.ts';
import type { DeliveryMessage } from './delivery-message.ts';
import { matches } from './event-filter.ts';
import { assertValidEvent, serializeEvent, userOfEvent, type WebhookEvent } from './events.ts';
import { isJobEventId } from '../events.ts';
import { deliveryKey } from './deliveries-repo.ts';
import type { UserEventsRepository } from './user-events-repo.ts';
import { type Clock, systemClock } from '../clock.ts';

export interface EventPublisherDeps {
  webhooks: Pick<WebhooksRepository, 'list'>;
  deliveries: Pick<DeliveriesRepository, 'createIfAbsent'>;
  /** For the user's erasure. */
  userEvents?: Pick<UserEventsRepository, 'note'>;
  queue: Pick<DelayedQueue<DeliveryMessage>, 'scheduleAllIn'>;
  clock?: Clock;
  log: Log;
}

/**
 * One delivery per matching webhook, disabled ones included (kept until enabled). Safe to repeat with the same event id:
 * the delivery is created once, and the deliverer ignores a message for an attempt already made.
 */
export class EventPublisher {
  constructor(private readonly deps: EventPublisherDeps) {}

  async publish(event: WebhookEvent): Promise<void> {
    assertValidEvent(event);
    const payload = serializeEvent(event);
    const webhooks = (await this.deps.webhooks.list()).filter((webhook) => matches(webhook, event.type));
    // Noted first, so an erasure finds every delivery; a job's own events it derives from the job (jobEventIds).
    // `user.deleted` is the erasure's own last word.
    const userId = userOfEvent(event);
    const indexed = userId !== undefined && event.type !== 'user.deleted' && !isJobEventId(event.id);
    if (indexed && webhooks.length > 0 && this.deps.userEvents) {
      const partitions = webhooks.map((webhook) => deliveryKey(webhook, event.id).pk);
      await this.deps.userEvents.note(userId, event.id, partitions, (this.deps.clock ?? systemClock).now());
    }
    await Promise.all(
      webhooks.map((webhook) =>
        this.deps.deliveries.createIfAbsent(webhook, { msgId: event.id, eventType: event.type, payload }),
      ),
    );
    // Sent even when a delivery already existed: a publish that failed before this point must still reach the queue.
    await this.deps.queue.scheduleAllIn(
      webhooks.map((webhook) => ({ webhook_id: webhook.id, msg_id: event.id, attempt: 1 })),
      0,
    );
    // DEBUG: the job's own lines and each delivery's say as much.
    this.deps.log.debug('webhook event published', {
      msg_id: event.id,
      event_type: event.type,
      webhook_ids: webhooks.map((webhook) => webhook.id),
    });
  }
}
