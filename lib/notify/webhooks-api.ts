import { z } from 'zod';
import { assertServerKey } from '../http/auth.ts';
import type { Operations } from '../http/http-handler.ts';
import { HttpProblem } from '../http/problem.ts';
import { parseInput } from '../http/validation.ts';
import { type Subscription, WEBHOOK_ID_PATTERN, type WebhooksRepository } from '../store/webhooks-repo.ts';
import { endpointUrlProblem } from './endpoint-url.ts';
import { ALL_EVENTS, isValidEventFilter } from './event-filter.ts';
import { generateSecret } from './signing.ts';

export interface WebhooksApiDeps {
  webhooks: Pick<WebhooksRepository, 'create' | 'get' | 'list' | 'delete'>;
  /** Local mode: http://127.0.0.1 and http://localhost endpoints are accepted. */
  allowInsecureUrls: boolean;
}

const MAX_EVENT_FILTERS = 32;
const MAX_DESCRIPTION_LENGTH = 500;

const eventFilter = z
  .string()
  .refine(isValidEventFilter, 'must be a known event type, `*`, or a prefix wildcard such as `aggregation.*`');

export const createWebhookBody = (allowInsecureUrls: boolean) =>
  z.strictObject({
    url: z.string().superRefine((url, ctx) => {
      const problem = endpointUrlProblem(url, { allowInsecureUrls });
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    }),
    event_types: z.array(eventFilter).min(1).max(MAX_EVENT_FILTERS).optional(),
    description: z.string().trim().min(1).max(MAX_DESCRIPTION_LENGTH).optional(),
  });

const webhookPath = z.object({ webhook_id: z.string().regex(WEBHOOK_ID_PATTERN, 'must be a webhook id (wh_…)') });

/** A subscription as the API shows it: never its secrets. */
const webhookView = (subscription: Subscription) => ({
  id: subscription.id,
  url: subscription.url,
  event_types: subscription.eventTypes,
  ...(subscription.description === undefined ? {} : { description: subscription.description }),
  status: subscription.status,
  created_at: subscription.createdAt,
});

/** The `/webhooks` operations. Subscriptions span all users, so only server keys manage them. */
export function webhooksOperations(deps: WebhooksApiDeps): Operations {
  const createBody = createWebhookBody(deps.allowInsecureUrls);
  const notFound = (id: string) => new HttpProblem('not_found', `No webhook ${id}.`);
  return {
    'POST /webhooks': {
      auth: 'api_key',
      async handle(request) {
        assertServerKey(request.principal);
        const body = parseInput(createBody, request.body, 'body');
        const secret = generateSecret();
        const subscription = await deps.webhooks.create({
          url: body.url,
          eventTypes: [...new Set(body.event_types ?? [ALL_EVENTS])],
          ...(body.description === undefined ? {} : { description: body.description }),
          secret,
        });
        return {
          status: 201,
          headers: { location: `/webhooks/${subscription.id}` },
          // The only time the secret leaves the service: the receiver needs it to verify signatures.
          body: { webhook: { ...webhookView(subscription), secret } },
        };
      },
    },
    'GET /webhooks': {
      auth: 'api_key',
      async handle(request) {
        assertServerKey(request.principal);
        const subscriptions = await deps.webhooks.list();
        return { status: 200, body: { webhooks: subscriptions.map(webhookView) } };
      },
    },
    'GET /webhooks/{webhook_id}': {
      auth: 'api_key',
      async handle(request) {
        assertServerKey(request.principal);
        const { webhook_id } = parseInput(webhookPath, request.pathParams, 'path');
        const subscription = await deps.webhooks.get(webhook_id);
        if (!subscription) throw notFound(webhook_id);
        return { status: 200, body: { webhook: webhookView(subscription) } };
      },
    },
    'DELETE /webhooks/{webhook_id}': {
      auth: 'api_key',
      async handle(request) {
        assertServerKey(request.principal);
        const { webhook_id } = parseInput(webhookPath, request.pathParams, 'path');
        if (!(await deps.webhooks.delete(webhook_id))) throw notFound(webhook_id);
        return { status: 204 };
      },
    },
  };
}
