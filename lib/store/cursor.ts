import type * as z from '../zod.ts';
import { InvalidCursorError } from '../errors.ts';

const MAX_CURSOR_LENGTH = 1024;
const BASE64URL = /^[A-Za-z0-9_-]+$/;

/** The opaque `cursor` of a list page: the key where the next page starts. */
export const encodeCursor = (key: Readonly<Record<string, string>>): string =>
  Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');

/** The key in `cursor`, shape-checked only: the caller must still check it belongs to the list asked for. */
export function decodeCursor<S extends z.ZodMiniType>(cursor: string, schema: S): z.output<S> {
  if (cursor.length > MAX_CURSOR_LENGTH || !BASE64URL.test(cursor)) throw new InvalidCursorError('not base64url');
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new InvalidCursorError('not a cursor');
  }
  const parsed = schema.safeParse(decoded);
  if (!parsed.success) throw new InvalidCursorError('not a cursor');
  return parsed.data;
}
