import * as z from '../zod.ts';

/** One step of one aggregation's poll loop. Applied only when the job is still at `step` (see PollService). */
export const pollMessageSchema = z.object({
  job_id: z.string().check(z.minLength(1), z.maxLength(64)),
  step: z.int().check(z.minimum(0)),
  due_at: z.int().check(z.minimum(0)),
  /** Who sent it, when not the loop itself: MX's push, or the sweeper's re-drive (for `detected_by`). */
  trigger: z.optional(z.enum(['push', 'sweeper'])),
});
export type PollMessage = z.infer<typeof pollMessageSchema>;
