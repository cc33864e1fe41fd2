import * as z from 'zod';
import { NexusRelayError } from '../errors.ts';
import { type DeliveryFilter, type DeliveryLogKey, deliveryLogKey } from '../store/deliveries-repo.ts';
import { EVENT_ID_PATTERN } from './events.ts';

/** A cursor that is not one this service issued for this subscription and range. */
export class InvalidCursorError extends NexusRelayError {
  constructor(reason: string) {
    super('NOTIFY_INVALID_CURSOR', `The cursor is not valid here: ${reason}.`);
    this.name = 'InvalidCursorError';
  }
}

const MAX_CURSOR_LENGTH = 1024;
const BASE64URL = /^[A-Za-z0-9_-]+$/;
/** `{created_at}#{msg_id}`, created_at exactly as toIso writes it. */
const LOG_SORT_KEY = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z)#(.+)$/;

const keySchema = z.strictObject({ pk: z.string(), sk: z.string(), gsi1pk: z.string(), gsi1sk: z.string() });

/** The opaque `cursor` of a delivery-log page: base64url of the log key where the next page starts. */
export const encodeCursor = (key: DeliveryLogKey): string => Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');

/**
 * The log key in `cursor`, accepted only when it is exactly the key of a delivery of `webhookId` inside the
 * filter's time range: a cursor cannot reach another subscription's log, nor start outside the range asked for.
 */
export function decodeCursor(cursor: string, webhookId: string, filter: Pick<DeliveryFilter, 'since' | 'until'>): DeliveryLogKey {
  if (cursor.length > MAX_CURSOR_LENGTH || !BASE64URL.test(cursor)) throw new InvalidCursorError('not base64url');
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new InvalidCursorError('not a cursor');
  }
  const parsed = keySchema.safeParse(decoded);
  if (!parsed.success) throw new InvalidCursorError('not a cursor');
  const key = parsed.data;
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
