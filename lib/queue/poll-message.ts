import * as z from 'zod';

/** One step of one aggregation's poll loop. Applied only when the job is still at `step` (see PollService). */
export const pollMessageSchema = z.object({
  job_id: z.string().min(1).max(64),
  step: z.number().int().min(0),
  due_at: z.number().int().min(0),
  /** Who sent it, when not the loop itself: MX's push, or the sweeper's re-drive (for `detected_by`). */
  trigger: z.enum(['push', 'sweeper']).optional(),
});
export type PollMessage = z.infer<typeof pollMessageSchema>;
