import * as z from '../zod.ts';
import { toIso } from '../clock.ts';
import type { AuthenticatedRequest, Operations } from '../http/http-handler.ts';
import { HttpProblem } from '../http/problem.ts';
import { parseInput } from '../http/validation.ts';
import { DELIVERY_STATUSES, type DeliveriesRepository, type DeliveryFilter } from '../store/deliveries-repo.ts';
import type { Subscription, WebhooksRepository } from '../store/webhooks-repo.ts';
import { deliveryView } from './webhook-views.ts';
import { decodeCursor, encodeCursor } from '../notify/delivery-cursor.ts';
import { EVENT_ID_PATTERN } from '../notify/events.ts';
import type { Redelivery } from '../notify/redelivery.ts';
import { webhookNotFound, webhookPath } from './webhook-subscriptions.ts';

export interface DeliveriesApiDeps {
  webhooks: Pick<WebhooksRepository, 'get'>;
  deliveries: Pick<DeliveriesRepository, 'page'>;
  redelivery: Pick<Redelivery, 'replay' | 'replayRange'>;
}

const DEFAULT_PAGE_SIZE = 50;
const MAX_PAGE_SIZE = 100;

/** An ISO 8601 instant, normalised to the form the log's sort keys use so that bounds compare as times. */
const instant = z.pipe(
  z.iso.datetime({ offset: true }),
  z.transform((value: string) => toIso(Date.parse(value))),
);
const status = z.enum(DELIVERY_STATUSES);
const untilAfterSince = (range: { since?: string; until?: string }) =>
  range.since === undefined || range.until === undefined || range.since < range.until;
const untilAfterSinceIssue = { message: 'must be later than since', path: ['until'] };

export const listQuery = z
  .strictObject({
    status: z.optional(status),
    since: z.optional(instant),
    until: z.optional(instant),
    cursor: z.optional(z.string()),
    limit: z._default(z.coerce.number().check(z.int(), z.minimum(1), z.maximum(MAX_PAGE_SIZE)), DEFAULT_PAGE_SIZE),
  })
  .check(z.refine(untilAfterSince, untilAfterSinceIssue));

export const replayRangeBody = z
  .strictObject({ since: instant, until: instant, status: z.optional(status), cursor: z.optional(z.string()) })
  .check(z.refine(untilAfterSince, untilAfterSinceIssue));

export const deliveryPath = z.extend(webhookPath, {
  msg_id: z.string().check(z.regex(EVENT_ID_PATTERN, 'must be a message id')),
});

/**
 * The delivery log and replays under `/webhooks/{webhook_id}`. Listing is newest first with an opaque cursor;
 * replays send the original body under the original `webhook-id`, so receivers can deduplicate.
 */
export function deliveriesOperations(deps: DeliveriesApiDeps): Operations {
  function webhookIdOf(request: AuthenticatedRequest): string {
    return parseInput(webhookPath, request.pathParams, 'path').webhook_id;
  }

  /** The subscription, which must exist (404) and, to replay, be enabled (409). */
  async function subscriptionOf(webhook_id: string, { enabled }: { enabled: boolean }): Promise<Subscription> {
    const subscription = await deps.webhooks.get(webhook_id);
    if (!subscription) throw webhookNotFound(webhook_id);
    if (enabled && subscription.status === 'disabled') {
      throw new HttpProblem(
        'conflict',
        `Webhook ${webhook_id} is disabled; enabling it (POST /webhooks/${webhook_id}/enable) delivers what it missed.`,
      );
    }
    return subscription;
  }

  const cursorKey = (cursor: string | undefined, webhookId: string, filter: DeliveryFilter) =>
    cursor === undefined ? undefined : decodeCursor(cursor, webhookId, filter);

  return {
    'GET /webhooks/{webhook_id}/deliveries': {
      auth: 'api_key',
      access: 'server_key',
      query: 'parsed',
      async handle(request) {
        const id = webhookIdOf(request);
        const query = parseInput(listQuery, request.query, 'query');
        await subscriptionOf(id, { enabled: false });
        const filter = { status: query.status, since: query.since, until: query.until };
        const page = await deps.deliveries.page(id, filter, {
          order: 'newest_first',
          limit: query.limit,
          after: cursorKey(query.cursor, id, filter),
        });
        return {
          status: 200,
          body: {
            deliveries: page.deliveries.map(deliveryView),
            ...(page.next ? { next_cursor: encodeCursor(page.next) } : {}),
          },
        };
      },
    },
    'POST /webhooks/{webhook_id}/deliveries/{msg_id}/replay': {
      auth: 'api_key',
      access: 'server_key',
      async handle(request) {
        const { webhook_id: id, msg_id } = parseInput(deliveryPath, request.pathParams, 'path');
        await subscriptionOf(id, { enabled: true });
        // A delivery at its attempt limit is a conflict (AttemptLimitError), mapped like every domain error.
        const delivery = await deps.redelivery.replay(id, msg_id);
        if (!delivery) throw new HttpProblem('not_found', `No delivery ${msg_id} for webhook ${id}.`);
        return { status: 202, body: { delivery: deliveryView(delivery) } };
      },
    },
    'POST /webhooks/{webhook_id}/replay': {
      auth: 'api_key',
      access: 'server_key',
      async handle(request) {
        const id = webhookIdOf(request);
        const body = parseInput(replayRangeBody, request.body, 'body');
        await subscriptionOf(id, { enabled: true });
        const filter = { status: body.status, since: body.since, until: body.until };
        const result = await deps.redelivery.replayRange(id, filter, cursorKey(body.cursor, id, filter));
        return {
          status: 202,
          body: {
            replayed: result.replayed,
            skipped: result.skipped,
            ...(result.next ? { next_cursor: encodeCursor(result.next) } : {}),
          },
        };
      },
    },
  };
}
