import * as z from 'zod';
import { JOB_ID_PATTERN, JOB_STATUSES } from '../../aggregation/job.ts';
import { challengeSchema } from '../../mx/challenge.ts';
import { DELIVERY_STATUSES } from '../../store/deliveries-repo.ts';
import { WEBHOOK_ID_PATTERN } from '../../store/webhooks-repo.ts';
import { PROBLEMS, type ProblemCode } from '../problem.ts';

/**
 * The shapes nexus-relay answers with, as the API document shows them. Each `id` becomes a named schema
 * (`#/components/schemas/<id>`). Unit tests parse real views (jobView, webhookView, deliveryView, toBody) with
 * these strict schemas, so a field added to a view without its schema fails there.
 */
const instant = z.iso.datetime().describe('ISO 8601, UTC');

export const challenge = challengeSchema.meta({
  id: 'Challenge',
  description: "One of MX's MFA questions; answer it with PUT …/resume. MX's other fields are passed through.",
});

export const job = z
  .strictObject({
    id: z.string().regex(JOB_ID_PATTERN),
    user_id: z.string(),
    member_guid: z.string(),
    status: z.enum(JOB_STATUSES),
    connection_status: z.string().nullable().describe("The member's MX connection status when last read"),
    created_at: instant,
    updated_at: instant,
    finished_at: instant.nullable(),
    polls: z.int().nonnegative().describe('How many times the service has read the member from MX for this job'),
    correlation_id: z.string().optional().describe("The requester's id from a refresh request (refresh-requests queue)"),
    challenges: z.array(challenge).optional().describe('Present when the job is action_required on a CHALLENGED member'),
  })
  .meta({ id: 'Job', description: 'One tracked aggregation of one member' });

export const jobAnswer = z.strictObject({ job });

export const webhook = z
  .strictObject({
    id: z.string().regex(WEBHOOK_ID_PATTERN),
    url: z.string(),
    event_types: z.array(z.string()).describe('Event types, `*`, or prefix wildcards such as `aggregation.*`'),
    description: z.string().optional(),
    status: z.enum(['enabled', 'disabled']),
    disabled_reason: z.enum(['manual', 'endpoint_gone', 'endpoint_failing']).optional(),
    failing_since: instant.optional().describe('The first failed attempt since the last successful one'),
    previous_secret_expires_at: instant.optional().describe('When the rotated-out secret stops signing'),
    created_at: instant,
    updated_at: instant,
  })
  .meta({ id: 'Webhook', description: 'A webhook subscription (its secrets are never shown)' });

export const webhookWithSecret = webhook
  .extend({ secret: z.string().startsWith('whsec_').describe('The signing secret; shown only in this answer') })
  .meta({ id: 'WebhookWithSecret', description: 'A webhook subscription with its new signing secret' });

export const attempt = z
  .strictObject({
    at: instant,
    status_code: z.int().optional(),
    latency_ms: z.number(),
    error: z.enum(['timeout', 'dns', 'connection', 'tls', 'blocked_address', 'other']).optional(),
    response_excerpt: z.string().optional(),
  })
  .meta({ id: 'Attempt', description: 'One delivery attempt' });

export const delivery = z
  .strictObject({
    msg_id: z.string().describe('The `webhook-id` of every attempt of this delivery'),
    event_type: z.string(),
    status: z.enum(DELIVERY_STATUSES),
    attempt_count: z.int(),
    next_attempt_at: instant.optional(),
    failure_reason: z.enum(['attempts_exhausted', 'subscription_deleted']).optional(),
    attempts: z.array(attempt),
    created_at: instant,
    updated_at: instant,
  })
  .meta({ id: 'Delivery', description: 'One event for one subscription, with every attempt (not the payload)' });

const problemCodes = Object.keys(PROBLEMS) as [ProblemCode, ...ProblemCode[]];

export const problem = z
  .strictObject({
    type: z.url(),
    title: z.string(),
    status: z.int(),
    detail: z.string(),
    code: z.enum(problemCodes),
    field: z.string().optional().describe('The offending input, e.g. `member_guid`, `use_case`, `url`'),
    mx_code: z.int().optional().describe("MX's own error code, when MX gave one"),
    request_id: z.string().optional(),
  })
  .meta({ id: 'Problem', description: 'RFC 9457 problem details' });

export const mxBody = z
  .looseObject({})
  .meta({ id: 'MxBody', description: "MX's body, passed through unchanged (lists carry MX's `pagination`)" });
