import { type Clock, toIso } from '../clock.ts';
import type { Log } from '../logger.ts';
import type { DelayedQueue } from '../queue/delayed-queue.ts';
import type { AttemptRecord, AttemptResolution, DeliveriesRepository } from '../store/deliveries-repo.ts';
import type { WebhooksRepository } from '../store/webhooks-repo.ts';
import type { AttemptOutcome, WebhookSender } from './attempt.ts';
import type { DeliveryMessage } from './delivery-message.ts';
import { retryDelayMs } from './retry-schedule.ts';

/** Room after the send timeout for recording the outcome before another worker may take the attempt over. */
export const LEASE_MARGIN_MS = 30_000;

export interface DelivererDeps {
  webhooks: Pick<WebhooksRepository, 'get' | 'disable'>;
  deliveries: Pick<DeliveriesRepository, 'get' | 'claimAttempt' | 'recordAttempt' | 'markFailed'>;
  queue: Pick<DelayedQueue<DeliveryMessage>, 'schedule' | 'deferIfEarly'>;
  sender: Pick<WebhookSender, 'send'>;
  clock: Clock;
  log: Log;
  /** How long one attempt holds its delivery: the send timeout plus LEASE_MARGIN_MS. */
  leaseMs: number;
  /** Jitter source for retry delays, in [0, 1). */
  random?: () => number;
}

/**
 * Makes the attempt a delivery-queue message asks for, at most once however often the message arrives, and
 * decides what follows: delivered, a retry later, or failed. DynamoDB and SQS errors propagate so that the
 * queue redelivers the message; an endpoint's failure never throws.
 */
export class Deliverer {
  constructor(private readonly deps: DelivererDeps) {}

  async handle(message: DeliveryMessage): Promise<void> {
    const { webhooks, deliveries, queue, log } = this.deps;
    if (await queue.deferIfEarly(message)) return;
    const { webhook_id: webhookId, msg_id: msgId, attempt } = message;
    const context = { webhook_id: webhookId, msg_id: msgId, attempt };

    const delivery = await deliveries.get(webhookId, msgId);
    if (delivery?.status !== 'pending') {
      log.debug('delivery message ignored: delivery not pending', { ...context, status: delivery?.status ?? 'absent' });
      return;
    }
    if (delivery.attemptCount === attempt && delivery.nextAttemptAt !== undefined) {
      // This attempt is recorded, yet its message came back: the worker that recorded it may have failed to
      // send the next one. Sending it again is harmless; the next attempt is still made once.
      await this.scheduleAttempt(webhookId, msgId, attempt + 1, delivery.nextAttemptAt);
      return;
    }
    if (delivery.attemptCount !== attempt - 1) {
      log.debug('delivery message ignored: stale attempt', { ...context, attempt_count: delivery.attemptCount });
      return;
    }

    const subscription = await webhooks.get(webhookId);
    if (!subscription) {
      await deliveries.markFailed(webhookId, msgId, 'subscription_deleted');
      log.info('webhook delivery failed: subscription deleted', context);
      return;
    }
    if (subscription.status === 'disabled') {
      log.info('webhook delivery left pending: subscription disabled', context);
      return;
    }
    if (!(await deliveries.claimAttempt(webhookId, msgId, attempt, this.deps.leaseMs))) {
      log.debug('delivery message ignored: attempt taken by another worker', context);
      return;
    }

    const startedAt = this.deps.clock.now();
    const outcome = await this.deps.sender.send({
      url: subscription.url,
      msgId,
      payload: delivery.payload,
      secrets: subscription.secrets.map((s) => s.secret),
    });
    const resolution = this.resolve(outcome, attempt);
    if (outcome.statusCode === 410) await webhooks.disable(webhookId);
    if (!(await deliveries.recordAttempt(webhookId, msgId, attempt, toAttemptRecord(startedAt, outcome), resolution))) {
      log.warn('webhook attempt made but not recorded: already recorded by another worker', context);
      return;
    }
    this.logAttempt(context, outcome, resolution);
    if (resolution.status === 'pending') await this.scheduleAttempt(webhookId, msgId, attempt + 1, resolution.nextAttemptAt);
  }

  private resolve(outcome: AttemptOutcome, attempt: number): AttemptResolution {
    if (outcome.ok) return { status: 'delivered' };
    // 410 Gone: the receiver asks us to stop (Standard Webhooks); the subscription is disabled with it.
    if (outcome.statusCode === 410) return { status: 'failed', reason: 'endpoint_gone' };
    const delayMs = retryDelayMs(attempt, this.deps.random);
    if (delayMs === undefined) return { status: 'failed', reason: 'attempts_exhausted' };
    return { status: 'pending', nextAttemptAt: this.deps.clock.now() + delayMs };
  }

  private scheduleAttempt(webhookId: string, msgId: string, attempt: number, dueAt: number): Promise<void> {
    return this.deps.queue.schedule({ webhook_id: webhookId, msg_id: msgId, attempt, due_at: dueAt });
  }

  private logAttempt(context: Record<string, unknown>, outcome: AttemptOutcome, resolution: AttemptResolution): void {
    const details = {
      ...context,
      status_code: outcome.statusCode,
      error: outcome.error,
      error_code: outcome.errorCode,
      latency_ms: outcome.latencyMs,
      delivery_status: resolution.status,
      ...(resolution.status === 'pending' ? { next_attempt_at: toIso(resolution.nextAttemptAt) } : {}),
      ...(resolution.status === 'failed' ? { failure_reason: resolution.reason } : {}),
    };
    if (resolution.status === 'delivered') this.deps.log.info('webhook delivered', details);
    else this.deps.log.warn('webhook attempt failed', details);
  }
}

const toAttemptRecord = (startedAt: number, outcome: AttemptOutcome): AttemptRecord => ({
  at: toIso(startedAt),
  ...(outcome.statusCode === undefined ? {} : { statusCode: outcome.statusCode }),
  latencyMs: outcome.latencyMs,
  ...(outcome.error === undefined ? {} : { error: outcome.error }),
  ...(outcome.responseExcerpt === undefined ? {} : { responseExcerpt: outcome.responseExcerpt }),
});
