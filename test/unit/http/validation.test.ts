import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { params } from '../../../lib/identifiers.ts';

describe('params.userId', () => {
  it.each(['sim-user-pfm', 'u1', 'jane.doe@example.com', 'partner:42', 'a.b.c', 'A_1-2.3@x:y', 'x'.repeat(128)])(
    'accepts %j',
    (id) => {
      expect(params.userId.safeParse(id).success).toBe(true);
    },
  );

  it.each(['', '..', 'a..b', 'user..', 'a/../b', '.hidden', '-dash', 'a b', 'a/b', 'a%2e%2e', 'é', 'x'.repeat(129)])(
    'refuses %j',
    (id) => {
      expect(params.userId.safeParse(id).success).toBe(false);
    },
  );

  it('refuses any id holding `..`, wherever it is', () => {
    const part = fc.stringMatching(/^[A-Za-z0-9_.@:-]{0,40}$/);
    fc.assert(
      fc.property(fc.stringMatching(/^[A-Za-z0-9]$/), part, part, (first, before, after) => {
        expect(params.userId.safeParse(`${first}${before}..${after}`).success).toBe(false);
      }),
    );
  });

  it('accepts every id of the allowed characters without `..`', () => {
    const id = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_.@:-]{0,127}$/).filter((value) => !value.includes('..'));
    fc.assert(fc.property(id, (value) => params.userId.safeParse(value).success));
  });
});
