import * as z from './zod.ts';

/**
 * MX's user id characters ("numbers, letters, dash, and underscore", docs.mx.com/api-reference/more-apis/mdx/mdx-on-demand/
 * reference/users/user-fields): MX puts the id in paths ending `.json`, so anything else is refused, not encoded.
 */
const idPattern = /^[A-Za-z0-9_-]{1,128}$/;

/** An MX guid with its `{prefix}-`. */
export const mxGuid = (prefix: string) =>
  z.string().check(z.regex(new RegExp(`^${prefix}-[A-Za-z0-9-]{1,64}$`), `must look like ${prefix}-…`));

export const params = {
  userId: z.string().check(z.regex(idPattern, 'must be 1–128 letters, digits, - and _ (MX’s user id characters)')),
  memberGuid: mxGuid('MBR'),
  /** One page of an operator's listing across users. */
  acrossUsersLimit: z
    ._default(z.coerce.number().check(z.int(), z.minimum(1), z.maximum(100)), 50)
    .check(z.describe('At most this many (1–100, default 50)')),
};
