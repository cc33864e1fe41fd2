import { z } from 'zod';
import { WEBHOOK_ID_PATTERN } from '../store/webhooks-repo.ts';
import { EVENT_ID_PATTERN } from './events.ts';
import { MAX_ATTEMPTS } from './retry-schedule.ts';

/** The body of a delivery-queue message: which attempt of which delivery is due when. No payload, no secret. */
export const deliveryMessageSchema = z.object({
  webhook_id: z.string().regex(WEBHOOK_ID_PATTERN),
  msg_id: z.string().regex(EVENT_ID_PATTERN),
  attempt: z.number().int().min(1).max(MAX_ATTEMPTS),
  due_at: z.number().int().nonnegative(),
});

export type DeliveryMessage = z.infer<typeof deliveryMessageSchema>;
