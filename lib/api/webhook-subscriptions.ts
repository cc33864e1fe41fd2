import * as z from '../zod.ts';
import type { Clock } from '../clock.ts';
import type { AuthenticatedRequest, Operations } from '../http/http-handler.ts';
import { HttpProblem } from '../http/problem.ts';
import { parseInput } from '../http/validation.ts';
import { newWebhookId, type Subscription, WEBHOOK_ID_PATTERN, type WebhooksRepository } from '../store/webhooks-repo.ts';
import { attemptView, webhookView } from './webhook-views.ts';
import type { EndpointUrlPolicy } from '../notify/endpoint-url.ts';
import { ALL_EVENTS, isValidEventFilter } from '../notify/event-filter.ts';
import type { Redelivery } from '../notify/redelivery.ts';
import { rotateSecrets } from '../notify/secret-rotation.ts';
import { generateSecret } from '../notify/signing.ts';
import type { WebhookTester } from '../notify/webhook-tester.ts';
import { type SecretBox, sealedFor } from '../secret-box.ts';

export interface WebhooksApiDeps {
  clock: Clock;
  webhooks: Pick<WebhooksRepository, 'create' | 'get' | 'list' | 'update' | 'delete' | 'disable' | 'enable' | 'replaceSecrets'>;
  endpointUrls: Pick<EndpointUrlPolicy, 'problem'>;
  redelivery: Pick<Redelivery, 'resumePendingEndpoint'>;
  tester: Pick<WebhookTester, 'send'>;
  /** Seals each new signing secret before it is stored: the answer carries it in clear, the table never. */
  secretBox: Pick<SecretBox, 'seal'>;
}

const MAX_EVENT_FILTERS = 32;
const MAX_DESCRIPTION_LENGTH = 500;

const eventFilters = z.pipe(
  z
    .array(
      z
        .string()
        .check(z.refine(isValidEventFilter, 'must be a known event type, `*`, or a prefix wildcard such as `aggregation.*`')),
    )
    .check(z.minLength(1), z.maxLength(MAX_EVENT_FILTERS)),
  z.transform((filters: string[]) => [...new Set(filters)]),
);
const description = z.string().check(z.trim(), z.minLength(1), z.maxLength(MAX_DESCRIPTION_LENGTH));

export const createBody = z.strictObject({
  url: z.string(),
  event_types: z.optional(eventFilters),
  description: z.optional(description),
});

export const updateBody = z
  .strictObject({
    url: z.optional(z.string()),
    event_types: z.optional(eventFilters),
    description: z.optional(z.nullable(description)),
    enabled: z.optional(z.boolean()),
  })
  .check(
    z.refine(
      (body: object) => Object.keys(body).length > 0,
      'must change at least one of url, event_types, description, enabled',
    ),
  );

export const webhookPath = z.object({
  webhook_id: z.string().check(z.regex(WEBHOOK_ID_PATTERN, 'must be a webhook id (wh_…)')),
});

export const webhookNotFound = (id: string) => new HttpProblem('not_found', `No webhook ${id}.`);

/**
 * The `/webhooks` subscription operations. Subscriptions span all users, so only server keys manage them. A
 * secret leaves the service only in the answers to create and rotate-secret: receivers need it to verify.
 */
