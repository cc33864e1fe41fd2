import * as z from '../zod.ts';
import { params } from '../identifiers.ts';
import type { Scheduled } from '../queue/delayed-queue.ts';

const visibleAscii = (max: number) =>
  z.string().check(z.regex(new RegExp(`^[\\x21-\\x7e]{1,${max}}$`), `must be 1–${max} visible ASCII characters`));

/** What an upstream system asks for: the EventBridge event's `detail`, or the whole SQS body. */
export const refreshRequestSchema = z.strictObject({
  user_id: params.userId,
  member_guid: params.memberGuid,
  include_holdings: z.optional(z.boolean()),
  include_transactions: z.optional(z.boolean()),
  /** The same key within 24 h starts at most one aggregation (as the HTTP `Idempotency-Key`). */
  idempotency_key: z.optional(visibleAscii(255)),
  /** Carried into our logs and the `aggregation.rejected` event. */
  correlation_id: z.optional(visibleAscii(128)),
});

export type RefreshRequestBody = z.output<typeof refreshRequestSchema>;

/** A request handed back by the rate cap and re-sent to the queue: our own message, recognised by `deferred`. */
export interface DeferredRefreshRequest extends Scheduled {
  deferred: RefreshRequestBody;
  /** The first id the request arrived with, kept across deferrals. */
  source_id: string;
  deferrals: number;
}

const deferredSchema = z.strictObject({
  deferred: refreshRequestSchema,
  source_id: z.string().check(z.minLength(1), z.maxLength(256)),
  deferrals: z.int().check(z.minimum(0)),
  due_at: z.number(),
});

export type InvalidReason = 'invalid_json' | 'invalid_request';

export type ParsedRefreshRequest =
  | {
      ok: true;
      request: RefreshRequestBody;
      /** The EventBridge event id (it may deliver an event twice), else the message id. */
      sourceId: string;
      deferrals: number;
    }
  | { ok: false; reason: InvalidReason; detail: string; field?: string };

/** An EventBridge event, a bare request, or a deferred re-send. Never throws: a bad body answers why, naming the field. */
export function parseRefreshRequestMessage(body: string, messageId: string): ParsedRefreshRequest {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return { ok: false, reason: 'invalid_json', detail: 'The body is not JSON.' };
  }

  if (isRecord(json) && 'deferred' in json) {
    const deferred = deferredSchema.safeParse(json);
    if (!deferred.success) return invalid(deferred.error);
    return { ok: true, request: deferred.data.deferred, sourceId: deferred.data.source_id, deferrals: deferred.data.deferrals };
  }

  const event = isRecord(json) && 'detail-type' in json && 'detail' in json ? json : undefined;
  const request = refreshRequestSchema.safeParse(event ? event.detail : json);
  if (!request.success) return invalid(request.error, event ? ['detail'] : []);
  const eventId = typeof event?.id === 'string' && event.id !== '' ? event.id : undefined;
  return { ok: true, request: request.data, sourceId: eventId ?? messageId, deferrals: 0 };
}

function invalid(error: z.core.$ZodError, prefix: PropertyKey[] = []): ParsedRefreshRequest {
  const issue = error.issues[0]!;
  // An unknown key is reported on its parent object; name the key itself.
  const segments = [...prefix, ...issue.path, ...(issue.code === 'unrecognized_keys' ? [issue.keys[0]!] : [])];
  const field = segments.map(String).join('.');
  return field === ''
    ? { ok: false, reason: 'invalid_request', detail: `The body is not a refresh request: ${issue.message}` }
    : { ok: false, reason: 'invalid_request', detail: `${field}: ${issue.message}`, field };
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
