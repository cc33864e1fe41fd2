import * as z from '../zod.ts';
import { toIso } from '../clock.ts';
import { type AttemptRecord, type Delivery, DELIVERY_STATUSES } from './delivery.ts';
import { type Webhook, WEBHOOK_ID_PATTERN } from './webhooks-repo.ts';

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

/* Unit tests parse real views with these strict schemas, so a field added to a view without its schema fails there. */

const instant = z.iso.datetime().check(z.describe('ISO 8601, UTC'));

export const webhookSchema = z
  .strictObject({
    id: z.string().check(z.regex(WEBHOOK_ID_PATTERN)),
    url: z.string(),
    event_types: z.array(z.string()).check(z.describe('Event types, `*`, or prefix wildcards such as `aggregation.*`')),
    description: z.optional(z.string()),
    max_deliveries_per_second: z.optional(
      z.int().check(z.describe('Attempts a second at most, as the receiver asked; absent: as fast as events come')),
    ),
    status: z.enum(['enabled', 'disabled']),
    disabled_reason: z.optional(z.enum(['manual', 'endpoint_gone', 'endpoint_failing'])),
    failing_since: z.optional(instant).check(z.describe('The first failed attempt since the last successful one')),
    breaker: z.optional(
      z
        .strictObject({
          state: z.enum(['open', 'probing']),
          held_until: instant.check(z.describe('Deliveries are held (`pending_endpoint`) until then')),
        })
        .check(
          z.describe(
            "The endpoint's circuit breaker, open after 10 failed attempts in a row (or 3 timeouts): its deliveries wait, then one attempt probes it; absent once an attempt succeeds",
          ),
        ),
    ),
    previous_secret_expires_at: z.optional(instant).check(z.describe('When the rotated-out secret stops signing')),
    created_at: instant,
    updated_at: instant,
  })
  .check(z.meta({ id: 'Webhook', description: 'A webhook (its secrets are never shown)' }));

// From the fields, not z.extend: that would copy webhookSchema's checks, its `id` among them.
export const webhookWithSecretSchema = z
  .strictObject({
    ...webhookSchema.shape,
    secret: z.string().check(z.startsWith('whsec_'), z.describe('The signing secret; shown only in this answer')),
  })
  .check(z.meta({ id: 'WebhookWithSecret', description: 'A webhook with its new signing secret' }));

export const attemptSchema = z
  .strictObject({
    at: instant,
    status_code: z.optional(z.int()),
    latency_ms: z.number(),
    error: z.optional(z.enum(['timeout', 'dns', 'connection', 'tls', 'blocked_address', 'other'])),
    response_excerpt: z.optional(z.string()),
  })
  .check(z.meta({ id: 'Attempt', description: 'One delivery attempt' }));

export const deliverySchema = z
  .strictObject({
    msg_id: z.string().check(z.describe('The `webhook-id` of every attempt of this delivery')),
    event_type: z.string(),
    status: z.enum(DELIVERY_STATUSES),
    attempt_count: z.int(),
    next_attempt_at: z.optional(instant),
    failure_reason: z.optional(z.enum(['attempts_exhausted', 'webhook_deleted'])),
    attempts: z.array(attemptSchema),
    created_at: instant,
    updated_at: instant,
  })
  .check(z.meta({ id: 'Delivery', description: 'One event for one webhook, with every attempt (not the payload)' }));