export function webhooksOperations(deps: WebhooksApiDeps): Operations {
  const { webhooks } = deps;
  const view = (subscription: Subscription) => webhookView(subscription, deps.clock.now());

  /** The URL rules, then the host's addresses: a 400 naming `url` either way. */
  async function assertEndpointUrl(url: string): Promise<void> {
    const problem = await deps.endpointUrls.problem(url);
    if (problem !== undefined) throw new HttpProblem('validation_failed', `body.url: ${problem}`, { field: 'url' });
  }

  async function subscriptionOf(request: AuthenticatedRequest): Promise<Subscription> {
    const { webhook_id } = parseInput(webhookPath, request.pathParams, 'path');
    const subscription = await webhooks.get(webhook_id);
    if (!subscription) throw webhookNotFound(webhook_id);
    return subscription;
  }

  /** Enables the subscription and queues what it missed while disabled. */
  async function enable(id: string) {
    const subscription = await webhooks.enable(id);
    if (!subscription) throw webhookNotFound(id);
    return { subscription, resumed: await deps.redelivery.resumePendingEndpoint(id) };
  }

  return {
    'POST /webhooks': {
      auth: 'api_key',
      access: 'server_key',
      async handle(request) {
        const body = parseInput(createBody, request.body, 'body');
        await assertEndpointUrl(body.url);
        const secret = generateSecret();
        const id = newWebhookId();
        const subscription = await webhooks.create({
          id,
          url: body.url,
          eventTypes: body.event_types ?? [ALL_EVENTS],
          ...(body.description === undefined ? {} : { description: body.description }),
          secret: await deps.secretBox.seal(secret, sealedFor.webhook(id)),
        });
        return {
          status: 201,
          headers: { location: `/webhooks/${subscription.id}` },
          body: { webhook: { ...view(subscription), secret } },
        };
      },
    },
    'GET /webhooks': {
      auth: 'api_key',
      access: 'server_key',
      async handle() {
        return { status: 200, body: { webhooks: (await webhooks.list()).map(view) } };
      },
    },
    'GET /webhooks/{webhook_id}': {
      auth: 'api_key',
      access: 'server_key',
      async handle(request) {
        return { status: 200, body: { webhook: view(await subscriptionOf(request)) } };
      },
    },
    'PATCH /webhooks/{webhook_id}': {
      auth: 'api_key',
      access: 'server_key',
      async handle(request) {
        const { webhook_id: id } = parseInput(webhookPath, request.pathParams, 'path');
        const body = parseInput(updateBody, request.body, 'body');
        if (body.url !== undefined) await assertEndpointUrl(body.url);
        const changes = {
          ...(body.url === undefined ? {} : { url: body.url }),
          ...(body.event_types === undefined ? {} : { eventTypes: body.event_types }),
          ...(body.description === undefined ? {} : { description: body.description }),
        };
        let subscription = await (Object.keys(changes).length > 0 ? webhooks.update(id, changes) : webhooks.get(id));
        if (!subscription) throw webhookNotFound(id);
        if (body.enabled === true) subscription = (await enable(id)).subscription;
        if (body.enabled === false && (await webhooks.disable(id, 'manual'))) subscription = await webhooks.get(id);
        if (!subscription) throw webhookNotFound(id);
        return { status: 200, body: { webhook: view(subscription) } };
      },
    },
    'DELETE /webhooks/{webhook_id}': {
      auth: 'api_key',
      access: 'server_key',
      async handle(request) {
        const { webhook_id } = parseInput(webhookPath, request.pathParams, 'path');
        if (!(await webhooks.delete(webhook_id))) throw webhookNotFound(webhook_id);
        return { status: 204 };
      },
    },
    'POST /webhooks/{webhook_id}/rotate-secret': {
      auth: 'api_key',
      access: 'server_key',
      async handle(request) {
        const current = await subscriptionOf(request);
        const secret = generateSecret();
        const rotated = await webhooks.replaceSecrets(
          current.id,
          rotateSecrets(current.secrets, await deps.secretBox.seal(secret, sealedFor.webhook(current.id)), deps.clock.now()),
          current.secrets[0]?.secret ?? '',
        );
        if (!rotated) throw new HttpProblem('conflict', 'The webhook changed while its secret was being rotated; retry.');
        return { status: 200, body: { webhook: { ...view(rotated), secret } } };
      },
    },
    'POST /webhooks/{webhook_id}/enable': {
      auth: 'api_key',
      access: 'server_key',
      async handle(request) {
        const { subscription, resumed } = await enable((await subscriptionOf(request)).id);
        return { status: 200, body: { webhook: view(subscription), resumed_deliveries: resumed } };
      },
    },
    'POST /webhooks/{webhook_id}/test': {
      auth: 'api_key',
      access: 'server_key',
      async handle(request) {
        const { msgId, at, outcome } = await deps.tester.send(await subscriptionOf(request));
        return {
          status: 200,
          body: { test: { msg_id: msgId, delivered: outcome.ok, attempt: attemptView({ at, ...outcome }) } },
        };
      },
    },
  };
}
