import * as z from '../zod.ts';

/** One MFA question of a CHALLENGED member (TEXT, OPTIONS, TOKEN, IMAGE_DATA, IMAGE_OPTIONS…); other fields kept. */
export const challengeSchema = z.looseObject({
  guid: z.string().check(z.minLength(1)),
  type: z._default(z.nullable(z.string()), null),
  label: z._default(z.nullable(z.string()), null),
  field_name: z._default(z.nullable(z.string()), null),
});

export type Challenge = z.output<typeof challengeSchema>;

/**
 * `challenges: null` reads as none; an answer without the key at all is not a challenges answer (an error, so a
 * job does not wait for MFA with nothing to show).
 */
export const challengesResponse = z.looseObject({
  challenges: z.pipe(
    z.nullable(z.array(challengeSchema)),
    z.transform((challenges: Challenge[] | null) => challenges ?? []),
  ),
});
