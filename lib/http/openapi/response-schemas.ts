import * as z from '../../zod.ts';
import { JOB_ID_PATTERN, JOB_STATUSES, JOB_TRIGGERS } from '../../aggregation/job.ts';
import { challengeSchema } from '../../mx/challenge.ts';
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

  const challenge = challengeSchema.check(
    z.meta({
      id: 'Challenge',
      description: "One of MX's MFA questions; answer it with PUT …/resume. MX's other fields are passed through.",
    }),
  );

  const job = z
    .strictObject({
      id: z.string().check(z.regex(JOB_ID_PATTERN)),
      user_id: z.string(),
      member_guid: z.string(),
      status: z.enum(JOB_STATUSES),
      trigger: z
        .enum(JOB_TRIGGERS)
        .check(
          z.describe(
            'What started the aggregation: a refresh, a refresh request from another system, MX on a member created or updated through the relay, or MX on its own (`mx_background`: its daily aggregation; `mx`: any other, e.g. the Connect widget or a change the reconcile found)',
          ),
        ),
      connection_status: z.nullable(z.string()).check(z.describe("The member's MX connection status when last read")),
      created_at: instant,
      updated_at: instant,
      finished_at: z.nullable(instant),
      polls: z.int().check(z.nonnegative(), z.describe('How many times the service has read the member from MX for this job')),
      mx_aggregated: z
        .optional(z.boolean())
        .check(
          z.describe(
            'Once the job has ended: whether MX aggregated (its `aggregated_at` moved). False when MX answered without aggregating — inside its throttle window, about 3 h after a successful aggregation — so `succeeded` brought nothing new',
          ),
        ),
      correlation_id: z
        .optional(z.string())
        .check(z.describe("The requester's id from a refresh request (refresh-requests queue)")),
      challenges: z
        .optional(z.array(challenge))
        .check(z.describe('Present when the job is action_required on a CHALLENGED member')),
    })
    .check(z.meta({ id: 'Job', description: 'One tracked aggregation of one member' }));

  const jobAnswer = z.strictObject({ job });

  const webhook = z
    .strictObject({
      id: z.string().check(z.regex(WEBHOOK_ID_PATTERN)),
      url: z.string(),
      event_types: z.array(z.string()).check(z.describe('Event types, `*`, or prefix wildcards such as `aggregation.*`')),
      description: z.optional(z.string()),
      status: z.enum(['enabled', 'disabled']),
      disabled_reason: z.optional(z.enum(['manual', 'endpoint_gone', 'endpoint_failing'])),
      failing_since: z.optional(instant).check(z.describe('The first failed attempt since the last successful one')),
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
