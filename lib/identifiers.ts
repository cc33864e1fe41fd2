import * as z from './zod.ts';

/**
 * Identifiers users and MX give us, checked wherever they arrive (HTTP paths, queue messages, MX webhooks). Tight
 * patterns keep hostile input out of MX paths and keys: a user id may hold dots (e-mail-like ids) but never `..`,
 * so no value of it reads as a step up however a path is later joined.
 */
const idPattern = /^(?!.*\.\.)[A-Za-z0-9][A-Za-z0-9_.@:-]{0,127}$/;

/** An MX guid: `{prefix}-` then up to 64 letters, digits and dashes. */
export const mxGuid = (prefix: string) =>
  z.string().check(z.regex(new RegExp(`^${prefix}-[A-Za-z0-9-]{1,64}$`), `must look like ${prefix}-…`));

export const params = {
  userId: z.string().check(z.regex(idPattern, 'must be 1–128 characters of letters, digits and _ . @ : -, without `..`')),
  memberGuid: mxGuid('MBR'),
  /** How many an operator's listing across users answers (one page). */
  acrossUsersLimit: z
    ._default(z.coerce.number().check(z.int(), z.minimum(1), z.maximum(100)), 50)
    .check(z.describe('At most this many (1–100, default 50)')),
};
