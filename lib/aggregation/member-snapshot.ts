import type { Member } from '../mx/member.ts';
import * as z from '../zod.ts';

/** The member fields events carry, as last seen from MX. */
export interface MemberSnapshot {
  guid: string;
  connection_status: string | null;
  connection_status_id: number | null;
  connection_status_message: string | null;
  is_being_aggregated: boolean | null;
  aggregated_at: string | null;
  successfully_aggregated_at: string | null;
}

export function snapshotOf(member: Member): MemberSnapshot {
  return {
    guid: member.guid,
    connection_status: member.connection_status ?? null,
    connection_status_id: member.connection_status_id ?? null,
    connection_status_message: member.connection_status_message ?? null,
    is_being_aggregated: member.is_being_aggregated ?? null,
    aggregated_at: member.aggregated_at ?? null,
    successfully_aggregated_at: member.successfully_aggregated_at ?? null,
  };
}

/** MemberSnapshot as events show it: only `guid` before MX has been read for the job. */
export const memberSnapshotSchema = z
  .strictObject({
    guid: z.string(),
    connection_status: z.optional(z.nullable(z.string())),
    connection_status_id: z.optional(z.nullable(z.int())),
    connection_status_message: z.optional(z.nullable(z.string())),
    is_being_aggregated: z.optional(z.nullable(z.boolean())),
    aggregated_at: z.optional(z.nullable(z.string())),
    successfully_aggregated_at: z.optional(z.nullable(z.string())),
  })
  .check(
    z.meta({
      id: 'MemberSnapshot',
      description: 'The member as last read from MX; only `guid` before MX has been read for this job',
    }),
  );
