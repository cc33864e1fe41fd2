import { toIso } from '../clock.ts';
import type { AttemptRecord, Delivery } from './delivery.ts';
import type { Webhook } from './webhooks-repo.ts';

/** A webhook as the API shows it: never its secrets, only when a rotated-out one stops signing. */
export function webhookView(webhook: Webhook, nowMs: number) {
  const retiring = webhook.secrets
    .map((secret) => secret.expiresAt)
    .filter((expiresAt): expiresAt is string => expiresAt !== undefined && Date.parse(expiresAt) > nowMs)
    .sort();
  return {
    id: webhook.id,
    url: webhook.url,
    event_types: webhook.eventTypes,
    ...(webhook.description === undefined ? {} : { description: webhook.description }),
    ...(webhook.maxDeliveriesPerSecond === undefined ? {} : { max_deliveries_per_second: webhook.maxDeliveriesPerSecond }),
    status: webhook.status,
    ...(webhook.disabledReason === undefined ? {} : { disabled_reason: webhook.disabledReason }),
    ...(webhook.failingSince === undefined ? {} : { failing_since: webhook.failingSince }),
    ...(webhook.breaker === undefined
      ? {}
      : {
          breaker: {
            state: Date.parse(webhook.breaker.openUntil) > nowMs ? ('open' as const) : ('probing' as const),
            held_until: webhook.breaker.openUntil,
          },
        }),
    ...(retiring.length === 0 ? {} : { previous_secret_expires_at: retiring.at(-1) }),
    created_at: webhook.createdAt,
    updated_at: webhook.updatedAt,
  };
}

export const attemptView = (attempt: AttemptRecord) => ({
  at: attempt.at,
  ...(attempt.statusCode === undefined ? {} : { status_code: attempt.statusCode }),
  latency_ms: attempt.latencyMs,
  ...(attempt.error === undefined ? {} : { error: attempt.error }),
  ...(attempt.responseExcerpt === undefined ? {} : { response_excerpt: attempt.responseExcerpt }),
});

/** A delivery in the log: its state and every attempt, without the payload. */
export const deliveryView = (delivery: Delivery) => ({
  msg_id: delivery.msgId,
  event_type: delivery.eventType,
  status: delivery.status,
  attempt_count: delivery.attemptCount,
  ...(delivery.nextAttemptAt === undefined ? {} : { next_attempt_at: toIso(delivery.nextAttemptAt) }),
  ...(delivery.failureReason === undefined ? {} : { failure_reason: delivery.failureReason }),
  attempts: delivery.attempts.map(attemptView),
  created_at: delivery.createdAt,
  updated_at: delivery.updatedAt,
});
