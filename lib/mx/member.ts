import * as z from '../zod.ts';

/** MX documents these fields but may send null, leave them out or add new ones: absent reads as null. */
const optional = <T extends z.ZodMiniType>(schema: T) => z._default(z.nullable(schema), null);

/** The member fields nexus-relay reads; unknown fields are kept, so a member can be passed on unchanged. */
export const memberSchema = z.looseObject({
  guid: z.string().check(z.minLength(1)),
  user_guid: optional(z.string()),
  /** Null for a member without credentials. */
  connection_status: optional(z.string()),
  connection_status_id: optional(z.int()),
  connection_status_message: optional(z.string()),
  is_being_aggregated: optional(z.boolean()),
  /** When the latest aggregation-type job started. */
  aggregated_at: optional(z.string()),
  successfully_aggregated_at: optional(z.string()),
  use_cases: optional(z.array(z.string())),
  /** Read, never defaulted: a member passed on keeps exactly the fields MX sent. */
  institution_guid: z.nullish(z.string()),
  institution_code: z.nullish(z.string()),
});

export type Member = z.output<typeof memberSchema>;

export const memberResponse = z.looseObject({ member: memberSchema });

const pagination = z.optional(z.looseObject({ total_pages: z.optional(z.int()) }));

/** One page of list members, under `members`, or under `member` as MX's sample shows it (one member or a list). */
export const membersPageResponse = z.union([
  z.looseObject({ members: z.array(memberSchema), pagination }),
  z.pipe(
    z.looseObject({ member: z.union([z.array(memberSchema), memberSchema]), pagination }),
    z.transform(({ member, pagination }) => ({
      members: Array.isArray(member) ? member : [member],
      ...(pagination === undefined ? {} : { pagination }),
    })),
  ),
]);
