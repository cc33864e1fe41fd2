import { type Clock, toIso } from '../clock.ts';
import type { Log } from '../logger.ts';
import type { NotifyMetrics } from './notify-metrics.ts';
import type { DelayedQueue } from '../queue/delayed-queue.ts';
import { type DeliveriesRepository, isSweptRetry } from './deliveries-repo.ts';
import { type AttemptRecord, type AttemptResolution, canMove, type Delivery, resolveAttempt } from './delivery.ts';
import type { Webhook, WebhooksRepository } from './webhooks-repo.ts';
import type { AttemptOutcome, WebhookSender } from './attempt.ts';
import type { DeliveryMessage } from './delivery-message.ts';
import { breakerState, type EndpointHealth } from './endpoint-health.ts';
import type { SecretBox } from '../secret-box.ts';
import type { WebhookCache } from './webhook-cache.ts';
import { openSigningSecrets } from './secret-rotation.ts';
import { BatchStragglers } from './batch-stragglers.ts';
import type { DeliveryPace } from './delivery-pace.ts';

/** Room after the send timeout for recording the outcome before another worker may take the attempt over. */
export const LEASE_MARGIN_MS = 30_000;

export interface DelivererDeps {
  webhooks: Pick<WebhooksRepository, 'get' | 'disable'>;
  /** A per-container cache; `webhooks` when absent. */
  webhookCache?: Pick<WebhookCache, 'get'>;
  deliveries: Pick<
    DeliveriesRepository,
    'get' | 'claimAttempt' | 'releaseClaim' | 'recordAttempt' | 'markFailed' | 'markPendingEndpoint' | 'startRound'
  >;
  queue: Pick<DelayedQueue<DeliveryMessage>, 'schedule' | 'deferIfEarly'>;
  sender: Pick<WebhookSender, 'send'>;
  health: Pick<EndpointHealth, 'admits' | 'succeeded' | 'failed' | 'isSlow' | 'markSlow'>;
  /** Whose workers wait the whole timeout; without it every attempt does. */
  slowLane?: { queue: Pick<DelayedQueue<DeliveryMessage>, 'schedule'>; patienceMs: number };
  clock: Clock;
  log: Log;
  /** How long one attempt holds its delivery: the send timeout plus LEASE_MARGIN_MS. */
  leaseMs: number;
  random?: () => number;
  metrics: NotifyMetrics;
  secretBox: Pick<SecretBox, 'open'>;
  /** Holds a webhook to the rate its receiver set; without it, none is held. */
  pace?: Pick<DeliveryPace, 'wait'>;
}

type Context = { webhook_id: string; msg_id: string; attempt: number };

/** Which queue a message came from. */
export type DeliveryLane = 'delivery' | 'delivery-slow';

/** How long an attempt on the delivery queue waits for its answer to begin before it moves to the slow lane. */
export const DELIVERY_PATIENCE_MS = 2_000;

/**
 * Makes the attempt a message asks for, at most once however often it arrives. DynamoDB and SQS errors propagate so
 * the queue redelivers the message; an endpoint's failure never throws.
 *
 * A batch takes as long as its slowest attempt, so an attempt not answered within the patience is given up unrecorded
 * and moved to the slow lane: a dead or slow endpoint holds none of the delivery queue's workers.
 */
export class Deliverer {
  readonly #batch = new BatchStragglers();

  constructor(private readonly deps: DelivererDeps) {}

  handle(message: DeliveryMessage, lane: DeliveryLane = 'delivery'): Promise<void> {
    return this.#batch.run(() => this.#handle(message, lane));
  }

  async #handle(message: DeliveryMessage, lane: DeliveryLane): Promise<void> {
    const { webhooks, deliveries, queue } = this.deps;
    if (await queue.deferIfEarly(message)) return;
    const { webhook_id: webhookId, msg_id: msgId, attempt } = message;
    const context = { webhook_id: webhookId, msg_id: msgId, attempt };

