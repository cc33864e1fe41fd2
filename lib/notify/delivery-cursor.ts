import * as z from '../zod.ts';
import type { DeliveryLogPosition } from './deliveries-repo.ts';
import type { DeliveryFilter } from './delivery.ts';
import { InvalidCursorError } from '../errors.ts';
import { decodeCursor as decodeKey, encodeCursor as encodeKey } from '../store/cursor.ts';
import { EVENT_ID_PATTERN } from '../events.ts';

/** `{created_at}#{msg_id}`, created_at exactly as toIso writes it. */
const LOG_POSITION = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z)#(.+)$/;

const cursorSchema = z.strictObject({ webhook_id: z.string(), position: z.string() });

/** The opaque `cursor` of a delivery-log page. */
export const encodeCursor = (webhookId: string, position: DeliveryLogPosition): string =>
  encodeKey({ webhook_id: webhookId, position });

/** Accepted only as a position in the log of `webhookId`, inside the filter's time range. */
export function decodeCursor(
  cursor: string,
  webhookId: string,
  filter: Pick<DeliveryFilter, 'since' | 'until'>,
): DeliveryLogPosition {
  const { webhook_id, position } = decodeKey(cursor, cursorSchema);
  const [, , msgId] = LOG_POSITION.exec(position) ?? [];
  if (msgId === undefined || !EVENT_ID_PATTERN.test(msgId)) throw new InvalidCursorError('not a cursor');
  if (webhook_id !== webhookId) throw new InvalidCursorError('it belongs to another webhook');
  if ((filter.since !== undefined && position < filter.since) || (filter.until !== undefined && position >= filter.until)) {
    throw new InvalidCursorError('it lies outside since/until');
  }
  return position;
}
