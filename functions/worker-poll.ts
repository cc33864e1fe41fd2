import { pollMessageSchema } from '../lib/queue/poll-message.ts';
import { getServices } from '../lib/services/container.ts';
import { pollService } from '../lib/services/poll.ts';
import { sqsHandler } from '../lib/services/queue-handlers.ts';

const services = getServices();

/** One poll step per message (see PollService); failed records are retried by SQS, the rest acknowledged. */
export const handler = sqsHandler(
  services,
  'poll',
  pollMessageSchema,
  (message) => pollService(services).handle(message),
  (message) => ({ job_id: message.job_id }),
);
