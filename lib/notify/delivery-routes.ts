import * as z from '../zod.ts';
import { toIso } from '../clock.ts';
import type { AuthenticatedRequest } from '../http/route.ts';
import { HttpProblem } from '../http/problem.ts';
import type { Route } from '../http/route.ts';
import { parseInput } from '../http/validation.ts';
import type { DeliveryLogReader } from './delivery-log.ts';
import { DELIVERY_STATUSES, type DeliveryFilter } from './delivery.ts';
import type { Webhook, WebhooksRepository } from './webhooks-repo.ts';
import { decodeCursor, encodeCursor } from './delivery-cursor.ts';
import { EVENT_ID_PATTERN } from '../events.ts';
import type { Redelivery } from './redelivery.ts';
import { webhookNotFound, webhookPath } from './webhook-routes.ts';
import { deliverySchema, deliveryView } from './webhook-views.ts';

/** What api-webhooks gives the delivery routes. */
export interface DeliveryRouteDeps {
  webhooks: Pick<WebhooksRepository, 'get' | 'probeNow'>;
  deliveryLog: Pick<DeliveryLogReader, 'page'>;
  redelivery: Pick<Redelivery, 'replay' | 'replayRange'>;
}

const DEFAULT_PAGE_SIZE = 50;
const MAX_PAGE_SIZE = 100;

/** Normalised to the form the log's sort keys use, so bounds compare as times. */
const instant = z.pipe(
  z.iso.datetime({ offset: true }),
  z.transform((value: string) => toIso(Date.parse(value))),
);
const status = z.enum(DELIVERY_STATUSES);
const untilAfterSince = (range: { since?: string; until?: string }) =>
  range.since === undefined || range.until === undefined || range.since < range.until;
const untilAfterSinceIssue = { message: 'must be later than since', path: ['until'] };

const listQuery = z
  .strictObject({
    status: z.optional(status),
    since: z.optional(instant),
    until: z.optional(instant),
    cursor: z.optional(z.string()),
    limit: z._default(z.coerce.number().check(z.int(), z.minimum(1), z.maximum(MAX_PAGE_SIZE)), DEFAULT_PAGE_SIZE),
  })
  .check(z.refine(untilAfterSince, untilAfterSinceIssue));

const replayRangeBody = z
  .strictObject({ since: instant, until: instant, status: z.optional(status), cursor: z.optional(z.string()) })
  .check(z.refine(untilAfterSince, untilAfterSinceIssue));

const deliveryPath = z.extend(webhookPath, {
  msg_id: z.string().check(z.regex(EVENT_ID_PATTERN, 'must be a message id')),
});

const webhookIdOf = (request: AuthenticatedRequest): string => parseInput(webhookPath, request.pathParams, 'path').webhook_id;

async function webhookOf(webhook_id: string, { enabled }: { enabled: boolean }, deps: DeliveryRouteDeps): Promise<Webhook> {
  const webhook = await deps.webhooks.get(webhook_id);
  if (!webhook) throw webhookNotFound(webhook_id);
  if (enabled && webhook.status === 'disabled') {
    throw new HttpProblem(
      'conflict',
      `Webhook ${webhook_id} is disabled; enabling it (POST /webhooks/${webhook_id}/enable) delivers what it missed.`,
    );
  }
  // A replay asks for an attempt now: one held by the endpoint's breaker probes it at once.
  if (enabled) await deps.webhooks.probeNow(webhook_id);
  return webhook;
}

const cursorKey = (cursor: string | undefined, webhookId: string, filter: DeliveryFilter) =>
  cursor === undefined ? undefined : decodeCursor(cursor, webhookId, filter);

const nextCursor = () => z.optional(z.string()).check(z.describe('Pass as `cursor` to continue; absent on the last page'));

/** The delivery log and replays; replays send the original body under the original `webhook-id`, so receivers dedupe. */
export const DELIVERY_ROUTES: readonly Route<DeliveryRouteDeps>[] = [
  {
    method: 'GET',
    path: '/webhooks/{webhook_id}/deliveries',
    fn: 'api-webhooks',
    summary: 'The delivery log, newest first, with attempts',
    auth: 'api_key',
    access: 'server_key',
    query: 'parsed',
    async handle(request, deps) {
      const id = webhookIdOf(request);
      const query = parseInput(listQuery, request.query, 'query');
      const webhook = await webhookOf(id, { enabled: false }, deps);
      const filter = { status: query.status, since: query.since, until: query.until };
      const page = await deps.deliveryLog.page(webhook, filter, {
        order: 'newest_first',
        limit: query.limit,
        after: cursorKey(query.cursor, id, filter),
      });
      return {
        status: 200,
        body: {
          deliveries: page.deliveries.map(deliveryView),
          ...(page.next ? { next_cursor: encodeCursor(id, page.next) } : {}),
        },
      };
    },
    docs: () => ({
      path: webhookPath,
      query: listQuery,
      responses: {
        200: {
          description: 'The delivery log, newest first',
          body: z.strictObject({ deliveries: z.array(deliverySchema), next_cursor: nextCursor() }),
        },
      },
      problems: ['forbidden', 'not_found', 'invalid_cursor'],
    }),
  },
  {
    method: 'POST',
    path: '/webhooks/{webhook_id}/deliveries/{msg_id}/replay',
    fn: 'api-webhooks',
    summary: 'Send one delivery again',
    auth: 'api_key',
    access: 'server_key',
    async handle(request, deps) {
      const { webhook_id: id, msg_id } = parseInput(deliveryPath, request.pathParams, 'path');
      const webhook = await webhookOf(id, { enabled: true }, deps);
      const delivery = await deps.redelivery.replay(webhook, msg_id);
      if (!delivery) throw new HttpProblem('not_found', `No delivery ${msg_id} for webhook ${id}.`);
      return { status: 202, body: { delivery: deliveryView(delivery) } };
    },
    docs: () => ({
      path: deliveryPath,
      responses: {
        202: {
          description: 'The delivery, queued again under its original webhook-id',
          body: z.strictObject({ delivery: deliverySchema }),
        },
      },
      problems: ['forbidden', 'not_found', 'conflict'],
    }),
  },
  {
    method: 'POST',
    path: '/webhooks/{webhook_id}/replay',
    fn: 'api-webhooks',
    summary: 'Send the deliveries of a time range again',
    auth: 'api_key',
    access: 'server_key',
    async handle(request, deps) {
      const id = webhookIdOf(request);
      const body = parseInput(replayRangeBody, request.body, 'body');
      const webhook = await webhookOf(id, { enabled: true }, deps);
      const filter = { status: body.status, since: body.since, until: body.until };
      const result = await deps.redelivery.replayRange(webhook, filter, cursorKey(body.cursor, id, filter));
      return {
        status: 202,
        body: {
          replayed: result.replayed,
          skipped: result.skipped,
          ...(result.next ? { next_cursor: encodeCursor(id, result.next) } : {}),
        },
      };
    },
    docs: () => ({
      path: webhookPath,
      body: replayRangeBody,
      responses: {
        202: {
          description: 'How many deliveries of the range were queued again; continue from next_cursor when present',
          body: z.strictObject({ replayed: z.int(), skipped: z.int(), next_cursor: nextCursor() }),
        },
      },
      problems: ['forbidden', 'not_found', 'conflict', 'invalid_cursor'],
    }),
  },
];
