import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { params } from '../../../lib/identifiers.ts';

describe('params.userId', () => {
  // MX: "Can include numbers, letters, dash, and underscore" (docs.mx.com/api-reference/more-apis/mdx/mdx-on-demand/reference/users/user-fields).
  it.each(['sim-user-pfm', 'u1', 'U-39XBF7', 'A_1-2_3', '-dash', '_', 'x'.repeat(128)])('accepts %j', (id) => {
    expect(params.userId.safeParse(id).success).toBe(true);
  });

  it.each(['', 'jane.doe@example.com', 'partner:42', 'a.b.c', '..', 'a/b', 'a b', 'a%2e', 'é', 'x.json', 'x'.repeat(129)])(
    'refuses %j, naming MX’s characters',
    (id) => {
      const parsed = params.userId.safeParse(id);
      expect(parsed.success).toBe(false);
      expect(parsed.error?.issues[0]?.message).toBe('must be 1–128 letters, digits, - and _ (MX’s user id characters)');
    },
  );

  it('accepts exactly the ids of MX’s characters', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 128 }), (value) => {
        expect(params.userId.safeParse(value).success).toBe(/^[A-Za-z0-9_-]+$/.test(value));
      }),
    );
  });
});
