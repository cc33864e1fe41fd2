import * as z from './zod.ts';

/** Tight patterns keep hostile input out of MX paths and keys: dots are allowed but never `..`, so no id walks up a path. */
const idPattern = /^(?!.*\.\.)[A-Za-z0-9][A-Za-z0-9_.@:-]{0,127}$/;

/** An MX guid with its `{prefix}-`. */
export const mxGuid = (prefix: string) =>
  z.string().check(z.regex(new RegExp(`^${prefix}-[A-Za-z0-9-]{1,64}$`), `must look like ${prefix}-…`));

export const params = {
  userId: z.string().check(z.regex(idPattern, 'must be 1–128 characters of letters, digits and _ . @ : -, without `..`')),
  memberGuid: mxGuid('MBR'),
  /** One page of an operator's listing across users. */
  acrossUsersLimit: z
    ._default(z.coerce.number().check(z.int(), z.minimum(1), z.maximum(100)), 50)
    .check(z.describe('At most this many (1–100, default 50)')),
};
