import * as z from '../zod.ts';

/** One MFA question of a CHALLENGED member (TEXT, OPTIONS, TOKEN, IMAGE_DATA, IMAGE_OPTIONS…); other fields kept. */
export const challengeSchema = z.looseObject({
  guid: z.string().check(z.minLength(1)),
  type: z._default(z.nullable(z.string()), null),
  label: z._default(z.nullable(z.string()), null),
  field_name: z._default(z.nullable(z.string()), null),
});

export type Challenge = z.output<typeof challengeSchema>;

const questions = z.pipe(
  z.nullable(z.array(challengeSchema)),
  z.transform((challenges: Challenge[] | null) => challenges ?? []),
);

/**
 * MX's list member challenges, under `challenges` or `member` (MX's docs show both); no body is `noContent` (a 204 only).
 * An object with neither key is an error, so a job does not wait for MFA with nothing to show.
 */
export const challengesResponse = z.union([
  z.pipe(
    z.undefined(),
    z.transform((): { challenges: Challenge[]; noContent?: true } => ({ challenges: [], noContent: true })),
  ),
  z.looseObject({ challenges: questions }),
  z.pipe(
    z.looseObject({ member: questions }),
    z.transform(({ member }): { challenges: Challenge[] } => ({ challenges: member })),
  ),
]);
