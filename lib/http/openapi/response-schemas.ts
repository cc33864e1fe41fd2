import * as z from '../../zod.ts';
import { challengeViewSchema as challenge, jobViewSchema as job } from '../../aggregation/job-view.ts';
import { DELIVERY_STATUSES } from '../../notify/delivery.ts';
import { WEBHOOK_ID_PATTERN } from '../../notify/webhooks-repo.ts';
import { PROBLEMS, type ProblemCode } from '../problem.ts';

/**
 * The shapes nexus-relay answers with, as the API document shows them. Each `id` becomes a named schema
 * (`#/components/schemas/<id>`). Unit tests parse real views (jobView, webhookView, deliveryView, toBody) with
 * these strict schemas, so a field added to a view without its schema fails there.
 *
 * Built at the first call: only the API document and the tests read them, so a function's cold start does not
 * construct them.
 */
export const responseSchemas = build();

export type ResponseSchemas = ReturnType<typeof build>;

function build() {
  const instant = z.iso.datetime().check(z.describe('ISO 8601, UTC'));

  const jobAnswer = z.strictObject({ job });

  const webhook = z
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

  // From the fields, not z.extend: that would copy webhook's checks, its `id` among them.
  const webhookWithSecret = z
    .strictObject({
      ...webhook.shape,
      secret: z.string().check(z.startsWith('whsec_'), z.describe('The signing secret; shown only in this answer')),
    })
    .check(z.meta({ id: 'WebhookWithSecret', description: 'A webhook with its new signing secret' }));

  const attempt = z
    .strictObject({
      at: instant,
      status_code: z.optional(z.int()),
      latency_ms: z.number(),
      error: z.optional(z.enum(['timeout', 'dns', 'connection', 'tls', 'blocked_address', 'other'])),
      response_excerpt: z.optional(z.string()),
    })
    .check(z.meta({ id: 'Attempt', description: 'One delivery attempt' }));

  const delivery = z
    .strictObject({
      msg_id: z.string().check(z.describe('The `webhook-id` of every attempt of this delivery')),
      event_type: z.string(),
      status: z.enum(DELIVERY_STATUSES),
      attempt_count: z.int(),
      next_attempt_at: z.optional(instant),
      failure_reason: z.optional(z.enum(['attempts_exhausted', 'webhook_deleted'])),
      attempts: z.array(attempt),
      created_at: instant,
      updated_at: instant,
    })
    .check(z.meta({ id: 'Delivery', description: 'One event for one webhook, with every attempt (not the payload)' }));

  const problemCodes = Object.keys(PROBLEMS) as [ProblemCode, ...ProblemCode[]];

  const problem = z
    .strictObject({
      type: z.url(),
      title: z.string(),
      status: z.int(),
      detail: z.string(),
      code: z.enum(problemCodes),
      field: z.optional(z.string()).check(z.describe('The offending input, e.g. `member_guid`, `use_case`, `url`')),
      mx_code: z.optional(z.int()).check(z.describe("MX's own error code, when MX gave one")),
      request_id: z.optional(z.string()),
    })
    .check(z.meta({ id: 'Problem', description: 'RFC 9457 problem details' }));

  const mxBody = z
    .looseObject({})
    .check(z.meta({ id: 'MxBody', description: "MX's body, passed through unchanged (lists carry MX's `pagination`)" }));
  return { challenge, job, jobAnswer, webhook, webhookWithSecret, attempt, delivery, problem, mxBody };
}
