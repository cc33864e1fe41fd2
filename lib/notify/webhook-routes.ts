import * as z from '../zod.ts';
import type { Clock } from '../clock.ts';
import type { AuthenticatedRequest, HttpResponse } from '../http/route.ts';
import { HttpProblem } from '../http/problem.ts';
import type { Route } from '../http/route.ts';
import { parseInput } from '../http/validation.ts';
import { type SecretBox, sealedFor } from '../secret-box.ts';
import { newWebhookId, type Webhook, WEBHOOK_ID_PATTERN, type WebhooksRepository } from './webhooks-repo.ts';
import type { EndpointUrlPolicy } from './endpoint-url.ts';
import { ALL_EVENTS, isValidEventFilter } from './event-filter.ts';
import type { Redelivery } from './redelivery.ts';
import { rotateSecrets } from './secret-rotation.ts';
import { generateSecret } from './signing.ts';
import { attemptSchema, attemptView, webhookSchema, webhookView, webhookWithSecretSchema } from './webhook-views.ts';
import type { WebhookTester } from './webhook-tester.ts';

/** What api-webhooks gives the webhook routes. */
export interface WebhookRouteDeps {
  clock: Clock;
  webhooks: Pick<
    WebhooksRepository,
    'create' | 'get' | 'list' | 'update' | 'delete' | 'disable' | 'enable' | 'replaceSecrets' | 'probeNow'
  >;
  endpointUrls: Pick<EndpointUrlPolicy, 'problem'>;
  redelivery: Pick<Redelivery, 'resumeWaiting'>;
  tester: Pick<WebhookTester, 'send'>;
  /** The answer carries a new secret in clear, the table never. */
  secretBox: Pick<SecretBox, 'seal'>;
}

const MAX_EVENT_FILTERS = 32;
const MAX_DESCRIPTION_LENGTH = 500;
/** What one webhook can take. */
const MAX_DELIVERIES_PER_SECOND = 3_000;

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
const maxDeliveriesPerSecond = z
  .int()
  .check(
    z.minimum(1),
    z.maximum(MAX_DELIVERIES_PER_SECOND),
    z.describe('Attempts a second at most: past it, attempts wait their turn (not failures)'),
  );

const createBody = z.strictObject({
  url: z.string(),
  event_types: z.optional(eventFilters),
  description: z.optional(description),
  max_deliveries_per_second: z.optional(maxDeliveriesPerSecond),
});

const updateBody = z
  .strictObject({
    url: z.optional(z.string()),
    event_types: z.optional(eventFilters),
    description: z.optional(z.nullable(description)),
    max_deliveries_per_second: z.optional(z.nullable(maxDeliveriesPerSecond)),
    enabled: z.optional(z.boolean()),
  })
  .check(
    z.refine(
      (body: object) => Object.keys(body).length > 0,
      'must change at least one of url, event_types, description, max_deliveries_per_second, enabled',
    ),
  );

export const webhookPath = z.object({
  webhook_id: z.string().check(z.regex(WEBHOOK_ID_PATTERN, 'must be a webhook id (wh_…)')),
});

export const webhookNotFound = (id: string) => new HttpProblem('not_found', `No webhook ${id}.`);

const view = (webhook: Webhook, deps: WebhookRouteDeps) => webhookView(webhook, deps.clock.now());

async function assertEndpointUrl(url: string, deps: WebhookRouteDeps): Promise<void> {
  const problem = await deps.endpointUrls.problem(url);
  if (problem !== undefined) throw new HttpProblem('validation_failed', `body.url: ${problem}`, { field: 'url' });
}

async function webhookOf(request: AuthenticatedRequest, deps: WebhookRouteDeps): Promise<Webhook> {
  const { webhook_id } = parseInput(webhookPath, request.pathParams, 'path');
  const webhook = await deps.webhooks.get(webhook_id);
  if (!webhook) throw webhookNotFound(webhook_id);
  return webhook;
}

