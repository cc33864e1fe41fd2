import * as z from 'zod';

/** MX documents these fields but may send null, leave them out or add new ones: absent reads as null. */
const optional = <T extends z.ZodType>(schema: T) => schema.nullable().default(null);

/**
 * The member fields nexus-relay reads. Unknown fields are kept as they came (`.loose()`), so a member can be passed
 * on unchanged.
 */
export const memberSchema = z
  .object({
    guid: z.string().min(1),
    user_guid: optional(z.string()),
    /** A status name (see connection-status.ts); null for a member without credentials. */
    connection_status: optional(z.string()),
    connection_status_id: optional(z.number().int()),
    /** Text MX writes for the end user. */
    connection_status_message: optional(z.string()),
    is_being_aggregated: optional(z.boolean()),
    /** ISO 8601: when the latest aggregation-type job started. */
    aggregated_at: optional(z.string()),
    successfully_aggregated_at: optional(z.string()),
    use_cases: optional(z.array(z.string())),
    /** Read, never defaulted: a member passed on keeps exactly the fields MX sent. */
    institution_guid: z.string().nullish(),
    institution_code: z.string().nullish(),
  })
  .loose();

export type Member = z.output<typeof memberSchema>;

export const memberResponse = z.object({ member: memberSchema }).loose();
