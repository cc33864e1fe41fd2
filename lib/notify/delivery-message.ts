import * as z from '../zod.ts';
import { WEBHOOK_ID_PATTERN } from './webhooks-repo.ts';
import { EVENT_ID_PATTERN } from '../events.ts';
import { MAX_ATTEMPTS_PER_DELIVERY } from './retry-schedule.ts';

/** No payload, no secret. The attempt number counts every attempt (replays included), so it identifies one for good. */
export const deliveryMessageSchema = z.object({
  webhook_id: z.string().check(z.regex(WEBHOOK_ID_PATTERN)),
  msg_id: z.string().check(z.regex(EVENT_ID_PATTERN)),
  attempt: z.int().check(z.minimum(1), z.maximum(MAX_ATTEMPTS_PER_DELIVERY)),
  due_at: z.int().check(z.nonnegative()),
});

export type DeliveryMessage = z.infer<typeof deliveryMessageSchema>;
