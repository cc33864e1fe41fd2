import * as z from 'zod';

/** One MFA question of a CHALLENGED member (TEXT, OPTIONS, TOKEN, IMAGE_DATA, IMAGE_OPTIONS…); other fields kept. */
export const challengeSchema = z
  .object({
    guid: z.string().min(1),
    type: z.string().nullable().default(null),
    label: z.string().nullable().default(null),
    field_name: z.string().nullable().default(null),
  })
  .loose();

export type Challenge = z.output<typeof challengeSchema>;

/** `challenges` null or absent reads as none. */
export const challengesResponse = z
  .object({
    challenges: z
      .array(challengeSchema)
      .nullish()
      .transform((challenges) => challenges ?? []),
  })
  .loose();
