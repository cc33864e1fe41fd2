import * as z from '../zod.ts';
import { idempotentWrites } from '../http/idempotency.ts';
import type { Operations } from '../http/http-handler.ts';
import type { OperationsDocs } from '../http/openapi/operation-docs.ts';
import { responseSchemas } from '../http/openapi/response-schemas.ts';
import type { Services } from '../services/container.ts';
import { notifier } from '../services/notifier.ts';
import { idempotency } from '../services/store.ts';
import { deliveriesOperations, deliveryPath, listQuery, replayRangeBody } from './webhook-deliveries.ts';
import { createBody, updateBody, webhookPath, webhooksOperations } from './webhook-subscriptions.ts';

/**
 * The api-webhooks function: webhook subscriptions (create, list, read, update, delete, rotate-secret, enable, test)
 * and their delivery log and replays. The test operation waits for one attempt, so this function's timeout must
 * exceed WEBHOOK_TIMEOUT_MS.
 */
export function operations(services: Services): Operations {
  return idempotentWrites(
    { ...webhooksOperations(notifier(services)), ...deliveriesOperations(notifier(services)) },
    // Create and rotate-secret answer with the new signing secret: their stored answers are sealed like the secrets.
    { ...idempotency(services), sealBodies: notifier(services).secretBox },
  );
}

export function docs(): OperationsDocs {
  const { attempt, delivery, webhook, webhookWithSecret } = responseSchemas();
  const webhookAnswer = z.strictObject({ webhook });
  const nextCursor = z.optional(z.string()).check(z.describe('Pass as `cursor` to continue; absent on the last page'));
  return {
    'POST /webhooks': {
      body: createBody,
      responses: {
        201: {
          description: 'The subscription, with its signing secret (shown only here and by rotate-secret)',
          body: z.strictObject({ webhook: webhookWithSecret }),
          headers: { location: '`/webhooks/{webhook_id}`' },
        },
      },
      problems: ['forbidden'],
    },
    'GET /webhooks': {
      responses: { 200: { description: 'Every subscription', body: z.strictObject({ webhooks: z.array(webhook) }) } },
      problems: ['forbidden'],
    },
    'GET /webhooks/{webhook_id}': {
      path: webhookPath,
      responses: { 200: { description: 'The subscription', body: webhookAnswer } },
      problems: ['forbidden', 'not_found'],
    },
    'PATCH /webhooks/{webhook_id}': {
      path: webhookPath,
      body: updateBody,
      responses: { 200: { description: 'The changed subscription', body: webhookAnswer } },
      problems: ['forbidden', 'not_found'],
    },
    'DELETE /webhooks/{webhook_id}': {
      path: webhookPath,
      responses: { 204: { description: 'Deleted' } },
      problems: ['forbidden', 'not_found'],
    },
    'POST /webhooks/{webhook_id}/rotate-secret': {
      path: webhookPath,
      responses: {
        200: { description: 'The subscription with its new secret', body: z.strictObject({ webhook: webhookWithSecret }) },
      },
      problems: ['forbidden', 'not_found', 'conflict'],
    },
    'POST /webhooks/{webhook_id}/enable': {
      path: webhookPath,
      responses: {
        200: {
          description: 'The enabled subscription and how many missed deliveries were queued',
          body: z.strictObject({ webhook, resumed_deliveries: z.int() }),
        },
      },
      problems: ['forbidden', 'not_found'],
    },
    'POST /webhooks/{webhook_id}/test': {
      path: webhookPath,
      responses: {
        200: {
          description: 'The outcome of one webhook.test attempt (not queued, not logged)',
          body: z.strictObject({ test: z.strictObject({ msg_id: z.string(), delivered: z.boolean(), attempt }) }),
        },
      },
      problems: ['forbidden', 'not_found'],
    },
    'GET /webhooks/{webhook_id}/deliveries': {
      path: webhookPath,
      query: listQuery,
      responses: {
        200: {
          description: 'The delivery log, newest first',
          body: z.strictObject({ deliveries: z.array(delivery), next_cursor: nextCursor }),
        },
      },
      problems: ['forbidden', 'not_found', 'invalid_cursor'],
    },
    'POST /webhooks/{webhook_id}/deliveries/{msg_id}/replay': {
      path: deliveryPath,
      responses: {
        202: { description: 'The delivery, queued again under its original webhook-id', body: z.strictObject({ delivery }) },
      },
      problems: ['forbidden', 'not_found', 'conflict'],
    },
    'POST /webhooks/{webhook_id}/replay': {
      path: webhookPath,
      body: replayRangeBody,
      responses: {
        202: {
          description: 'How many deliveries of the range were queued again; continue from next_cursor when present',
          body: z.strictObject({ replayed: z.int(), skipped: z.int(), next_cursor: nextCursor }),
        },
      },
      problems: ['forbidden', 'not_found', 'conflict', 'invalid_cursor'],
    },
  };
}