async function enable(id: string, deps: WebhookRouteDeps) {
  const webhook = await deps.webhooks.enable(id);
  if (!webhook) throw webhookNotFound(id);
  await deps.webhooks.probeNow(id);
  return { webhook, resumed: await deps.redelivery.resumeWaiting(webhook) };
}

/** A server-key route of `/webhooks`: webhooks span all users, so only server keys manage them. */
const webhookRoute = (
  route: Pick<Route<WebhookRouteDeps>, 'method' | 'path' | 'summary' | 'docs'> & {
    handle: (request: AuthenticatedRequest, deps: WebhookRouteDeps) => Promise<HttpResponse>;
  },
): Route<WebhookRouteDeps> => ({ ...route, fn: 'api-webhooks', auth: 'api_key', access: 'server_key' });

const webhookAnswer = () => z.strictObject({ webhook: webhookSchema });

/** A secret leaves the service only in the answers to create and rotate-secret. */
export const WEBHOOK_ROUTES: readonly Route<WebhookRouteDeps>[] = [
  webhookRoute({
    method: 'POST',
    path: '/webhooks',
    summary: 'Subscribe an endpoint to events',
    async handle(request, deps) {
      const body = parseInput(createBody, request.body, 'body');
      await assertEndpointUrl(body.url, deps);
      const secret = generateSecret();
      const id = newWebhookId();
      const webhook = await deps.webhooks.create({
        id,
        url: body.url,
        eventTypes: body.event_types ?? [ALL_EVENTS],
        ...(body.description === undefined ? {} : { description: body.description }),
        ...(body.max_deliveries_per_second === undefined ? {} : { maxDeliveriesPerSecond: body.max_deliveries_per_second }),
        secret: await deps.secretBox.seal(secret, sealedFor.webhook(id)),
      });
      return {
        status: 201,
        headers: { location: `/webhooks/${webhook.id}` },
        body: { webhook: { ...view(webhook, deps), secret } },
      };
    },
    docs: () => ({
      body: createBody,
      responses: {
        201: {
          description: 'The webhook, with its signing secret (shown only here and by rotate-secret)',
          body: z.strictObject({ webhook: webhookWithSecretSchema }),
          headers: { location: '`/webhooks/{webhook_id}`' },
        },
      },
      problems: ['forbidden'],
    }),
  }),
  webhookRoute({
    method: 'GET',
    path: '/webhooks',
    summary: 'List webhooks',
    async handle(_request, deps) {
      return { status: 200, body: { webhooks: (await deps.webhooks.list()).map((s) => view(s, deps)) } };
    },
    docs: () => ({
      responses: {
        200: { description: 'Every webhook', body: z.strictObject({ webhooks: z.array(webhookSchema) }) },
      },
      problems: ['forbidden'],
    }),
  }),
  webhookRoute({
    method: 'GET',
    path: '/webhooks/{webhook_id}',
    summary: 'Read a webhook',
    async handle(request, deps) {
      return { status: 200, body: { webhook: view(await webhookOf(request, deps), deps) } };
    },
    docs: () => ({
      path: webhookPath,
      responses: { 200: { description: 'The webhook', body: webhookAnswer() } },
      problems: ['forbidden', 'not_found'],
    }),
  }),
  webhookRoute({
    method: 'PATCH',
    path: '/webhooks/{webhook_id}',
    summary: 'Change url, event types, description, rate or enabled',
    async handle(request, deps) {
      const { webhooks } = deps;
      const { webhook_id: id } = parseInput(webhookPath, request.pathParams, 'path');
      const body = parseInput(updateBody, request.body, 'body');
      if (body.url !== undefined) await assertEndpointUrl(body.url, deps);
      const changes = {
        ...(body.url === undefined ? {} : { url: body.url }),
        ...(body.event_types === undefined ? {} : { eventTypes: body.event_types }),
        ...(body.description === undefined ? {} : { description: body.description }),
        ...(body.max_deliveries_per_second === undefined ? {} : { maxDeliveriesPerSecond: body.max_deliveries_per_second }),
      };
      let webhook = await (Object.keys(changes).length > 0 ? webhooks.update(id, changes) : webhooks.get(id));
      if (!webhook) throw webhookNotFound(id);
      if (body.enabled === true) webhook = (await enable(id, deps)).webhook;
      // A new URL is a new endpoint, its breaker closed: what was held for the old one goes to it.
      else if (body.url !== undefined && webhook.status === 'enabled') await deps.redelivery.resumeWaiting(webhook);
      if (body.enabled === false && (await webhooks.disable(id, 'manual'))) webhook = await webhooks.get(id);
      if (!webhook) throw webhookNotFound(id);
      return { status: 200, body: { webhook: view(webhook, deps) } };
    },
    docs: () => ({
      path: webhookPath,
      body: updateBody,
      responses: { 200: { description: 'The changed webhook', body: webhookAnswer() } },
      problems: ['forbidden', 'not_found'],
    }),
  }),
  webhookRoute({
    method: 'DELETE',
    path: '/webhooks/{webhook_id}',
    summary: 'Delete a webhook',
    async handle(request, deps) {
      const { webhook_id } = parseInput(webhookPath, request.pathParams, 'path');
      if (!(await deps.webhooks.delete(webhook_id))) throw webhookNotFound(webhook_id);
      return { status: 204 };
    },
    docs: () => ({
      path: webhookPath,
      responses: { 204: { description: 'Deleted' } },
      problems: ['forbidden', 'not_found'],
    }),
  }),
  webhookRoute({
    method: 'POST',
    path: '/webhooks/{webhook_id}/rotate-secret',
    summary: 'New signing secret; the old one signs for 24 h more',
    async handle(request, deps) {
      const current = await webhookOf(request, deps);
      const secret = generateSecret();
      const rotated = await deps.webhooks.replaceSecrets(
        current.id,
        rotateSecrets(current.secrets, await deps.secretBox.seal(secret, sealedFor.webhook(current.id)), deps.clock.now()),
        current.secrets[0]?.secret ?? '',
      );
      if (!rotated) throw new HttpProblem('conflict', 'The webhook changed while its secret was being rotated; retry.');
      return { status: 200, body: { webhook: { ...view(rotated, deps), secret } } };
    },
    docs: () => ({
      path: webhookPath,
      responses: {
        200: {
          description: 'The webhook with its new secret',
          body: z.strictObject({ webhook: webhookWithSecretSchema }),
        },
      },
      problems: ['forbidden', 'not_found', 'conflict'],
    }),
  }),
  webhookRoute({
    method: 'POST',
    path: '/webhooks/{webhook_id}/enable',
    summary: 'Enable a webhook and deliver what it missed',
    async handle(request, deps) {
      const { webhook, resumed } = await enable((await webhookOf(request, deps)).id, deps);
      return { status: 200, body: { webhook: view(webhook, deps), resumed_deliveries: resumed } };
    },
    docs: () => ({
      path: webhookPath,
      responses: {
        200: {
          description:
            'The enabled webhook and how many deliveries waiting for it (missed while disabled, or due for a later retry) were queued',
          body: z.strictObject({ webhook: webhookSchema, resumed_deliveries: z.int() }),
        },
      },
      problems: ['forbidden', 'not_found'],
    }),
  }),
  webhookRoute({
    method: 'POST',
    path: '/webhooks/{webhook_id}/test',
    summary: 'Send a webhook.test event and report the attempt',
    async handle(request, deps) {
      const { msgId, at, outcome } = await deps.tester.send(await webhookOf(request, deps));
      return {
        status: 200,
        body: { test: { msg_id: msgId, delivered: outcome.ok, attempt: attemptView({ at, ...outcome }) } },
      };
    },
    docs: () => ({
      path: webhookPath,
      responses: {
        200: {
          description: 'The outcome of one webhook.test attempt (not queued, not logged)',
          body: z.strictObject({
            test: z.strictObject({ msg_id: z.string(), delivered: z.boolean(), attempt: attemptSchema }),
          }),
        },
      },
      problems: ['forbidden', 'not_found'],
    }),
  }),
];