    // The usual case first: one write claims the attempt and answers the delivery. Anything else reads it (#unclaimed).
    const webhook = await (this.deps.webhookCache ?? webhooks).get(webhookId);
    if (webhook?.status === 'enabled' && lane === 'delivery' && this.deps.slowLane) {
      if (this.deps.health.isSlow(webhookId)) return this.#toSlowLane(context, 'known_slow');
      if (breakerState(webhook, this.deps.clock.now()) === 'probing') return this.#toSlowLane(context, 'probe');
    }
    // An endpoint whose breaker is open takes no worker's time: its deliveries are held until it answers again.
    if (webhook?.status === 'enabled' && !(await this.deps.health.admits(webhook))) return this.#hold(context, webhook);
    // Not a breaker's probe: it holds the one probe, and one attempt at a time is within any rate.
    if (webhook?.status === 'enabled' && this.deps.pace && breakerState(webhook, this.deps.clock.now()) === 'closed') {
      const wait = await this.deps.pace.wait(webhook);
      if (wait > 0) return this.#pace(message, lane, wait);
    }
    const claimedFirst = webhook?.status === 'enabled';
    if (claimedFirst) {
      const claimed = await deliveries.claimAttempt(webhook, msgId, attempt, this.deps.leaseMs);
      if (claimed) return this.attempt(context, webhook, claimed, lane);
    }
    if (!webhook) return this.#webhookGone(context);
    return this.#unclaimed(context, webhook, claimedFirst, lane);
  }

  /** A duplicate, a retry already recorded, a delivery pending its endpoint, or a webhook disabled. */
  async #unclaimed(context: Context, webhook: Webhook, claimedFirst: boolean, lane: DeliveryLane): Promise<void> {
    const { deliveries, log } = this.deps;
    const { msg_id: msgId, attempt } = context;
    const delivery = await deliveries.get(webhook, msgId);
    if (delivery?.status === 'pending' && delivery.attemptCount === attempt && delivery.nextAttemptAt !== undefined) {
      // Recorded, yet the message came back: its worker may have failed to send the next one. Resending is harmless.
      if (!isSweptRetry(delivery.nextAttemptAt, this.deps.clock.now())) {
        await this.scheduleAttempt(context, attempt + 1, delivery.nextAttemptAt);
      }
      return;
    }
    if (!isAwaiting(delivery) || delivery.attemptCount !== attempt - 1) {
      log.debug('delivery message ignored: not awaiting this attempt', {
        ...context,
        status: delivery?.status ?? 'absent',
        attempt_count: delivery?.attemptCount,
      });
      return;
    }
    if (webhook.status === 'disabled') {
      if (canMove('keptForEndpoint', delivery.status)) await this.markPendingEndpoint(context, webhook);
      return;
    }
    const { status } = delivery;
    if (canMove('resume', status)) {
      if (!(await deliveries.startRound(webhook, msgId, { status, attemptCount: attempt - 1 }))) {
        log.debug('delivery message ignored: delivery resumed by another worker', context);
        return;
      }
    }
    // A pending delivery whose claim failed above is held by another worker's attempt: no second try.
    const claimed =
      claimedFirst && delivery.status === 'pending'
        ? undefined
        : await deliveries.claimAttempt(webhook, msgId, attempt, this.deps.leaseMs);
    if (!claimed) {
      log.debug('delivery message ignored: attempt taken by another worker', context);
      return;
    }
    await this.attempt(context, webhook, claimed, lane);
  }

  private async attempt(context: Context, webhook: Webhook, delivery: Delivery, lane: DeliveryLane): Promise<void> {
    const { webhooks, deliveries, clock, slowLane } = this.deps;
    const { webhook_id: webhookId, msg_id: msgId, attempt } = context;
    const startedAt = clock.now();
    const request = {
      url: webhook.url,
      msgId,
      payload: delivery.payload,
      secrets: await openSigningSecrets(webhook, startedAt, this.deps.secretBox),
    };
    let straggler = false;
    const outcome =
      lane === 'delivery' && slowLane
        ? await this.#batch.answer(webhookId, (giveUp) => {
            giveUp.addEventListener('abort', () => (straggler = true));
            return this.deps.sender.send(request, { patienceMs: slowLane.patienceMs, giveUp });
          })
        : await this.deps.sender.send(request);
    if (outcome.slow) {
      this.deps.health.markSlow(webhookId, straggler);
      await deliveries.releaseClaim(webhook, msgId, attempt);
      return this.#toSlowLane(context, 'patience');
    }
    const gone = outcome.statusCode === 410;
    // Disabled before the delivery is marked pending_endpoint, so that an enable in between finds it (see markPendingEndpoint).
    if (gone && (await webhooks.disable(webhookId, 'endpoint_gone'))) this.#metrics.add('WebhookEndpointsDisabled', 1, {});
    const now = clock.now();
    const resolution = resolveAttempt(outcome, attempt, delivery.attemptsBeforeRound, now, this.deps.random);
    const swept = resolution.status === 'pending' && isSweptRetry(resolution.nextAttemptAt, now);
    const record = toAttemptRecord(startedAt, outcome);
    if (!(await deliveries.recordAttempt(webhook, msgId, attempt, record, resolution, swept))) {
      this.deps.log.warn('webhook attempt made but not recorded: already recorded by another worker', context);
      return;
    }
    this.logAttempt(context, outcome, resolution);
    this.#metrics.add('WebhookAttempts', 1, { outcome: attemptOutcome(outcome) });
    // A replay's success says nothing about delivery latency.
    if (outcome.ok && delivery.attemptsBeforeRound === 0) {
      this.#metrics.add('WebhookDeliveryLatency', clock.now() - Date.parse(delivery.createdAt), {});
    }
    if (outcome.ok) await this.deps.health.succeeded(webhook);
    else if (!gone) await this.deps.health.failed(webhook, outcome.error === 'timeout');
    if (resolution.status === 'pending' && !swept) await this.scheduleAttempt(context, attempt + 1, resolution.nextAttemptAt);
    if (resolution.status === 'pending_endpoint') await this.resumeIfEnabledMeanwhile(context, attempt + 1);
  }

  get #metrics(): NotifyMetrics {
    return this.deps.metrics;
  }

  async #toSlowLane(context: Context, reason: 'patience' | 'known_slow' | 'probe'): Promise<void> {
    await this.deps.slowLane!.queue.schedule({ ...context, due_at: this.deps.clock.now() });
    this.#metrics.add('WebhookSlowLaneMoves', 1, { reason });
    if (reason === 'patience') this.deps.log.info('webhook endpoint slow to answer: attempt moved to the slow lane', context);
  }

  async #pace(message: DeliveryMessage, lane: DeliveryLane, waitMs: number): Promise<void> {
    const queue = lane === 'delivery-slow' && this.deps.slowLane ? this.deps.slowLane.queue : this.deps.queue;
    await queue.schedule({ ...message, due_at: this.deps.clock.now() + waitMs });
    this.#metrics.add('WebhookAttemptsPaced', 1, {});
  }

  async #hold(context: Context, webhook: Webhook): Promise<void> {
    const delivery = await this.deps.deliveries.get(webhook, context.msg_id);
    if (!delivery || delivery.attemptCount !== context.attempt - 1 || !canMove('keptForEndpoint', delivery.status)) return;
    this.#metrics.add('WebhookDeliveriesHeld', 1, {});
    await this.markPendingEndpoint(context, webhook);
  }

  async #webhookGone(context: Context): Promise<void> {
    if (await this.deps.deliveries.markFailed({ id: context.webhook_id }, context.msg_id, 'webhook_deleted')) {
      this.deps.log.info('webhook delivery failed: webhook deleted', context);
    }
  }

  private async markPendingEndpoint(context: Context, webhook: Webhook): Promise<void> {
    const { msg_id: msgId, attempt } = context;
    if (!(await this.deps.deliveries.markPendingEndpoint(webhook, msgId, attempt - 1))) return;
    this.deps.log.info('webhook delivery kept until the webhook is enabled', context);
    await this.resumeIfEnabledMeanwhile(context, attempt);
  }

  /**
   * An enable (or a closing breaker) resumes the held deliveries it finds; one held just after would wait forever, so
   * every hold rereads the webhook: whichever of the two writes came second sees the other.
   */
  private async resumeIfEnabledMeanwhile(context: Context, nextAttempt: number): Promise<void> {
    const webhook = await this.deps.webhooks.get(context.webhook_id);
    const now = this.deps.clock.now();
    if (webhook?.status === 'enabled' && breakerState(webhook, now) === 'closed') {
      await this.scheduleAttempt(context, nextAttempt, now);
    }
  }

  private scheduleAttempt(context: Context, attempt: number, dueAt: number): Promise<void> {
    return this.deps.queue.schedule({ webhook_id: context.webhook_id, msg_id: context.msg_id, attempt, due_at: dueAt });
  }

  private logAttempt(context: Context, outcome: AttemptOutcome, resolution: AttemptResolution): void {
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
    // A delivery's record (its log, WebhookAttempts) is the account of it: success lines are for debugging only.
    if (resolution.status === 'delivered') this.deps.log.debug('webhook delivered', details);
    else this.deps.log.warn('webhook attempt failed', details);
  }
}

const attemptOutcome = (outcome: AttemptOutcome) =>
  outcome.ok
    ? 'delivered'
    : outcome.statusCode !== undefined
      ? (`http_${Math.floor(outcome.statusCode / 100)}xx` as 'http_4xx')
      : (outcome.error ?? 'other');

const isAwaiting = (delivery: Delivery | undefined): delivery is Delivery =>
  delivery?.status === 'pending' || delivery?.status === 'pending_endpoint';

const toAttemptRecord = (startedAt: number, outcome: AttemptOutcome): AttemptRecord => ({
  at: toIso(startedAt),
  ...(outcome.statusCode === undefined ? {} : { statusCode: outcome.statusCode }),
  latencyMs: outcome.latencyMs,
  ...(outcome.error === undefined ? {} : { error: outcome.error }),
  ...(outcome.responseExcerpt === undefined ? {} : { responseExcerpt: outcome.responseExcerpt }),
});
