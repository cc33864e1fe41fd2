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

/**
 * `challenges: null` reads as none; an answer without the key at all is not a challenges answer (an error, so a
 * job does not wait for MFA with nothing to show).
 */
export const challengesResponse = z
  .object({
    challenges: z
      .array(challengeSchema)
      .nullable()
      .transform((challenges) => challenges ?? []),
  })
  .loose();
