import * as z from '../zod.ts';
import { type DeliveryLogKey, deliveryLogKey } from './deliveries-repo.ts';
import type { DeliveryFilter } from './delivery.ts';
import { InvalidCursorError } from '../errors.ts';
import { decodeCursor as decodeKey, encodeCursor as encodeKey } from '../store/cursor.ts';
import { EVENT_ID_PATTERN } from './events.ts';

/** `{created_at}#{msg_id}`, created_at exactly as toIso writes it. */
const LOG_SORT_KEY = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z)#(.+)$/;

const keySchema = z.strictObject({ pk: z.string(), sk: z.string(), gsi1pk: z.string(), gsi1sk: z.string() });

/** The opaque `cursor` of a delivery-log page: base64url of the log key where the next page starts. */
export const encodeCursor = (key: DeliveryLogKey): string => encodeKey({ ...key });

/**
 * The log key in `cursor`, accepted only when it is exactly the key of a delivery of `webhookId` inside the
 * filter's time range: a cursor cannot reach another webhook's log, nor start outside the range asked for.
 */
export function decodeCursor(cursor: string, webhookId: string, filter: Pick<DeliveryFilter, 'since' | 'until'>): DeliveryLogKey {
  const key = decodeKey(cursor, keySchema);
  const [, createdAt, msgId] = LOG_SORT_KEY.exec(key.gsi1sk) ?? [];
  if (createdAt === undefined || msgId === undefined || !EVENT_ID_PATTERN.test(msgId)) {
    throw new InvalidCursorError('not a cursor');
  }
  const expected = deliveryLogKey(webhookId, msgId, createdAt);
  if (key.pk !== expected.pk || key.sk !== expected.sk || key.gsi1pk !== expected.gsi1pk) {
    throw new InvalidCursorError('it belongs to another webhook');
  }
  if ((filter.since !== undefined && key.gsi1sk < filter.since) || (filter.until !== undefined && key.gsi1sk >= filter.until)) {
    throw new InvalidCursorError('it lies outside since/until');
  }
  return expected;
}
