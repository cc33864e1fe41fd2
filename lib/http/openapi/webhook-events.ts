import * as z from '../../zod.ts';
import { EVENTS, TEST_EVENT_TYPE } from '../../notify/events.ts';

/** The bodies nexus-relay POSTs to webhook endpoints (the document's `webhooks`), one per event type. */
const instant = z.iso.datetime().check(z.describe('ISO 8601, UTC: when the event happened'));

const envelope = (type: string, data: z.ZodMiniType) => z.strictObject({ type: z.literal(type), timestamp: instant, data });

export interface WebhookEventDocs {
  summary: string;
  body: z.ZodMiniType;
}

export const WEBHOOK_EVENTS: Readonly<Record<string, WebhookEventDocs>> = {
  ...Object.fromEntries(
    Object.entries(EVENTS).map(([type, { summary, data }]) => [type, { summary, body: envelope(type, data) }]),
  ),
  [TEST_EVENT_TYPE]: {
    summary: 'Sent only by POST /webhooks/{webhook_id}/test, whatever the webhook’s event types',
    body: envelope(TEST_EVENT_TYPE, z.strictObject({ webhook_id: z.string() })),
  },
};
